"""How the operator configures kopf, and what kopf is asked to handle."""

import logging
from unittest import mock

import kopf
from kubernetes.client import Configuration

from mayyam.operator.handlers import register_handlers
from mayyam.operator.runner import build_kopf_settings, connection_info, register_login


def test_kopf_keeps_its_state_in_mayyam_annotations_not_in_status() -> None:
    settings = build_kopf_settings()

    progress = settings.persistence.progress_storage
    diffbase = settings.persistence.diffbase_storage
    assert isinstance(progress, kopf.AnnotationsProgressStorage)
    assert isinstance(diffbase, kopf.AnnotationsDiffBaseStorage)
    assert progress.prefix == diffbase.prefix == "mayyam.io"


def test_only_warnings_become_events_and_no_peering_is_needed() -> None:
    settings = build_kopf_settings()

    assert settings.posting.level == logging.WARNING
    assert settings.peering.standalone is True


def test_handlers_cover_create_spec_changes_and_resume_without_finalizers() -> None:
    registry = kopf.OperatorRegistry()

    register_handlers(registry, prober=mock.Mock())

    handlers = registry._changing.get_all_handlers()
    assert sorted(h.id for h in handlers) == [
        "probe-on-change/spec",
        "probe-on-create",
        "probe-on-resume",
    ]
    # Timers, daemons and deletion handlers would each add a finalizer.
    assert registry._spawning.get_all_handlers() == []
    assert all(h.reason != "delete" for h in handlers)


def test_kopf_logs_in_with_the_management_credentials() -> None:
    registry = kopf.OperatorRegistry()
    register_login(registry, mock.Mock(kubeconfig=None, namespace="mayyam"))

    assert [h.id for h in registry._activities.get_all_handlers()] == ["management-cluster"]


def test_a_bearer_token_configuration_becomes_kopf_connection_info() -> None:
    configuration = Configuration(host="https://127.0.0.1:6443")
    configuration.api_key = {"BearerToken": "Bearer abc"}
    configuration.ca_cert_data = "-----BEGIN CERTIFICATE-----"

    info = connection_info(configuration, namespace="mayyam")

    assert (info.server, info.scheme, info.token) == ("https://127.0.0.1:6443", "Bearer", "abc")
    assert info.ca_data == "-----BEGIN CERTIFICATE-----"
    assert info.insecure is False
    assert info.default_namespace == "mayyam"
