"""Kubernetes' rules for names, keys, labels, annotations and sizes, checked before a call.

A request that Kubernetes would refuse is refused here first, with a 422
whose ``details`` name the field (``body.name``, ``body.labels.<key>``,
``body.data.<key>.[key]``), so the caller learns all that is wrong at once
and the cluster never sees the request. The rules are those of the API
server's validation:

- a DNS-1123 label (namespace names): lower-case letters, digits and
  ``-``, starting and ending with a letter or digit, at most 63 characters;
- a DNS-1123 subdomain (most object names, the prefix of a qualified name):
  such labels joined by ``.``, at most 253 characters;
- a qualified name (label and annotation keys): an optional subdomain
  prefix and ``/``, then a name of at most 63 letters, digits, ``-``, ``_``
  and ``.``, starting and ending with a letter or digit. Annotation keys are
  checked lower-cased, so their prefix may hold capitals;
- a label value: empty, or what the name part of a qualified name may be;
- a key of the values of a ConfigMap or Secret (``data``, ``binaryData``):
  at most 253 letters, digits, ``-``, ``_`` and ``.``, and neither ``.``
  nor ``..`` nor starting with ``..``, since it becomes a file name in
  volumes;
- annotations total at most 256 KiB, and the values of a ConfigMap or
  Secret at most 1 MiB.

Each ``check_*`` function returns the problems it found, as sentences, and
an empty list for a valid input. A problem names keys and limits, never a
value: a value may be a secret. `check_labels` and `check_annotations`
check a whole mapping and return `Problem` objects naming the entry; routes
raise them with `validation_error`. Body models use the ``Annotated`` types
at the end, which run the same checks inside pydantic; a model's own
validator raises what it finds with `raise_problems`.
"""

import binascii
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

T = TypeVar("T")

#: The longest DNS-1123 label, and the longest name part of a qualified name.
MAX_LABEL_LENGTH = 63

#: The longest DNS-1123 subdomain, and the longest key of a ConfigMap's values.
MAX_SUBDOMAIN_LENGTH = 253

#: The most bytes that all annotations of one object may hold together.
MAX_ANNOTATIONS_BYTES = 256 * 1024

#: The most bytes that the values of one ConfigMap or Secret may hold together.
MAX_VALUES_BYTES = 1024 * 1024

#: A DNS-1123 label and subdomain, whole: also the patterns of path parameters.
LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

_DNS1123_LABEL = re.compile(LABEL_PATTERN)
_DNS1123_SUBDOMAIN = re.compile(SUBDOMAIN_PATTERN)
_QUALIFIED_NAME_PART = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]+")

_LABEL_RULE = (
    "must hold only lower-case letters, digits and '-', and start and end "
    "with a letter or digit (e.g. 'web-1')"
)
_SUBDOMAIN_RULE = (
    "must hold only lower-case letters, digits, '-' and '.', with a letter or "
    "digit at both ends of each part between dots (e.g. 'example.com')"
)
_NAME_PART_RULE = (
    "must hold only letters, digits, '-', '_' and '.', and start and end with "
    "a letter or digit (e.g. 'app', 'Web_1')"
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (``loc``) and what (``message``)."""

    loc: tuple[str, ...]
    message: str


def _too_long(value: str, limit: int) -> list[str]:
    return [f"must be at most {limit} characters"] if len(value) > limit else []


def check_dns1123_label(value: str) -> list[str]:
    """Problems of ``value`` as a DNS-1123 label, e.g. a namespace name."""
    if not value:
        return ["must not be empty"]
    problems = _too_long(value, MAX_LABEL_LENGTH)
    if not _DNS1123_LABEL.fullmatch(value):
        problems.append(_LABEL_RULE)
    return problems


def check_dns1123_subdomain(value: str) -> list[str]:
    """Problems of ``value`` as a DNS-1123 subdomain, e.g. a ConfigMap's name."""
    if not value:
        return ["must not be empty"]
    problems = _too_long(value, MAX_SUBDOMAIN_LENGTH)
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        problems.append(_SUBDOMAIN_RULE)
    return problems


def check_qualified_name(key: str) -> list[str]:
    """Problems of ``key`` as a qualified name, ``[prefix/]name``: a label key."""
    prefix, slash, name = key.rpartition("/")
    if slash and "/" in prefix:
        return ["must hold at most one '/', between the prefix and the name"]

    problems = []
    if slash:
        problems += [f"prefix {problem}" for problem in check_dns1123_subdomain(prefix)]
    if not name:
        problems.append("name part must not be empty")
        return problems
    problems += [f"name part {problem}" for problem in _too_long(name, MAX_LABEL_LENGTH)]
    if not _QUALIFIED_NAME_PART.fullmatch(name):
        problems.append(f"name part {_NAME_PART_RULE}")
    return problems


def check_annotation_key(key: str) -> list[str]:
    """Problems of ``key`` as an annotation key: a qualified name in any case."""
    # Kubernetes lower-cases annotation keys before checking them.
    return check_qualified_name(key.lower())


def check_label_value(value: str) -> list[str]:
    """Problems of ``value`` as a label value; the empty value is valid."""
    if not value:
        return []
    problems = _too_long(value, MAX_LABEL_LENGTH)
    if not _QUALIFIED_NAME_PART.fullmatch(value):
        problems.append(f"must be empty or {_NAME_PART_RULE.removeprefix('must ')}")
    return problems


def check_data_key(key: str) -> list[str]:
    """Problems of ``key`` as a key of ``data`` or ``binaryData``."""
    if not key:
        return ["must not be empty"]
    problems = _too_long(key, MAX_SUBDOMAIN_LENGTH)
    if not _DATA_KEY.fullmatch(key):
        problems.append("must hold only letters, digits, '-', '_' and '.'")
    if key in (".", "..") or key.startswith(".."):
        problems.append("must not be '.' or '..', nor start with '..'")
    return problems


def check_base64(value: str) -> list[str]:
    """Problems of ``value`` as a value of ``binaryData``; it is not echoed."""
    try:
        binascii.a2b_base64(value, strict_mode=True)
    except binascii.Error:
        return ["must be base64 of the standard alphabet, padded, without line breaks"]
    return []


def check_annotations_size(annotations: Mapping[str, str]) -> list[str]:
    """Problems of the size of all annotations of an object together."""
    size = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if size > MAX_ANNOTATIONS_BYTES:
        return [f"must hold at most {MAX_ANNOTATIONS_BYTES} bytes together, not {size}"]
    return []


def check_values(data: Mapping[str, str], binary_data: Mapping[str, str], kind: str) -> list[str]:
    """Problems of the values of a ConfigMap or Secret together.

    ``data`` holds text, ``binaryData`` base64 that `check_base64` accepted;
    ``kind`` names the object in the message.
    """
    problems = []
    both = sorted(set(data) & set(binary_data))
    if both:
        problems.append(f"keys may not be in both data and binaryData: {', '.join(both)}")

    size = sum(len(value.encode()) for value in data.values())
    size += sum(decoded_size(value) for value in binary_data.values())
    if size > MAX_VALUES_BYTES:
        problems.append(
            f"the values of the {kind} total {size} bytes; "
            f"Kubernetes allows at most {MAX_VALUES_BYTES} bytes (1 MiB)"
        )
    return problems


def decoded_size(value: str) -> int:
    """The number of bytes a valid base64 value stands for."""
    return len(value) // 4 * 3 - value[-2:].count("=")


def check_labels(labels: Mapping[str, str], loc: tuple[str, ...] = ("labels",)) -> list[Problem]:
    """Problems of a map of labels; each names its key below ``loc``."""
    problems = []
    for key, value in labels.items():
        problems += [
            Problem((*loc, key, "[key]"), message) for message in check_qualified_name(key)
        ]
        problems += [Problem((*loc, key), message) for message in check_label_value(value)]
    return problems


def check_annotations(
    annotations: Mapping[str, str], loc: tuple[str, ...] = ("annotations",)
) -> list[Problem]:
    """Problems of a map of annotations: their keys, and their total size."""
    problems = []
    for key in annotations:
        problems += [
            Problem((*loc, key, "[key]"), message) for message in check_annotation_key(key)
        ]
    problems += [Problem(loc, message) for message in check_annotations_size(annotations)]
    return problems


def validation_error(problems: Iterable[Problem], source: str = "body") -> RequestValidationError:
    """The 422 of ``problems`` found in the request's ``source`` (``body``, ``path``)."""
    return RequestValidationError(
        [
            {"loc": (source, *problem.loc), "msg": problem.message, "type": "value_error"}
            for problem in problems
        ]
    )


def raise_problems(problems: list[str]) -> None:
    """Fail the pydantic validation that is running with ``problems``, if any."""
    if problems:
        # A custom error, so that the message is ours without a prefix; the
        # text goes in as context, so that braces in it are not a template.
        raise PydanticCustomError(
            "kubernetes_rule", "{problems}", {"problems": "; ".join(problems)}
        )


def _validator(check: Callable[[T], list[str]]) -> AfterValidator:
    """A pydantic validator that fails with the problems ``check`` finds."""

    def validate(value: T) -> T:
        raise_problems(check(value))
        return value

    return AfterValidator(validate)


def _documented(max_length: int, pattern: str) -> Any:
    """The length and pattern for the OpenAPI document; the checks enforce them."""
    return Field(json_schema_extra={"maxLength": max_length, "pattern": pattern})


#: A namespace name in a request body.
NamespaceNameField = Annotated[
    str,
    _validator(check_dns1123_label),
    _documented(MAX_LABEL_LENGTH, LABEL_PATTERN),
]

#: An object name in a request body.
ObjectNameField = Annotated[
    str,
    _validator(check_dns1123_subdomain),
    _documented(MAX_SUBDOMAIN_LENGTH, SUBDOMAIN_PATTERN),
]

#: A label key and a label value in a request body.
LabelKey = Annotated[str, _validator(check_qualified_name)]
LabelValue = Annotated[
    str,
    _validator(check_label_value),
    _documented(MAX_LABEL_LENGTH, f"^({_QUALIFIED_NAME_PART.pattern})?$"),
]

#: Labels in a request body: each invalid key or value is reported on its own.
Labels = dict[LabelKey, LabelValue]

#: Annotations in a request body: each invalid key, then their total size.
AnnotationKey = Annotated[str, _validator(check_annotation_key)]
Annotations = Annotated[dict[AnnotationKey, str], _validator(check_annotations_size)]

#: A key of ``data`` or ``binaryData``, and a value of ``binaryData``.
DataKey = Annotated[str, _validator(check_data_key)]
Base64Value = Annotated[str, _validator(check_base64)]
