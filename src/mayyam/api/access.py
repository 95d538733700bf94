"""Who may do what: roles, the rights they grant, and the clusters a token reaches.

A token's ``roles`` claim names roles; each role grants a set of rights, and
each route needs one right. The roles build on each other:

=========  ==========================================================
``viewer``  read every object Mayyam serves
``editor``  also write ConfigMaps, Secrets and Namespaces, and scale
            or restart Deployments
``admin``   also run commands in containers (exec)
=========  ==========================================================

A token may also carry a ``clusters`` claim, a list of glob patterns
(``prod-*``); it then reaches only the clusters whose names match one of
them. A request that lacks a right, or names a cluster outside the token's
patterns, is refused with 403 before the cluster is looked up, so that a
token cannot learn which clusters exist beyond its reach.
"""

from collections.abc import Iterable
from enum import StrEnum
from fnmatch import fnmatchcase

from mayyam.api.errors import ForbiddenError


class Right(StrEnum):
    """What a route does to a cluster."""

    READ = "read"
    WRITE = "write"
    EXEC = "exec"


#: The rights of each role.
ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    "viewer": frozenset({Right.READ}),
    "editor": frozenset({Right.READ, Right.WRITE}),
    "admin": frozenset({Right.READ, Right.WRITE, Right.EXEC}),
}


def rights_of(roles: Iterable[str]) -> frozenset[Right]:
    """The rights that ``roles`` grant together; unknown roles grant none."""
    granted: frozenset[Right] = frozenset()
    for role in roles:
        granted |= ROLE_RIGHTS.get(role, frozenset())
    return granted


def cluster_allowed(cluster_id: str, patterns: tuple[str, ...] | None) -> bool:
    """Whether a token with ``patterns`` (``None``: no limit) reaches a cluster."""
    if patterns is None:
        return True
    return any(fnmatchcase(cluster_id, pattern) for pattern in patterns)


def check_access(
    *, roles: Iterable[str], patterns: tuple[str, ...] | None, right: Right, cluster_id: str
) -> None:
    """Raise `ForbiddenError` unless the token may use ``right`` on the cluster."""
    if right not in rights_of(roles):
        needed = sorted(role for role, rights in ROLE_RIGHTS.items() if right in rights)
        roles = needed[0] if len(needed) == 1 else f"{', '.join(needed[:-1])} or {needed[-1]}"
        raise ForbiddenError(
            f"This needs the right to {right.value}: a token with the role {roles}."
        )
    if not cluster_allowed(cluster_id, patterns):
        raise ForbiddenError(f"The token does not reach cluster {cluster_id!r}.")
