"""Settings of the API server.

Built once by the entry point (or by a test) and handed to `create_app`;
routes reach them through a dependency, never through a global.
"""

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from mayyam.core.config import Settings

#: Algorithms that verify with a shared secret, and the shortest secret each
#: is safe with (as long as its hash, RFC 7518 section 3.2).
HMAC_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}


class ApiSettings(Settings):
    """The shared settings plus what only the API needs."""

    jwt_secret: SecretStr = Field(
        min_length=32,
        description="The shared secret that signs and verifies bearer tokens (HMAC).",
    )
    jwt_algorithms: list[str] = Field(
        default=["HS256"],
        min_length=1,
        description="The JWT algorithms accepted; only HMAC algorithms are allowed.",
    )
    jwt_leeway: float = Field(
        default=10.0,
        ge=0,
        description="Seconds of clock skew tolerated when checking exp, nbf and iat.",
    )
    watch_timeout: int = Field(
        default=60,
        gt=0,
        description="Seconds one watch of MayyamClusters or Secrets lasts before it is renewed.",
    )

    @field_validator("jwt_algorithms")
    @classmethod
    def _only_hmac_algorithms(cls, algorithms: list[str]) -> list[str]:
        unknown = sorted(set(algorithms) - HMAC_ALGORITHMS.keys())
        if unknown:
            raise ValueError(f"unsupported JWT algorithms {unknown}; use {sorted(HMAC_ALGORITHMS)}")
        return algorithms

    @model_validator(mode="after")
    def _secret_long_enough(self) -> Self:
        needed = max(HMAC_ALGORITHMS[name] for name in self.jwt_algorithms)
        if len(self.jwt_secret.get_secret_value().encode()) < needed:
            raise ValueError(
                f"jwt_secret must be at least {needed} bytes for {self.jwt_algorithms}"
            )
        return self
