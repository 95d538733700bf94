"""Kubernetes' rules for keys, labels, annotations and sizes, as pydantic types.

The API server refuses a ConfigMap or a Secret that breaks these rules with
422 Invalid. Checking them in the request body first gives the same answer
without a call to the cluster, and names the offending field in ``details``
(``body.data.<key>.[key]``, ``body.labels.<key>``). The rules are those of
Kubernetes' own validation: a key of ``data`` is ``[-._a-zA-Z0-9]+`` of at
most 253 characters and not ``.``, ``..`` or ``..*``; label and annotation
keys are qualified names (``[prefix/]name``); label values are at most 63
characters; annotations total at most 256 KiB; and the values of a
ConfigMap or Secret total at most 1 MiB.

Error messages name keys and limits, never a value: a value may be a secret.
"""

import binascii
import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

#: The most bytes the values of one ConfigMap or Secret may total.
MAX_VALUES_BYTES = 1024 * 1024

#: The most bytes the keys and values of an object's annotations may total.
MAX_ANNOTATIONS_BYTES = 256 * 1024

_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def _invalid(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def check_data_key(key: str) -> str:
    """A key of ``data`` or ``binaryData``; it becomes a file name in volumes."""
    if len(key) > 253:
        raise _invalid("data_key", "a key must be no more than 253 characters")
    if not _DATA_KEY.fullmatch(key):
        raise _invalid("data_key", "a key must consist of alphanumeric characters, '-', '_' or '.'")
    if key in (".", "..") or key.startswith(".."):
        raise _invalid("data_key", "a key must not be '.' or '..', nor start with '..'")
    return key


def check_qualified_name(key: str) -> str:
    """A label or annotation key: a name with an optional DNS subdomain prefix."""
    prefix, slash, name = key.rpartition("/")
    if "/" in prefix:
        raise _invalid("qualified_name", "a key may hold at most one '/'")
    if slash and not prefix:
        raise _invalid("qualified_name", "the prefix before '/' must not be empty")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        raise _invalid(
            "qualified_name",
            "the prefix before '/' must be a lowercase DNS subdomain of at most 253 characters",
        )
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        raise _invalid(
            "qualified_name",
            "the name must be 1 to 63 alphanumeric characters, '-', '_' or '.', "
            "starting and ending with an alphanumeric character",
        )
    return key


def check_annotation_key(key: str) -> str:
    """An annotation key: a qualified name, whose prefix may hold capitals."""
    check_qualified_name(key.lower())
    return key


def check_label_value(value: str) -> str:
    """A label value: empty, or up to 63 characters like a qualified name."""
    if value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
        raise _invalid(
            "label_value",
            "a label value must be empty or 1 to 63 alphanumeric characters, '-', '_' or '.', "
            "starting and ending with an alphanumeric character",
        )
    return value


def check_base64(value: str) -> str:
    """A value of ``binaryData``: standard base64 with padding, no line breaks."""
    try:
        binascii.a2b_base64(value, strict_mode=True)
    except binascii.Error:
        raise _invalid(
            "base64", "the value is not valid base64 (standard alphabet, padded)"
        ) from None
    return value


def check_annotations_size(annotations: dict[str, str]) -> dict[str, str]:
    """Annotations must total at most `MAX_ANNOTATIONS_BYTES`."""
    total = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if total > MAX_ANNOTATIONS_BYTES:
        raise PydanticCustomError(
            "too_long",
            "the annotations total {total} bytes; Kubernetes allows at most {limit}",
            {"total": total, "limit": MAX_ANNOTATIONS_BYTES},
        )
    return annotations


def check_values_size(sizes: Iterable[int], kind: str) -> None:
    """The values of a ConfigMap or Secret must total at most 1 MiB."""
    total = sum(sizes)
    if total > MAX_VALUES_BYTES:
        raise PydanticCustomError(
            "too_long",
            "the values of the {kind} total {total} bytes; "
            "Kubernetes allows at most {limit} bytes (1 MiB)",
            {"kind": kind, "total": total, "limit": MAX_VALUES_BYTES},
        )


def check_disjoint(data: Iterable[str], binary_data: Iterable[str]) -> None:
    """No key may be both in ``data`` and in ``binaryData``."""
    both = sorted(set(data) & set(binary_data))
    if both:
        raise PydanticCustomError(
            "duplicate_key",
            "keys may not be in both data and binaryData: {keys}",
            {"keys": ", ".join(both)},
        )


def decoded_size(value: str) -> int:
    """The number of bytes a valid base64 value stands for."""
    return len(value) // 4 * 3 - value[-2:].count("=")


DataKey = Annotated[str, AfterValidator(check_data_key)]
Base64Value = Annotated[str, AfterValidator(check_base64)]
LabelKey = Annotated[str, AfterValidator(check_qualified_name)]
LabelValue = Annotated[str, AfterValidator(check_label_value)]
AnnotationKey = Annotated[str, AfterValidator(check_annotation_key)]

Labels = dict[LabelKey, LabelValue]
Annotations = Annotated[dict[AnnotationKey, str], AfterValidator(check_annotations_size)]
