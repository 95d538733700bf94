"""Bearer tokens: JWTs signed with the shared secret of the settings.

A token must name its user (``sub``) and expire (``exp``); ``roles`` is an
optional list of role names. Only the algorithms of the settings are
accepted, so a token that claims ``alg: none`` or any other algorithm fails.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

import jwt

from mayyam.api.config import ApiSettings
from mayyam.api.errors import UnauthorizedError


@dataclass(frozen=True)
class User:
    """Who sent a request, as its token says."""

    name: str
    roles: tuple[str, ...] = ()


def authenticate(token: str, settings: ApiSettings) -> User:
    """Verify a bearer token and return its user; raise `UnauthorizedError`."""
    try:
        claims = jwt.decode(
            token,
            key=settings.jwt_secret.get_secret_value(),
            algorithms=settings.jwt_algorithms,
            options={"require": ["exp", "sub"]},
            leeway=settings.jwt_leeway,
        )
    except jwt.ExpiredSignatureError as e:
        raise UnauthorizedError("The bearer token has expired.") from e
    except jwt.InvalidTokenError as e:
        # PyJWT's messages name the failed check, never the token itself.
        raise UnauthorizedError(f"The bearer token is not valid: {e}") from e

    subject, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(subject, str) or not subject:
        raise UnauthorizedError("The bearer token names no user in 'sub'.")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise UnauthorizedError("The 'roles' claim of the bearer token is not a list of names.")
    return User(name=subject, roles=tuple(roles))


def issue_token(
    settings: ApiSettings,
    *,
    subject: str,
    roles: Sequence[str] = (),
    ttl: int = 3600,
    now: float | None = None,
) -> str:
    """Sign a token for ``subject`` that expires ``ttl`` seconds from now.

    Meant for development and tests; production tokens come from whoever
    holds the shared secret.
    """
    issued_at = int(now if now is not None else time.time())
    claims = {"sub": subject, "roles": list(roles), "iat": issued_at, "exp": issued_at + ttl}
    return jwt.encode(
        claims,
        key=settings.jwt_secret.get_secret_value(),
        algorithm=settings.jwt_algorithms[0],
    )
