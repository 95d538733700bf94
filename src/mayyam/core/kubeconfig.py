"""Reading a kubeconfig that a Secret holds, for a client inside a Pod.

A kubeconfig can say many things that make no sense in the operator's or
the API's Pod. Those are refused up front, with a reason that names them,
instead of failing later with a puzzling error:

* ``exec`` and ``auth-provider`` plugins run programs (cloud CLIs) that the
  image does not have, with credentials it does not hold;
* file references (``certificate-authority``, ``client-certificate``,
  ``client-key``, ``tokenFile``) name paths on the machine where the
  kubeconfig was written; read inside the Pod they would name Mayyam's own
  files, its ServiceAccount token among them;
* ``proxy-url``, basic authentication and impersonation are not supported.

What remains is what can be used from memory: the server, embedded
certificates (the ``*-data`` keys), a token, and TLS options.
"""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from mayyam.core.errors import CredentialsError

#: Keys of a kubeconfig's ``cluster`` entry that cannot be honoured, and why.
_UNSUPPORTED_CLUSTER_KEYS = {
    "certificate-authority": "refers to a file; embed it as certificate-authority-data",
    "proxy-url": "sets a proxy, which Mayyam does not support",
}

#: Keys of a kubeconfig's ``user`` entry that cannot be honoured, and why.
_UNSUPPORTED_USER_KEYS = {
    "exec": "runs a credential plugin, which cannot run inside the Pod",
    "auth-provider": "uses an auth-provider plugin, which cannot run inside the Pod",
    "client-certificate": "refers to a file; embed it as client-certificate-data",
    "client-key": "refers to a file; embed it as client-key-data",
    "tokenFile": "refers to a file; put the token itself in token",
    "username": "uses basic authentication, which Kubernetes no longer supports",
    "password": "uses basic authentication, which Kubernetes no longer supports",
    "as": "impersonates another user, which Mayyam does not support",
    "as-groups": "impersonates groups, which Mayyam does not support",
    "as-uid": "impersonates another user, which Mayyam does not support",
    "as-user-extra": "impersonates another user, which Mayyam does not support",
}


@dataclass(frozen=True)
class KubeconfigEndpoint:
    """What one context of a kubeconfig says about reaching its cluster."""

    server: str | None = None
    ca_pem: str | None = None
    insecure: bool = False
    server_name: str | None = None
    token: str | None = None
    client_cert_pem: str | None = None
    client_key_pem: str | None = None


def read_kubeconfig(text: str, *, context: str | None, where: str) -> KubeconfigEndpoint:
    """Read one context of a kubeconfig: ``context``, else the current one.

    ``where`` names the kubeconfig in messages. Raises `CredentialsError`
    with reason ``InvalidKubeconfig`` for text that is not a usable
    kubeconfig and ``KubeconfigUnsupported`` for what cannot run in a Pod.
    """
    config = _parse(text, where)
    context_name = context or config.get("current-context")
    if not context_name:
        raise _invalid(f"{where} sets no current-context and spec.credentials.context is unset.")

    entry = _named(config, "contexts", str(context_name), where)
    cluster = _named(config, "clusters", str(entry.get("cluster", "")), where)
    user = _named(config, "users", str(entry.get("user", "")), where) if entry.get("user") else {}

    _refuse_unsupported(
        cluster, _UNSUPPORTED_CLUSTER_KEYS, f"cluster of context {context_name!r}", where
    )
    _refuse_unsupported(user, _UNSUPPORTED_USER_KEYS, f"user of context {context_name!r}", where)

    return KubeconfigEndpoint(
        server=_text(cluster, "server", where),
        ca_pem=_embedded(cluster, "certificate-authority-data", where),
        insecure=cluster.get("insecure-skip-tls-verify") is True,
        server_name=_text(cluster, "tls-server-name", where),
        token=_text(user, "token", where),
        client_cert_pem=_embedded(user, "client-certificate-data", where),
        client_key_pem=_embedded(user, "client-key-data", where),
    )


def _parse(text: str, where: str) -> Mapping[str, Any]:
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as e:
        # The parser's message quotes the text around the error: not passed on.
        raise _invalid(f"{where} is not valid YAML.") from e
    if not isinstance(config, Mapping) or not isinstance(config.get("contexts"), list):
        raise _invalid(f"{where} is not a kubeconfig: it has no list of contexts.")
    return config


def _named(config: Mapping[str, Any], section: str, name: str, where: str) -> Mapping[str, Any]:
    """The inner object of the entry called ``name`` in a kubeconfig section."""
    singular = section[:-1]
    for item in config.get(section) or []:
        if isinstance(item, Mapping) and item.get("name") == name:
            inner = item.get(singular)
            if not isinstance(inner, Mapping):
                raise _invalid(f"The {singular} {name!r} of {where} is empty.")
            return inner
    raise _invalid(f"{where} has no {singular} named {name!r}.")


def _refuse_unsupported(
    entry: Mapping[str, Any], unsupported: Mapping[str, str], what: str, where: str
) -> None:
    for key, why in unsupported.items():
        if entry.get(key) not in (None, "", [], {}):
            raise CredentialsError(
                f"The {what} in {where} {why} (key {key!r}).", reason="KubeconfigUnsupported"
            )


def _text(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(f"Key {key!r} in {where} is not a string.")
    return value.strip()


def _embedded(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    """Decode a base64 ``*-data`` value into PEM text."""
    value = _text(entry, key, where)
    if value is None:
        return None
    try:
        # Long values are sometimes wrapped over several lines.
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise _invalid(f"Key {key!r} in {where} is not base64-encoded PEM text.") from e


def _invalid(message: str) -> CredentialsError:
    return CredentialsError(message[:1].upper() + message[1:], reason="InvalidKubeconfig")
