"""Building the API application.

`create_app` wires settings, error handling, the access log and the routers
together. Unless a registry is passed in, the application's lifespan
connects to the management cluster and keeps a registry of its
MayyamClusters up to date in the background.
"""

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from kubernetes.client import ApiClient, V1Secret

from mayyam.api.access_log import AccessLogMiddleware
from mayyam.api.body_limit import BodyLimitMiddleware
from mayyam.api.concurrency import ClusterThreads
from mayyam.api.config import ApiSettings
from mayyam.api.errors import install_error_handlers
from mayyam.api.metrics import Metrics
from mayyam.api.registry import ClientBuilder, ClusterRegistry
from mayyam.api.routes import health, kubernetes_router
from mayyam.api.watcher import ClusterWatcher
from mayyam.core.credentials import build_cluster_client
from mayyam.core.management import keep_connections, load_management_client

logger = logging.getLogger(__name__)


def create_app(settings: ApiSettings, *, registry: ClusterRegistry | None = None) -> FastAPI:
    """Build the API application.

    With ``registry`` given, the application serves exactly the clusters
    that registry holds and starts no watcher: the caller feeds it.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if registry is not None:
            yield
            return
        async with _watched_registry(app, settings):
            yield

    app = FastAPI(
        title="Mayyam",
        summary="An open control plane for fleets of Kubernetes clusters.",
        lifespan=lifespan,
        # A redirect to the path without its slash would be built from the
        # client's Host header and carry no error body; answer 404 instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.metrics = Metrics()
    app.state.cluster_threads = ClusterThreads(settings.calls_per_cluster)

    install_error_handlers(app)
    # The last middleware added is the outermost: the access log sees every
    # answer, the 413s of the body limit included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware, metrics=app.state.metrics)
    app.include_router(health.router)
    app.include_router(kubernetes_router)
    return app


@asynccontextmanager
async def _watched_registry(app: FastAPI, settings: ApiSettings) -> AsyncIterator[None]:
    """Fill ``app.state.registry`` from the management cluster while the app runs."""
    management = load_management_client(settings.kubeconfig)
    registry = ClusterRegistry(_client_builder(settings))
    watcher = ClusterWatcher(management, registry, settings)

    app.state.registry = registry
    watcher.start()
    logger.info("Serving the MayyamClusters of namespace %r.", settings.namespace)
    try:
        yield
    finally:
        # Watch threads blocked in a read end with their watch; they are daemons.
        watcher.stop()
        registry.close()
        management.close()


def _client_builder(settings: ApiSettings) -> ClientBuilder:
    """Build clients that keep a connection for each call that may run at once."""

    def build(cluster: Mapping[str, Any], secret: V1Secret | None) -> ApiClient:
        client = build_cluster_client(cluster, secret, management_kubeconfig=settings.kubeconfig)
        keep_connections(client, settings.calls_per_cluster)
        return client

    return build
