"""What a Secret looks like through Mayyam: keys and metadata, no value anywhere."""

import base64
import json

from mayyam.api.redaction import (
    LAST_APPLIED_ANNOTATION,
    REDACTED,
    redact_secret,
    restore_hidden_annotations,
    scrub,
)

PASSWORD = "correct-horse-battery-staple"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(**fields) -> dict:
    """A Secret as the API server returns it, with one password."""
    applied = {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": PASSWORD}}
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "apps",
            "uid": "1234",
            "resourceVersion": "77",
            "labels": {"app": "db"},
            "annotations": {
                LAST_APPLIED_ANNOTATION: json.dumps(applied),
                "team": "storage",
            },
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:data": {"f:password": {}}}}],
        },
        "type": "Opaque",
        "data": {"password": b64(PASSWORD), "user": b64("admin")},
    }
    obj.update(fields)
    return obj


def test_every_value_is_replaced_by_the_marker_and_the_keys_are_kept() -> None:
    shown = redact_secret(secret())

    assert shown["data"] == {"password": REDACTED, "user": REDACTED}
    assert shown["type"] == "Opaque"


def test_string_data_values_are_redacted_too() -> None:
    shown = redact_secret(secret(stringData={"token": "plain-token-value"}))

    assert shown["stringData"] == {"token": REDACTED}
    assert "plain-token-value" not in json.dumps(shown)


def test_the_last_applied_annotation_and_managed_fields_are_dropped() -> None:
    shown = redact_secret(secret())

    assert LAST_APPLIED_ANNOTATION not in shown["metadata"]["annotations"]
    assert "managedFields" not in shown["metadata"]
    assert PASSWORD not in json.dumps(shown)
    assert b64(PASSWORD) not in json.dumps(shown)


def test_other_metadata_is_kept() -> None:
    shown = redact_secret(secret())

    metadata = shown["metadata"]
    assert metadata["annotations"] == {"team": "storage"}
    assert metadata["labels"] == {"app": "db"}
    assert metadata["ownerReferences"][0]["name"] == "p"
    assert (metadata["name"], metadata["namespace"], metadata["resourceVersion"]) == (
        "db",
        "apps",
        "77",
    )


def test_an_annotation_holding_a_value_is_redacted_in_plaintext_and_in_base64() -> None:
    annotations = {
        "copy/plain": f"password was {PASSWORD}",
        "copy/encoded": f"data: {b64(PASSWORD)}",
        "innocent": "admin",
    }
    original = secret()
    original["metadata"]["annotations"] = annotations

    shown = redact_secret(original)

    assert shown["metadata"]["annotations"] == {
        "copy/plain": REDACTED,
        "copy/encoded": REDACTED,
        # "admin" is a value, but too short to be told from ordinary text.
        "innocent": "admin",
    }


def test_the_annotations_of_a_service_account_token_are_shown() -> None:
    token = secret(
        type="kubernetes.io/service-account-token",
        data={"token": b64("eyJhbGciOi.payload.signature"), "namespace": b64("default")},
    )
    token["metadata"]["annotations"] = {
        "kubernetes.io/service-account.name": "default",
        "kubernetes.io/service-account.uid": "0c9a7e3e-8a3b-4d2f-9a57-0a1b2c3d4e5f",
    }

    shown = redact_secret(token)

    assert shown["metadata"]["annotations"] == token["metadata"]["annotations"]
    assert shown["data"] == {"token": REDACTED, "namespace": REDACTED}


def test_fields_not_known_to_be_safe_are_left_out() -> None:
    shown = redact_secret(secret(status={"copy": PASSWORD}, spec={"value": PASSWORD}))

    assert set(shown) == {"apiVersion", "kind", "metadata", "type", "data"}


def test_a_secret_without_values_or_metadata_is_shown_as_it_is() -> None:
    assert redact_secret({"apiVersion": "v1", "kind": "Secret"}) == {
        "apiVersion": "v1",
        "kind": "Secret",
    }


def test_redaction_leaves_the_original_object_alone() -> None:
    original = secret()

    redact_secret(original)

    assert original["data"]["password"] == b64(PASSWORD)
    assert LAST_APPLIED_ANNOTATION in original["metadata"]["annotations"]


def test_scrub_replaces_every_occurrence_of_the_values() -> None:
    text = f"invalid {PASSWORD!r}, also {b64(PASSWORD)}"

    assert scrub(text, [PASSWORD, b64(PASSWORD)]) == f"invalid '{REDACTED}', also {REDACTED}"


def test_a_put_keeps_hidden_annotations_and_those_sent_back_redacted() -> None:
    current = {LAST_APPLIED_ANNOTATION: "{...}", "copy": "secret", "team": "storage"}
    given = {"copy": REDACTED, "team": "search", "new": REDACTED}

    assert restore_hidden_annotations(current, given) == {
        LAST_APPLIED_ANNOTATION: "{...}",
        "copy": "secret",
        "team": "search",
        # Nothing to keep: the marker is what the caller wrote.
        "new": REDACTED,
    }


def test_a_put_may_replace_a_hidden_annotation_by_naming_it() -> None:
    current = {LAST_APPLIED_ANNOTATION: "{old}"}

    assert restore_hidden_annotations(current, {LAST_APPLIED_ANNOTATION: "{new}"}) == {
        LAST_APPLIED_ANNOTATION: "{new}"
    }
