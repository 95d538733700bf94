"""Tokens verified with a public key, and the audience and issuer checks."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from mayyam.api import ApiSettings, create_app
from mayyam.api.auth import issue_token
from mayyam.api.registry import ClusterRegistry

CLUSTER = "/api/kubernetes/clusters/fake"


def pem_pair(key) -> tuple[str, str]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def rsa_pair() -> tuple[str, str]:
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ec_pair() -> tuple[str, str]:
    return pem_pair(ec.generate_private_key(ec.SECP256R1()))


def app_client(settings: ApiSettings, registry: ClusterRegistry) -> TestClient:
    return TestClient(create_app(settings, registry=registry), raise_server_exceptions=False)


def claims(**extra: object) -> dict[str, object]:
    return {"sub": "carol", "roles": ["viewer"], "exp": int(time.time()) + 600, **extra}


@pytest.mark.parametrize(("algorithm", "pair"), [("RS256", "rsa_pair"), ("ES256", "ec_pair")])
def test_a_token_signed_with_the_private_key_is_accepted(
    algorithm: str, pair: str, registry: ClusterRegistry, request: pytest.FixtureRequest
) -> None:
    private, public = request.getfixturevalue(pair)
    settings = ApiSettings(jwt_public_key=public, jwt_algorithms=[algorithm])
    token = issue_token(settings, subject="carol", roles=["viewer"], signing_key=private)

    with app_client(settings, registry) as client:
        response = client.get(CLUSTER, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text


def test_a_token_signed_with_the_public_key_as_hmac_secret_is_refused(
    rsa_pair: tuple[str, str], registry: ClusterRegistry
) -> None:
    _, public = rsa_pair
    settings = ApiSettings(jwt_public_key=public, jwt_algorithms=["RS256"])
    # The classic confusion attack: HS256 keyed with the public key's text.
    forged = _hmac_token(public.encode(), claims())

    with app_client(settings, registry) as client:
        response = client.get(CLUSTER, headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


def _hmac_token(key: bytes, payload: dict[str, object]) -> str:
    """An HS256 token made by hand: PyJWT itself refuses PEM text as an HMAC key."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = part(json.dumps(payload).encode())
    signature = part(hmac.new(key, header + b"." + body, hashlib.sha256).digest())
    return (header + b"." + body + b"." + signature).decode()


def test_mixing_hmac_and_public_key_algorithms_is_refused(rsa_pair: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="mixes HMAC and public-key"):
        ApiSettings(jwt_public_key=rsa_pair[1], jwt_algorithms=["RS256", "HS256"])


def test_public_key_algorithms_need_a_public_key() -> None:
    with pytest.raises(ValueError, match="MAYYAM_JWT_PUBLIC_KEY"):
        ApiSettings(jwt_algorithms=["ES256"])


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [
        ({"aud": "mayyam", "iss": "https://id.example"}, True),
        ({"aud": ["other", "mayyam"], "iss": "https://id.example"}, True),
        ({"aud": "other", "iss": "https://id.example"}, False),
        ({"iss": "https://id.example"}, False),
        ({"aud": "mayyam", "iss": "https://evil.example"}, False),
        ({"aud": "mayyam"}, False),
    ],
)
def test_audience_and_issuer_are_checked_when_configured(
    extra: dict[str, object], accepted: bool, registry: ClusterRegistry
) -> None:
    secret = "s" * 40
    settings = ApiSettings(
        jwt_secret=secret, jwt_audience="mayyam", jwt_issuer="https://id.example"
    )
    token = jwt.encode(claims(**extra), secret, algorithm="HS256")

    with app_client(settings, registry) as client:
        response = client.get(CLUSTER, headers={"Authorization": f"Bearer {token}"})

    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert response.status_code == 401
