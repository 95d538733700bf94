"""Running the operator: kopf, configured for Mayyam, in one namespace.

kopf watches; the `ClusterMonitor` probes and the `LeaseElector` decides
whether this replica may. kopf itself runs standalone, without its peering
(which would need a CRD of its own): the Lease does that job. Should kopf
ever keep bookkeeping in MayyamClusters, it goes to annotations under the
``mayyam.io/`` prefix, never into ``status``, which belongs to Mayyam's own
schema.
"""

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any

import kopf
from kubernetes.client import ApiClient, Configuration

from mayyam.core import crd
from mayyam.core.config import Settings
from mayyam.core.errors import MayyamError
from mayyam.core.management import load_management_client, load_management_configuration
from mayyam.operator.config import OperatorSettings
from mayyam.operator.handlers import quiet_observers, register_handlers
from mayyam.operator.leader import LeaseElector
from mayyam.operator.monitor import ClusterMonitor
from mayyam.operator.probe import ClusterProber
from mayyam.operator.status import StatusWriter

logger = logging.getLogger(__name__)


def run_operator(
    settings: OperatorSettings,
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
    settings: OperatorSettings,
    *,
    stop_flag: threading.Event | None = None,
    ready_flag: threading.Event | None = None,
) -> None:
    """Run the operator in the current event loop; see `run_operator`.

    Raises `OperatorCrashedError` when a background task fails, so that the
    process exits with an error and gets restarted.
    """
    # Fail before kopf starts if the management cluster is not configured.
    management = load_management_client(
        settings.kubeconfig, service_account_dir=settings.service_account_dir
    )
    crashed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
    try:
        registry = build_registry(settings, management, crashed)
        logger.info(
            "Watching MayyamClusters in namespace %r as %r.", settings.namespace, settings.identity
        )
        await _run_until_crash(
            kopf.operator(
                registry=registry,
                settings=build_kopf_settings(),
                standalone=True,
                clusterwide=False,
                namespaces=[settings.namespace],
                stop_flag=stop_flag,
                ready_flag=ready_flag,
            ),
            crashed,
        )
    finally:
        management.close()


async def _run_until_crash(
    operator: Coroutine[Any, Any, None], crashed: "asyncio.Future[BaseException]"
) -> None:
    """Run kopf until it stops, or stop it when a background task crashed."""
    kopf_task = asyncio.create_task(operator)
    waited: set[asyncio.Future[Any]] = {kopf_task, crashed}
    await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    if crashed.done():
        kopf_task.cancel()
        await asyncio.gather(kopf_task, return_exceptions=True)
        raise OperatorCrashedError("A background task of the operator failed.")
    await kopf_task


class OperatorCrashedError(MayyamError):
    """A task the operator cannot work without has failed."""

    reason = "OperatorCrashed"


def build_registry(
    settings: OperatorSettings,
    management: ApiClient,
    crashed: "asyncio.Future[BaseException]",
) -> kopf.OperatorRegistry:
    """kopf's registry with Mayyam's login, handlers and background tasks."""
    monitor = ClusterMonitor(
        ClusterProber(management, settings), StatusWriter(management, settings), settings
    )
    elector = None
    if settings.leader_election:
        elector = LeaseElector(management, settings, monitor.set_active)

    def report_crash(error: BaseException) -> None:
        if not crashed.done():
            crashed.set_result(error)

    quiet_observers()
    registry = kopf.OperatorRegistry()
    register_login(registry, settings)
    register_handlers(registry, monitor, elector, on_crash=report_crash)
    return registry


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
    # which Mayyam does not use; should one appear, it carries our name (and
    # kopf removes it again, as no handler needs it).
    settings.persistence.finalizer = f"{crd.ANNOTATION_PREFIX}/finalizer"

    # Warnings of kopf's object loggers become Events; the Ready changes are
    # posted as Events of their own by the StatusWriter.
    settings.posting.level = logging.WARNING
    settings.peering.standalone = True

    # One namespace, named exactly, and one CRD, there before the operator
    # starts: kopf need not watch namespaces and CRDs across the cluster,
    # and the operator needs no rights outside its namespace.
    settings.scanning.disabled = True
    return settings


def register_login(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    """Make kopf reach the management cluster exactly as the rest of Mayyam does."""

    def login_to_management_cluster(**_: Any) -> kopf.ConnectionInfo:
        configuration = load_management_configuration(
            settings.kubeconfig, service_account_dir=settings.service_account_dir
        )
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
