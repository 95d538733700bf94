"""Bearer tokens: who may call the API, and how refusals look."""

import time

import jwt
import pytest
from factories import JWT_SECRET
from fastapi.testclient import TestClient

from mayyam.api.config import ApiSettings

NAMESPACES = "/api/kubernetes/clusters/fake/namespaces"


def sign(claims: dict[str, object], *, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def unsigned(claims: dict[str, object]) -> str:
    """A token that claims ``alg: none`` and carries no signature."""
    return jwt.encode(claims, None, algorithm="none")


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert body["error"] == "UNAUTHORIZED"
    assert body["message"]


def test_a_valid_token_is_accepted(client: TestClient, auth_headers: dict[str, str]) -> None:
    response = client.get(NAMESPACES, headers=auth_headers)

    assert response.status_code != 401


def test_a_request_without_a_token_is_unauthorized(client: TestClient) -> None:
    assert_unauthorized(client.get(NAMESPACES))


def test_a_token_in_another_scheme_is_unauthorized(client: TestClient, token: str) -> None:
    assert_unauthorized(client.get(NAMESPACES, headers={"Authorization": f"Basic {token}"}))


def in_an_hour() -> int:
    return int(time.time()) + 3600


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-jwt", id="malformed"),
        pytest.param(sign({"sub": "alice", "exp": int(time.time()) - 600}), id="expired"),
        pytest.param(unsigned({"sub": "alice", "exp": in_an_hour()}), id="alg-none"),
        pytest.param(
            sign({"sub": "alice", "exp": in_an_hour()}, algorithm="HS512"), id="other-alg"
        ),
        pytest.param(
            sign({"sub": "alice", "exp": in_an_hour()}, key="another-secret-for-unit-tests-" * 3),
            id="wrong-secret",
        ),
        pytest.param(sign({"exp": in_an_hour()}), id="no-sub"),
        pytest.param(sign({"sub": "alice"}), id="no-exp"),
        pytest.param(sign({"sub": "", "exp": in_an_hour()}), id="empty-sub"),
        pytest.param(
            sign({"sub": "alice", "exp": in_an_hour(), "roles": "admin"}), id="roles-not-a-list"
        ),
    ],
)
def test_an_invalid_token_is_unauthorized(client: TestClient, token: str) -> None:
    response = client.get(NAMESPACES, headers={"Authorization": f"Bearer {token}"})

    assert_unauthorized(response)
    assert token not in response.text


def test_a_token_expired_within_the_leeway_is_still_accepted(
    client: TestClient, settings: ApiSettings
) -> None:
    token = sign({"sub": "alice", "exp": int(time.time()) - int(settings.jwt_leeway) + 3})

    response = client.get(NAMESPACES, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code != 401


def test_an_anonymous_caller_cannot_learn_which_clusters_exist(client: TestClient) -> None:
    assert_unauthorized(client.get("/api/kubernetes/clusters/unknown/namespaces"))


def test_health_endpoints_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_settings_refuse_algorithms_without_a_shared_secret() -> None:
    with pytest.raises(ValueError, match="unsupported JWT algorithms"):
        ApiSettings(jwt_secret=JWT_SECRET, jwt_algorithms=["HS256", "none"])


def test_settings_refuse_a_short_secret() -> None:
    with pytest.raises(ValueError, match="MAYYAM_JWT_SECRET"):
        ApiSettings(jwt_secret="short")
