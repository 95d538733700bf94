"""Bearer tokens: JWTs verified with the key and algorithms of the settings.

A token must name its user (``sub``) and expire (``exp``); ``aud`` and
``iss`` must match when the settings name them. The claims Mayyam reads:

* ``sub``: who sent the request (logged with every request);
* ``username``: an optional display name;
* ``roles``: a list of role names (see ``mayyam.api.access``);
* ``clusters``: an optional list of glob patterns that limits the clusters
  the token reaches.

Only the algorithms of the settings are accepted, so a token that claims
``alg: none`` or any other algorithm fails.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from mayyam.api.config import ApiSettings
from mayyam.api.errors import UnauthorizedError


@dataclass(frozen=True)
class User:
    """Who sent a request, and what the token grants."""

    name: str
    roles: tuple[str, ...] = ()
    username: str | None = None
    #: Glob patterns of the clusters the token reaches; ``None``: all.
    clusters: tuple[str, ...] | None = None


def authenticate(token: str, settings: ApiSettings) -> User:
    """Verify a bearer token and return its user; raise `UnauthorizedError`."""
    try:
        claims = jwt.decode(
            token,
            key=settings.verification_key,
            algorithms=settings.jwt_algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub"], "verify_aud": settings.jwt_audience is not None},
            leeway=settings.jwt_leeway,
        )
    except jwt.ExpiredSignatureError as e:
        raise UnauthorizedError("The bearer token has expired.") from e
    except jwt.InvalidTokenError as e:
        # PyJWT's messages name the failed check, never the token itself.
        raise UnauthorizedError(f"The bearer token is not valid: {e}") from e
    return _user_from_claims(claims)


def _user_from_claims(claims: dict[str, Any]) -> User:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("The bearer token names no user in 'sub'.")

    roles = claims.get("roles", [])
    if not _is_list_of_names(roles):
        raise UnauthorizedError("The 'roles' claim of the bearer token is not a list of names.")

    clusters = claims.get("clusters")
    if clusters is not None and not _is_list_of_names(clusters):
        raise UnauthorizedError(
            "The 'clusters' claim of the bearer token is not a list of patterns."
        )

    username = claims.get("username")
    if username is not None and not isinstance(username, str):
        raise UnauthorizedError("The 'username' claim of the bearer token is not a string.")

    return User(
        name=subject,
        roles=tuple(roles),
        username=username,
        clusters=tuple(clusters) if clusters is not None else None,
    )


def _is_list_of_names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def issue_token(
    settings: ApiSettings,
    *,
    subject: str,
    roles: Sequence[str] = (),
    clusters: Sequence[str] | None = None,
    ttl: int = 3600,
    now: float | None = None,
    signing_key: str | None = None,
) -> str:
    """Sign a token for ``subject`` that expires ``ttl`` seconds from now.

    Meant for development and tests. With HMAC algorithms the shared secret
    signs it; with public-key algorithms ``signing_key`` (the private key,
    PEM) must be given. Production tokens come from the identity provider.
    """
    issued_at = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": list(roles),
        "iat": issued_at,
        "exp": issued_at + ttl,
    }
    if clusters is not None:
        claims["clusters"] = list(clusters)
    if settings.jwt_audience is not None:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer is not None:
        claims["iss"] = settings.jwt_issuer

    if signing_key is None:
        if not settings.uses_hmac:
            raise ValueError("a private key is needed to sign tokens for public-key algorithms")
        signing_key = settings.verification_key
    return jwt.encode(claims, key=signing_key, algorithm=settings.jwt_algorithms[0])
