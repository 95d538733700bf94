"""Kubernetes objects passed through as JSON, without the client's models.

Reading an object into the official client's models and writing it back out
costs more than the call itself for a list of a hundred ConfigMaps. Reads
therefore ask the client for the raw answer and parse it once; what goes
back to the caller is the object as Kubernetes wrote it, less the fields
that only the API server's bookkeeping needs (``managedFields``).

Parsing and writing use orjson, several times faster than the standard
library on lists of that size. orjson reads integers exactly up to 64 bits,
the widest the Kubernetes objects served here have in their schema; what
orjson refuses is left to the standard library.
"""

import json
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Response

from mayyam.api.deps import Cluster
from mayyam.core.errors import ClusterAccessError

#: A Kubernetes object as JSON.
KubeObject = dict[str, Any]


async def read_raw(cluster: Cluster, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call a client method and return its answer parsed from JSON.

    Writes use it too: their answers are objects like any other, and some
    (the Namespace a delete returns) do not fit the client's models.
    """
    body = await cluster.call(_read_body, fn, *args, **kwargs)
    try:
        return _parse(body)
    except ValueError as e:
        raise ClusterAccessError(
            f"Cluster {cluster.name!r} sent an answer that is not JSON.",
            cluster=cluster.name,
            reason="InvalidResponse",
        ) from e


async def read_items(
    cluster: Cluster,
    fn: Callable[..., Any],
    /,
    *args: Any,
    kind: str,
    api_version: str = "v1",
    **kwargs: Any,
) -> list[KubeObject]:
    """List objects with a client list method; each item named with its kind."""
    listing = await read_raw(cluster, fn, *args, **kwargs)
    items: list[KubeObject] = listing.get("items") or []
    for item in items:
        # Items of a list carry no kind of their own; kubectl adds it too.
        item.setdefault("apiVersion", api_version)
        item.setdefault("kind", kind)
        without_bookkeeping(item)
    return items


def without_bookkeeping(obj: KubeObject) -> KubeObject:
    """Drop ``managedFields``, which only the API server's merge logic needs."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj


def json_response(content: Any, status_code: int = 200) -> Response:
    """Answer with ``content`` serialized once, with no model in between."""
    try:
        body = orjson.dumps(content)
    except TypeError:
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status_code, media_type="application/json")


def _read_body(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> bytes:
    """Call a client method and read its whole answer, in the calling thread.

    Without preloading, the client returns once the headers have arrived;
    reading the body then blocks until the last byte is in, so it belongs in
    the worker thread, never in the event loop.
    """
    answer = fn(*args, _preload_content=False, **kwargs)
    body: bytes = answer.data
    return body


def _parse(data: bytes) -> Any:
    """Parse a JSON document; raise ``ValueError`` if it is not one."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # Valid JSON that orjson does not take, or no JSON: the standard
        # library tells which.
        return json.loads(data)
