"""The registry builds each cluster's client once and rebuilds it on change."""

from collections.abc import Mapping
from typing import Any

import pytest
from factories import make_cluster, make_secret
from kubernetes.client import ApiClient, V1Secret

from mayyam.api.errors import ClusterNotFoundError, NotReadyError
from mayyam.api.registry import ClusterRegistry
from mayyam.core.errors import CredentialsError


class CountingBuilder:
    """Builds plain clients and remembers what it was asked to build from."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.closed: list[ApiClient] = []

    def __call__(self, cluster: Mapping[str, Any], secret: V1Secret | None) -> ApiClient:
        version = secret.metadata.resource_version if secret is not None else None
        self.calls.append((cluster["metadata"]["resourceVersion"], version))
        if secret is None:
            raise CredentialsError("No Secret.", reason="SecretNotFound")

        client = ApiClient()
        client.close = lambda: self.closed.append(client)
        return client


@pytest.fixture
def builder() -> CountingBuilder:
    return CountingBuilder()


@pytest.fixture
def registry(builder: CountingBuilder) -> ClusterRegistry:
    registry = ClusterRegistry(builder)
    registry.replace_clusters([make_cluster()])
    registry.replace_secrets([make_secret({"token": "t"})])
    return registry


def test_a_client_is_built_once_and_reused(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    first = registry.client_for("fake")
    second = registry.client_for("fake")

    assert first is second
    assert builder.calls == [("1", "1")]


def test_the_same_objects_seen_again_do_not_rebuild_the_client(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    first = registry.client_for("fake")
    registry.put_cluster(make_cluster())
    registry.replace_secrets([make_secret({"token": "t"})])

    assert registry.client_for("fake") is first
    assert len(builder.calls) == 1


def test_a_changed_cluster_rebuilds_the_client_and_closes_the_old_one(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    first = registry.client_for("fake")
    registry.put_cluster(make_cluster(resource_version="2"))

    second = registry.client_for("fake")

    assert second is not first
    assert builder.calls == [("1", "1"), ("2", "1")]
    assert builder.closed == [first]


def test_a_changed_secret_rebuilds_the_client(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    first = registry.client_for("fake")
    registry.put_secret(make_secret({"token": "rotated"}, resource_version="7"))

    assert registry.client_for("fake") is not first
    assert builder.calls[-1] == ("1", "7")


def test_another_secret_changing_does_not_rebuild_the_client(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    first = registry.client_for("fake")
    registry.put_secret(make_secret({"token": "x"}, name="unrelated", resource_version="9"))

    assert registry.client_for("fake") is first


def test_a_failure_to_build_is_kept_until_the_objects_change(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    registry.remove_secret("fake-credentials")

    for _ in range(3):
        with pytest.raises(CredentialsError):
            registry.client_for("fake")
    assert builder.calls == [("1", None)]

    registry.put_secret(make_secret({"token": "t"}, resource_version="2"))
    registry.client_for("fake")
    assert builder.calls[-1] == ("1", "2")


def test_a_removed_cluster_is_not_found_and_its_client_closed(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    client = registry.client_for("fake")
    registry.remove_cluster("fake")

    with pytest.raises(ClusterNotFoundError):
        registry.client_for("fake")
    assert builder.closed == [client]
    assert registry.cluster_names() == []


def test_a_fresh_list_drops_clusters_that_are_gone(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    client = registry.client_for("fake")
    registry.replace_clusters([make_cluster(name="other")])

    assert registry.cluster_names() == ["other"]
    assert builder.closed == [client]


def test_nothing_is_served_before_both_lists_arrived(builder: CountingBuilder) -> None:
    registry = ClusterRegistry(builder)
    registry.replace_clusters([make_cluster()])

    assert not registry.ready
    with pytest.raises(NotReadyError):
        registry.client_for("fake")

    registry.replace_secrets([])
    assert registry.ready


def test_the_built_client_is_handed_out_without_waiting_only_while_current(
    registry: ClusterRegistry, builder: CountingBuilder
) -> None:
    assert registry.built_client("fake") is None

    client = registry.client_for("fake")
    assert registry.built_client("fake") is client

    registry.put_secret(make_secret({"token": "rotated"}, resource_version="7"))
    assert registry.built_client("fake") is None
    assert registry.built_client("unknown") is None
    assert len(builder.calls) == 1


def test_the_built_client_is_not_waited_for_while_another_thread_holds_the_registry(
    registry: ClusterRegistry,
) -> None:
    registry.client_for("fake")

    with registry._lock:
        assert registry.built_client("fake") is None
