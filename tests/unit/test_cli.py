"""The mayyam command line."""

import logging
from collections.abc import Iterator

import jwt
import pytest
from factories import JWT_SECRET

from mayyam.cli import main


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() installs a log handler; later tests must not write through it."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_mayyam_handler", False)]:
        root.removeHandler(handler)


def test_token_prints_a_jwt_for_the_user_and_roles(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAYYAM_JWT_SECRET", JWT_SECRET)

    status = main(["token", "--sub", "alice", "--roles", "viewer, editor", "--ttl", "60"])

    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert status == 0
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["viewer", "editor"]
    assert claims["exp"] - claims["iat"] == 60


def test_token_without_a_secret_fails_naming_the_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["token", "--sub", "alice"])

    assert status == 2
    assert "MAYYAM_JWT_SECRET" in capsys.readouterr().err


def test_token_with_a_short_secret_fails_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAYYAM_JWT_SECRET", "too-short-to-sign")

    status = main(["token", "--sub", "alice"])

    error = capsys.readouterr().err
    assert status == 2
    assert "MAYYAM_JWT_SECRET" in error
    assert "too-short-to-sign" not in error


def test_token_refuses_a_ttl_that_is_not_positive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAYYAM_JWT_SECRET", JWT_SECRET)

    assert main(["token", "--sub", "alice", "--ttl", "0"]) == 2
    assert "--ttl" in capsys.readouterr().err


def test_the_operator_fails_clearly_without_a_management_cluster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    assert main(["operator"]) == 1
    assert "MAYYAM_KUBECONFIG" in capsys.readouterr().err


def test_the_log_format_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mayyam.core.logs import JsonFormatter

    monkeypatch.setenv("MAYYAM_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("MAYYAM_LOG_FORMAT", "json")

    assert main(["token", "--sub", "alice"]) == 0
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_mayyam_handler", False)]
    assert [type(h.formatter) for h in ours] == [JsonFormatter]


def test_an_unknown_log_format_is_refused_by_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAYYAM_LOG_FORMAT", "xml")

    assert main(["token", "--sub", "alice"]) == 2
    assert "MAYYAM_LOG_FORMAT" in capsys.readouterr().err
