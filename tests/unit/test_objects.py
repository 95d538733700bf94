"""Objects passed through as JSON: parsed and written without changing them."""

import asyncio
import json
import math
import threading
from typing import Any

import pytest
from kubernetes.client import ApiClient

from mayyam.api.concurrency import ClusterThreads
from mayyam.api.deps import Cluster
from mayyam.api.objects import _parse, json_response, read_raw


def test_an_object_is_written_back_as_it_was_parsed() -> None:
    document = (
        b'{"metadata":{"name":"caf\xc3\xa9","generation":9223372036854775807},"x":[1.5,null,true]}'
    )

    parsed = _parse(document)

    assert parsed["metadata"]["generation"] == 2**63 - 1
    assert json_response(parsed).body == document


def test_json_the_fast_parser_refuses_is_still_read() -> None:
    assert math.isnan(_parse(b'{"n": NaN}')["n"])


def test_integers_beyond_64_bits_are_written_exactly() -> None:
    body = json_response({"n": 2**70}).body

    assert json.loads(body) == {"n": 2**70}


def test_what_is_not_json_raises_a_value_error() -> None:
    with pytest.raises(ValueError):
        _parse(b"<html>")


class _Answer:
    """An answer whose body is read when ``data`` is first asked for, as urllib3's is."""

    def __init__(self) -> None:
        self.read_in: threading.Thread | None = None

    @property
    def data(self) -> bytes:
        self.read_in = threading.current_thread()
        return b'{"items": []}'


def test_the_body_of_an_answer_is_read_in_a_worker_thread_not_the_event_loop() -> None:
    answer = _Answer()
    cluster = Cluster("fake", ApiClient(), (1, 1), ClusterThreads(1))

    async def read() -> Any:
        return await read_raw(cluster, lambda **_: answer)

    assert asyncio.run(read()) == {"items": []}
    assert answer.read_in is not None
    assert answer.read_in is not threading.main_thread()
