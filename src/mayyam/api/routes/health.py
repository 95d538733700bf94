"""Liveness and readiness, for the kubelet's probes; no authentication."""

from fastapi import APIRouter

from mayyam.api.deps import RegistryDep
from mayyam.api.errors import NotReadyError

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
