"""How the operator configures kopf, and what kopf is asked to handle."""

import logging
from unittest import mock

import kopf
from kubernetes.client import Configuration

from mayyam.operator.handlers import QuietObservers, register_handlers
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


def test_kopf_does_not_scan_the_cluster_so_no_cluster_wide_rights_are_needed() -> None:
    settings = build_kopf_settings()

    assert settings.scanning.disabled is True


def test_kopf_only_watches_so_it_never_adds_a_finalizer_or_patches_objects() -> None:
    registry = kopf.OperatorRegistry()

    register_handlers(registry, monitor=mock.Mock(), elector=mock.Mock())

    watching = registry._watching.get_all_handlers()
    assert sorted(h.id for h in watching) == ["observe-clusters", "observe-secrets"]
    # Change handlers would patch bookkeeping into every object; timers,
    # daemons and deletion handlers would each add a finalizer.
    assert registry._changing.get_all_handlers() == []
    assert registry._spawning.get_all_handlers() == []
    activities = sorted(h.id for h in registry._activities.get_all_handlers())
    assert activities == ["start-tasks", "stop-tasks"]


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


def test_kopf_does_not_log_a_line_for_every_event_the_observers_get() -> None:
    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("kopf.objects", logging.INFO, "", 0, message, None, None)

    quiet = QuietObservers()

    assert not quiet.filter(record("Handler 'observe-clusters' succeeded."))
    assert quiet.filter(record("Handler 'observe-clusters' failed with an exception."))
