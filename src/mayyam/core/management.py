"""The client of the management cluster: the one that holds the MayyamClusters.

Both components reach the management cluster the same way: the kubeconfig
from the settings (``MAYYAM_KUBECONFIG``, else ``KUBECONFIG``) when one is
set, else the service account of the Pod they run in. A client built here
never touches the Kubernetes client's process-wide default configuration.

The service account is read where Kubernetes mounts it, or from another
directory with the same files (``token``, ``ca.crt``): tests use that to run
a component as a Pod would, without a Pod.
"""

import logging
import os

from kubernetes import config as kube_config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.incluster_config import InClusterConfigLoader

from mayyam.core.errors import ConfigurationError

logger = logging.getLogger(__name__)

#: How the management cluster is named in messages.
MANAGEMENT_CLUSTER = "management"

#: Where Kubernetes mounts the token and CA of a Pod's ServiceAccount.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def load_management_configuration(
    kubeconfig: str | None, *, service_account_dir: str | None = None
) -> Configuration:
    """Load how to reach the management cluster, without connecting to it."""
    configuration = Configuration()

    if kubeconfig:
        try:
            kube_config.load_kube_config(
                config_file=kubeconfig,
                client_configuration=configuration,
                persist_config=False,
            )
        except (kube_config.ConfigException, OSError, ValueError) as e:
            # The loader names the keys it misses, never their values.
            raise ConfigurationError(
                f"The management kubeconfig {kubeconfig!r} cannot be loaded: {e}"
            ) from e
        logger.debug("The management cluster is configured from %r.", kubeconfig)
    else:
        directory = service_account_dir or SERVICE_ACCOUNT_DIR
        loader = InClusterConfigLoader(
            token_filename=os.path.join(directory, "token"),
            cert_filename=os.path.join(directory, "ca.crt"),
        )
        try:
            loader.load_and_set(configuration)
        except kube_config.ConfigException as e:
            raise ConfigurationError(
                "No management kubeconfig is set (MAYYAM_KUBECONFIG or KUBECONFIG) "
                "and no in-cluster service account is available."
            ) from e
        logger.debug("The management cluster is configured from the service account.")

    configure_client_defaults(configuration)
    return configuration


def load_management_client(
    kubeconfig: str | None, *, service_account_dir: str | None = None
) -> ApiClient:
    """Build a client of the management cluster."""
    return ApiClient(
        load_management_configuration(kubeconfig, service_account_dir=service_account_dir)
    )


def configure_client_defaults(configuration: Configuration) -> None:
    """Apply what every Mayyam client of any cluster should do.

    Hidden retries are off: each caller sets its own timeouts and reports a
    failure as it happens, instead of waiting for several attempts.
    """
    configuration.retries = 0


def keep_connections(client: ApiClient, count: int) -> None:
    """Let ``client`` keep up to ``count`` open connections to its API server.

    The client keeps five per CPU by default. When more calls than that run
    at once, urllib3 opens a connection for each extra call and closes it
    afterwards, so every such call pays a new TCP and TLS handshake. Only
    pools opened after this call are affected: call it on a new client.
    """
    client.rest_client.pool_manager.connection_pool_kw["maxsize"] = count
