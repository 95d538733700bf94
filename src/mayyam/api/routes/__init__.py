"""The routers of the API; each module holds one ``APIRouter``."""

from fastapi import APIRouter

from mayyam.api.errors import CLUSTER_ERROR_RESPONSES
from mayyam.api.routes import clusters, configmaps, deployments, namespaces, pods, secrets

#: Everything served under ``/api/kubernetes``.
kubernetes_router = APIRouter(responses=CLUSTER_ERROR_RESPONSES)
kubernetes_router.include_router(clusters.router)
kubernetes_router.include_router(namespaces.router)
kubernetes_router.include_router(pods.router)
kubernetes_router.include_router(configmaps.router)
kubernetes_router.include_router(secrets.router)
kubernetes_router.include_router(deployments.router)

__all__ = ["kubernetes_router"]
