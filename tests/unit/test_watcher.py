"""The watcher fills the registry from the management cluster."""

import time
from collections.abc import Iterator

import pytest
from factories import CLUSTER_TOKEN, NAMESPACE, make_cluster
from fake_kubernetes import Authority, FakeKubernetes
from kubernetes.client import ApiClient, Configuration, V1Secret

from mayyam.api.config import ApiSettings
from mayyam.api.registry import ClusterRegistry
from mayyam.api.watcher import ClusterWatcher

CLUSTERS = f"/apis/mayyam.io/v1alpha1/namespaces/{NAMESPACE}/mayyamclusters"
SECRETS = f"/api/v1/namespaces/{NAMESPACE}/secrets"


def listing(kind: str, items: list[dict]) -> dict:
    return {"kind": kind, "metadata": {"resourceVersion": "10"}, "items": items}


@pytest.fixture
def management(fake_cluster: FakeKubernetes, authority: Authority) -> ApiClient:
    configuration = Configuration(host=fake_cluster.url)
    configuration.ca_cert_data = authority.pem
    configuration.api_key = {"BearerToken": f"Bearer {CLUSTER_TOKEN}"}
    configuration.retries = 0
    return ApiClient(configuration)


@pytest.fixture
def watched_registry(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> Iterator[ClusterRegistry]:
    fake_cluster.answer(CLUSTERS, listing("MayyamClusterList", [make_cluster(name="listed")]))
    fake_cluster.answer(SECRETS, listing("SecretList", []))
    fake_cluster.events[CLUSTERS] = [
        {"type": "ADDED", "object": make_cluster(name="added")},
        {"type": "DELETED", "object": make_cluster(name="listed")},
    ]

    registry = ClusterRegistry(lambda cluster, secret: ApiClient())
    watcher = ClusterWatcher(management, registry, settings)
    watcher.start()
    yield registry
    watcher.stop()


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def test_listed_and_watched_changes_reach_the_registry(
    watched_registry: ClusterRegistry,
) -> None:
    wait_for(lambda: watched_registry.ready)

    # The watch adds one cluster and deletes the listed one...
    wait_for(lambda: watched_registry.cluster_names() == ["added"])

    # ...and when it ends, the next list is the whole truth again.
    wait_for(lambda: watched_registry.cluster_names() == ["listed"])


def test_watch_events_are_applied_between_lists(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    registry = ClusterRegistry(lambda cluster, secret: ApiClient())
    watcher = ClusterWatcher(management, registry, settings)
    [clusters, _] = watcher._feeds
    registry.replace_clusters([make_cluster(name="listed")])
    events = [
        {"type": "ADDED", "object": make_cluster(name="added")},
        {"type": "MODIFIED", "object": make_cluster(name="added", resource_version="2")},
        {"type": "DELETED", "object": make_cluster(name="listed")},
        {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}},
    ]

    watcher._apply_all(clusters, events)

    assert registry.cluster_names() == ["added"]


def test_secret_events_are_decoded_into_secrets(
    management: ApiClient, settings: ApiSettings, fake_cluster: FakeKubernetes
) -> None:
    seen: list[object] = []

    def remember(cluster, secret):
        seen.append(secret)
        return ApiClient()

    registry = ClusterRegistry(remember)
    watcher = ClusterWatcher(management, registry, settings)
    [clusters, secrets] = watcher._feeds
    fake_cluster.answer(CLUSTERS, listing("MayyamClusterList", [make_cluster()]))
    fake_cluster.answer(SECRETS, listing("SecretList", []))
    fake_cluster.events[SECRETS] = [
        {"type": "ADDED", "object": secret_object("fake-credentials", resource_version="11")}
    ]

    watcher._list(clusters)
    watcher._watch(secrets, watcher._list(secrets))
    registry.client_for("fake")

    [secret] = seen
    assert isinstance(secret, V1Secret)
    assert secret.metadata.resource_version == "11"


def secret_object(name: str, resource_version: str) -> dict:
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": NAMESPACE, "resourceVersion": resource_version},
        "data": {"token": "dG9rZW4="},
    }
