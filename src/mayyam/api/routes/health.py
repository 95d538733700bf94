"""Liveness, readiness and metrics, for the kubelet and Prometheus; no authentication."""

from fastapi import APIRouter, Request, Response

from mayyam.api.deps import RegistryDep
from mayyam.api.errors import NotReadyError
from mayyam.api.metrics import CONTENT_TYPE_LATEST, Metrics

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Answer while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(registry: RegistryDep) -> dict[str, str]:
    """Answer once the registered clusters have been loaded."""
    if not registry.ready:
        raise NotReadyError("The registered clusters are still being loaded.")
    return {"status": "ready"}


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Serve the request and cluster-error metrics in Prometheus' text format."""
    collected: Metrics = request.app.state.metrics
    return Response(collected.render(), media_type=CONTENT_TYPE_LATEST)
