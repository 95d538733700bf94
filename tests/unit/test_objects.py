"""Objects passed through as JSON: parsed and written without changing them."""

import json
import math

import pytest

from mayyam.api.objects import _parse, json_response


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
