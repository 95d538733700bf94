"""Secrets as Mayyam shows them: keys and metadata, never a value.

A viewer may list Secrets to see which exist, their keys, type and metadata;
no answer of the API ever holds a value, and no value is ever logged.
`redact_secret` builds what is shown from an allow-list, so a field that a
later Kubernetes version adds is left out until someone decides it is safe:

- ``data`` and ``stringData``: every value is replaced by `REDACTED`; the
  keys stay, so a client can tell which keys a Secret has.
- ``metadata.managedFields`` is dropped: it is bookkeeping of the API server.
- The annotation ``kubectl.kubernetes.io/last-applied-configuration`` is
  dropped: ``kubectl apply`` stores the whole applied manifest there, values
  (and ``stringData`` in plaintext) included. ``kubectl describe`` hides it
  for the same reason.
- An annotation whose value contains one of the Secret's values, in plaintext
  or in base64, has its value replaced by `REDACTED`: some tools copy what
  they write into annotations. Only values of at least `MIN_MATCHED_BYTES`
  bytes are looked for; shorter ones (``true``, a port, a namespace name)
  would match ordinary metadata by chance and hide it for no gain.
  A copy in another form (compressed, hashed) is not recognized.
- Everything else in ``metadata`` is kept: name, namespace, uid, labels,
  ownerReferences, finalizers and the other annotations are what identifies
  and organizes a Secret (the annotations of a service-account token name
  its ServiceAccount, for instance). Label values are not searched: they
  are limited to 63 characters of a small alphabet and used for selection.
- ``type`` and ``immutable`` are kept; nothing else at the top level is.

A PUT keeps what this view hides: the last-applied annotation stays unless
the body names it, and an annotation sent back with the marker as its value
keeps the value it has.
"""

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

#: What every value of a Secret is replaced by.
REDACTED = "**REDACTED**"

#: Where ``kubectl apply`` keeps the manifest it applied.
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"

#: Annotations never shown for a Secret: they hold copies of its values.
HIDDEN_ANNOTATIONS = frozenset({LAST_APPLIED_ANNOTATION})

#: Values shorter than this are not looked for in annotations and messages.
MIN_MATCHED_BYTES = 8

#: The top-level fields of a Secret that are shown (values redacted).
_SHOWN_FIELDS = ("apiVersion", "kind", "metadata", "type", "immutable", "data", "stringData")

KubeObject = dict[str, Any]


def redact_secret(secret: Mapping[str, Any]) -> KubeObject:
    """The Secret as shown to clients: keys and metadata, no value anywhere."""
    shown: KubeObject = {field: secret[field] for field in _SHOWN_FIELDS if field in secret}
    for field in ("data", "stringData"):
        if isinstance(shown.get(field), Mapping):
            shown[field] = dict.fromkeys(shown[field], REDACTED)

    metadata = secret.get("metadata")
    if isinstance(metadata, Mapping):
        shown["metadata"] = _redacted_metadata(metadata, secret_values(secret))
    return shown


def _redacted_metadata(metadata: Mapping[str, Any], values: list[str]) -> KubeObject:
    shown = {key: value for key, value in metadata.items() if key != "managedFields"}
    annotations = metadata.get("annotations")
    if isinstance(annotations, Mapping):
        shown["annotations"] = {
            key: REDACTED if contains_any(str(value), values) else value
            for key, value in annotations.items()
            if key not in HIDDEN_ANNOTATIONS
        }
    return shown


def secret_values(secret: Mapping[str, Any]) -> list[str]:
    """The forms in which a Secret's values may be copied: base64 and plaintext.

    Only values of at least `MIN_MATCHED_BYTES` bytes are returned.
    """
    forms: list[str] = []
    for encoded in (secret.get("data") or {}).values():
        forms.append(str(encoded))
        forms.extend(_plaintext(str(encoded)))
    forms.extend(str(value) for value in (secret.get("stringData") or {}).values())
    return [form for form in forms if len(form.encode()) >= MIN_MATCHED_BYTES]


def _plaintext(encoded: str) -> list[str]:
    """The text a base64 value stands for, when it is text."""
    try:
        return [base64.b64decode(encoded, validate=True).decode()]
    except (binascii.Error, UnicodeDecodeError):
        return []


def contains_any(text: str, values: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``values``."""
    return any(value in text for value in values)


def scrub(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of ``values`` replaced by `REDACTED`."""
    # Longest first, so that a value holding another is replaced whole.
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def restore_hidden_annotations(
    current: Mapping[str, str], given: Mapping[str, str]
) -> dict[str, str]:
    """The annotations a PUT writes: ``given``, plus what the view hid of ``current``.

    Hidden annotations stay unless ``given`` names them, and an annotation
    given with `REDACTED` as its value keeps its current value.
    """
    annotations = {key: value for key, value in current.items() if key in HIDDEN_ANNOTATIONS}
    for key, value in given.items():
        annotations[key] = current[key] if value == REDACTED and key in current else value
    return annotations
