"""Settings that the operator and the API share.

Settings come from ``MAYYAM_*`` environment variables, or are passed in when
a component is built in code (tests do this). Nothing reads them at import
time: each entry point constructs a settings object and hands it on.
"""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mayyam.core.management import SERVICE_ACCOUNT_DIR


class Settings(BaseSettings):
    """What both components need: where the management cluster is, and
    how long a call to any cluster may take."""

    model_config = SettingsConfigDict(
        env_prefix="MAYYAM_",
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
    )

    namespace: str = Field(
        default="default",
        min_length=1,
        description="The namespace of the management cluster that holds the MayyamClusters.",
    )
    kubeconfig: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MAYYAM_KUBECONFIG", "KUBECONFIG"),
        description=(
            "Kubeconfig of the management cluster (MAYYAM_KUBECONFIG, else "
            "KUBECONFIG). Unset means the in-cluster service account."
        ),
    )
    service_account_dir: str = Field(
        default=SERVICE_ACCOUNT_DIR,
        min_length=1,
        description=(
            "Where the Pod's ServiceAccount token and ca.crt are, when no kubeconfig "
            "is set; tests point it at files of their own."
        ),
    )
    connect_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds to wait for a TCP and TLS connection to a cluster.",
    )
    read_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds to wait for a cluster's answer once connected.",
    )

    @property
    def request_timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair the Kubernetes client expects."""
        return (self.connect_timeout, self.read_timeout)
