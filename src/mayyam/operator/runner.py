"""Running the operator: kopf, configured for Mayyam, in one namespace.

kopf keeps its bookkeeping (handler progress and the last handled spec) in
annotations under the ``mayyam.io/`` prefix, not in ``status``: the status
of a MayyamCluster belongs to Mayyam's own schema. The operator runs
standalone, so kopf's peering resources need not be installed.
"""

import asyncio
import logging
import threading
from typing import Any

import kopf
from kubernetes.client import Configuration

from mayyam.core import crd
from mayyam.core.config import Settings
from mayyam.core.management import load_management_client, load_management_configuration
from mayyam.operator.handlers import register_handlers
from mayyam.operator.probe import ClusterProber

logger = logging.getLogger(__name__)


def run_operator(
    settings: Settings,
    *,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator until ``stop_flag`` is set or SIGINT/SIGTERM arrives.

    Signals are only handled when this runs in the main thread; in any other
    thread, pass a ``stop_flag``. ``ready_flag`` is set once kopf has started.
    """
    asyncio.run(operate(settings, stop_flag=stop_flag, ready_flag=ready_flag))


async def operate(
    settings: Settings,
    *,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator in the current event loop; see `run_operator`."""
    # Fail before kopf starts if the management cluster is not configured.
    management = load_management_client(settings.kubeconfig)
    try:
        registry = kopf.OperatorRegistry()
        register_login(registry, settings)
        register_handlers(registry, ClusterProber(management, settings))

        logger.info("Watching MayyamClusters in namespace %r.", settings.namespace)
        await kopf.operator(
            registry=registry,
            settings=build_kopf_settings(),
            standalone=True,
            clusterwide=False,
            namespaces=[settings.namespace],
            stop_flag=stop_flag,
            ready_flag=ready_flag,
        )
    finally:
        management.close()


def build_kopf_settings() -> kopf.OperatorSettings:
    """kopf's settings for Mayyam: annotations for state, Events for warnings."""
    settings = kopf.OperatorSettings()
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=crd.ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=crd.ANNOTATION_PREFIX, key="last-handled-configuration"
    )

    # kopf adds a finalizer only for deletion handlers, daemons and timers,
    # which Mayyam does not use; should one appear, it carries our name.
    settings.persistence.finalizer = f"{crd.ANNOTATION_PREFIX}/finalizer"

    # Routine successes stay in the log; failures also become Events.
    settings.posting.level = logging.WARNING
    settings.peering.standalone = True
    return settings


def register_login(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    """Make kopf reach the management cluster exactly as the rest of Mayyam does."""

    def login_to_management_cluster(**_: Any) -> kopf.ConnectionInfo:
        configuration = load_management_configuration(settings.kubeconfig)
        return connection_info(configuration, namespace=settings.namespace)

    kopf.on.login(id="management-cluster", registry=registry)(login_to_management_cluster)


def connection_info(configuration: Configuration, *, namespace: str) -> kopf.ConnectionInfo:
    """Translate a Kubernetes client configuration into kopf's terms."""
    header = configuration.get_api_key_with_prefix("BearerToken", alias="authorization")
    scheme, token = _split_authorization(header)
    return kopf.ConnectionInfo(
        server=configuration.host,
        ca_path=configuration.ssl_ca_cert or None,
        ca_data=configuration.ca_cert_data or None,
        insecure=not configuration.verify_ssl,
        username=configuration.username or None,
        password=configuration.password or None,
        scheme=scheme,
        token=token,
        certificate_path=configuration.cert_file or None,
        private_key_path=configuration.key_file or None,
        default_namespace=namespace,
    )


def _split_authorization(header: str | None) -> tuple[str | None, str | None]:
    """Split ``Bearer abc`` into its scheme and its credentials."""
    if not header:
        return None, None
    scheme, _, token = header.partition(" ")
    if not token:
        return None, scheme
    return scheme, token
