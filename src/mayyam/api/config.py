"""Settings of the API server.

Built once by the entry point (or by a test) and handed to `create_app`;
routes reach them through a dependency, never through a global.

Tokens are verified either with a shared secret (HMAC: ``HS256``, the
default) or with a public key (``RS256``, ``ES256`` and their longer
variants), never both: the accepted algorithms come from here, not from the
token, so a token signed with the public key as an HMAC secret, or with
``alg: none``, is refused.
"""

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from mayyam.core.config import Settings

#: Algorithms that verify with a shared secret, and the shortest secret each
#: is safe with (as long as its hash, RFC 7518 section 3.2).
HMAC_ALGORITHMS = {"HS256": 32, "HS384": 48, "HS512": 64}

#: Algorithms that verify with a public key (PEM).
PUBLIC_KEY_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}


class ApiSettings(Settings):
    """The shared settings plus what only the API needs."""

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="The shared secret that signs and verifies bearer tokens (HMAC).",
    )
    jwt_public_key: str | None = Field(
        default=None,
        description="The PEM public key that verifies bearer tokens (RSA or EC algorithms).",
    )
    jwt_algorithms: list[str] = Field(
        default=["HS256"],
        min_length=1,
        description="The JWT algorithms accepted: all HMAC, or all public-key ones.",
    )
    jwt_audience: str | None = Field(
        default=None,
        description="When set, a token's 'aud' claim must name this audience.",
    )
    jwt_issuer: str | None = Field(
        default=None,
        description="When set, a token's 'iss' claim must be this issuer.",
    )
    jwt_leeway: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Seconds of clock skew tolerated when checking exp, nbf and iat.",
    )
    watch_timeout: int = Field(
        default=60,
        gt=0,
        description="Seconds one watch of MayyamClusters or Secrets lasts before it is renewed.",
    )
    calls_per_cluster: int = Field(
        default=32,
        gt=0,
        description=(
            "Calls to one cluster that run at once; more wait, so that a slow cluster "
            "cannot take the worker threads that requests to other clusters need."
        ),
    )
    max_body_bytes: int = Field(
        default=3 * 1024 * 1024,
        gt=0,
        description="The largest request body accepted; larger ones are refused with 413.",
    )
    exec_timeout_default: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an exec'd command may run when the request names no timeout.",
    )
    exec_timeout_max: float = Field(
        default=300.0,
        gt=0,
        description="The longest timeout, in seconds, an exec request may ask for.",
    )
    exec_output_limit: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Bytes of an exec'd command's stdout, and of its stderr, returned at most.",
    )

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, algorithms: list[str]) -> list[str]:
        known = HMAC_ALGORITHMS.keys() | PUBLIC_KEY_ALGORITHMS
        unknown = sorted(set(algorithms) - known)
        if unknown:
            raise ValueError(f"unsupported JWT algorithms {unknown}; use some of {sorted(known)}")
        return algorithms

    @property
    def uses_hmac(self) -> bool:
        """Whether tokens are verified with the shared secret."""
        return self.jwt_algorithms[0] in HMAC_ALGORITHMS

    @property
    def verification_key(self) -> str:
        """The key that verifies tokens: the shared secret or the public key."""
        if self.uses_hmac:
            assert self.jwt_secret is not None
            return self.jwt_secret.get_secret_value()
        assert self.jwt_public_key is not None
        return self.jwt_public_key

    @model_validator(mode="after")
    def _exec_timeouts_fit(self) -> Self:
        if self.exec_timeout_default > self.exec_timeout_max:
            raise ValueError("MAYYAM_EXEC_TIMEOUT_DEFAULT must not exceed MAYYAM_EXEC_TIMEOUT_MAX")
        return self

    @model_validator(mode="after")
    def _key_fits_algorithms(self) -> Self:
        hmac = {name in HMAC_ALGORITHMS for name in self.jwt_algorithms}
        if len(hmac) > 1:
            raise ValueError(
                "MAYYAM_JWT_ALGORITHMS mixes HMAC and public-key algorithms; pick one kind"
            )

        if self.uses_hmac:
            if self.jwt_secret is None:
                raise ValueError(f"MAYYAM_JWT_SECRET is required for {self.jwt_algorithms}")
            needed = max(HMAC_ALGORITHMS[name] for name in self.jwt_algorithms)
            if len(self.jwt_secret.get_secret_value().encode()) < needed:
                raise ValueError(
                    f"MAYYAM_JWT_SECRET must be at least {needed} bytes for {self.jwt_algorithms}"
                )
        elif not self.jwt_public_key or "-----BEGIN" not in self.jwt_public_key:
            raise ValueError(f"MAYYAM_JWT_PUBLIC_KEY (PEM) is required for {self.jwt_algorithms}")
        return self
