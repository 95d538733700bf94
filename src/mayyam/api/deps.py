"""Dependencies the routes share, as ``Annotated`` aliases.

``CurrentUser`` authenticates the request. ``ReadCluster``, ``WriteCluster``
and ``ExecCluster`` resolve the ``cluster_id`` of the path to a registered
cluster once the token proved the right the route needs (see
``mayyam.api.access``), so that a caller cannot learn which clusters exist
beyond its reach. The latter two also mark the request for the audit log.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from kubernetes.client import ApiClient

from mayyam.api.access import Right, check_access
from mayyam.api.access_log import AuditRecord
from mayyam.api.auth import User, authenticate
from mayyam.api.concurrency import ClusterThreads
from mayyam.api.config import ApiSettings
from mayyam.api.errors import UnauthorizedError
from mayyam.api.registry import ClusterRegistry
from mayyam.api.validation import LABEL_PATTERN, SUBDOMAIN_PATTERN

T = TypeVar("T")

#: Where the Kubernetes endpoints are served.
API_PREFIX = "/api/kubernetes"

#: The path every cluster-scoped router starts with. Routers carry their
#: whole path, so that a route's template is the one the client called.
CLUSTER_PATH = f"{API_PREFIX}/clusters/{{cluster_id}}"


_bearer = HTTPBearer(auto_error=False, description="A JWT signed with the shared secret.")


# Dependencies that do not block are coroutines: FastAPI runs a plain
# function in a worker thread, a thread hop for every request.
async def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_registry(request: Request) -> ClusterRegistry:
    registry: ClusterRegistry = request.app.state.registry
    return registry


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
RegistryDep = Annotated[ClusterRegistry, Depends(get_registry)]


async def get_current_user(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user named by the request's bearer token."""
    if credentials is None:
        raise UnauthorizedError("A bearer token is required (Authorization: Bearer <token>).")

    user = authenticate(credentials.credentials, settings)
    # The access log reads the user from here.
    request.state.user = user.name
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass(frozen=True)
class Cluster:
    """A registered cluster, as a route uses it."""

    name: str
    api_client: ApiClient
    request_timeout: tuple[float, float]
    threads: ClusterThreads

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call a client method in a worker thread, with the request timeout."""
        return await self.threads.call(
            self.name, fn, *args, _request_timeout=self.request_timeout, **kwargs
        )


ClusterId = Annotated[
    str,
    Path(
        max_length=253,
        pattern=SUBDOMAIN_PATTERN,
        description="The name of the MayyamCluster that registers the cluster.",
    ),
]


NamespaceName = Annotated[
    str,
    Path(max_length=63, pattern=LABEL_PATTERN, description="The name of the namespace."),
]

ObjectName = Annotated[
    str,
    Path(max_length=253, pattern=SUBDOMAIN_PATTERN, description="The name of the object."),
]

LabelSelector = Annotated[
    str | None,
    Query(
        alias="labelSelector",
        description="Only objects whose labels match, in Kubernetes' syntax (app=web,tier!=db).",
    ),
]


def _cluster_with(right: Right) -> Callable[..., Awaitable[Cluster]]:
    """A dependency that resolves the path's cluster for a route needing ``right``."""

    async def get_cluster(
        request: Request,
        cluster_id: ClusterId,
        user: CurrentUser,
        registry: RegistryDep,
        settings: SettingsDep,
    ) -> Cluster:
        check_access(roles=user.roles, patterns=user.clusters, right=right, cluster_id=cluster_id)
        if right is not Right.READ:
            request.state.audit = AuditRecord.for_request(request, user.name, cluster_id)

        # Almost always the client is built already. Building a new or
        # changed cluster's client, or waiting for the registry's lock, must
        # not block the event loop: that happens in a worker thread.
        client = registry.built_client(cluster_id)
        if client is None:
            client = await anyio.to_thread.run_sync(registry.client_for, cluster_id)
        threads: ClusterThreads = request.app.state.cluster_threads
        return Cluster(cluster_id, client, settings.request_timeout, threads)

    return get_cluster


ReadCluster = Annotated[Cluster, Depends(_cluster_with(Right.READ))]
WriteCluster = Annotated[Cluster, Depends(_cluster_with(Right.WRITE))]
ExecCluster = Annotated[Cluster, Depends(_cluster_with(Right.EXEC))]
