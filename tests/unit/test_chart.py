"""The Helm chart renders least-privilege, locked-down objects, and refuses bad values.

Everything here runs ``helm lint`` and ``helm template`` with the project's
helm, and reads the rendered objects back: no cluster is involved.
"""

from __future__ import annotations

import base64
import os
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from mayyamdev.chart import CHART, HelmError, helm, render, values_file

ROOT = Path(__file__).resolve().parents[2]
CRD_NAME = "mayyamclusters.mayyam.io"

#: Text in the form of a PEM public key; the chart passes it on unread.
PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEk9xkuhtZHjXTQ5E7D2ZAI6xbVZqF\n"
    "5iJ6I+4mJ2UJrxqF3zJ0gSDE4GcVcmq8Cv7GDnSPwhnh1zPlSO7yk+8/6A==\n"
    "-----END PUBLIC KEY-----\n"
)

#: Values unlike every default, to render the chart's other branches.
CUSTOM = {
    "fullnameOverride": "fleet",
    "image": {"repository": "registry.invalid/mayyam", "tag": "1.2.3", "pullPolicy": "Always"},
    "imagePullSecrets": [{"name": "pull"}],
    "logging": {"format": "text", "level": "debug"},
    "jwt": {"existingSecret": "my-jwt", "secretKey": "key", "algorithms": ["HS512"]},
    "operator": {"replicas": 2, "probe": {"intervalSeconds": 5, "workers": 4}},
    "api": {"replicas": 3, "port": 9090, "service": {"type": "NodePort", "port": 8443}},
    "inCluster": {"enabled": True, "clusterName": "home"},
    "networkPolicy": {
        "enabled": True,
        "apiFrom": [{"namespaceSelector": {"matchLabels": {"team": "platform"}}}],
    },
}


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def containers(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        c["name"]: c
        for d in by_kind(objects, "Deployment").values()
        for c in d["spec"]["template"]["spec"]["containers"]
    }


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.fixture(scope="module")
def default() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def custom() -> list[dict[str, Any]]:
    return render(CUSTOM, release="fleet", namespace="platform")


def test_helm_lint_passes_with_default_and_custom_values(tmp_path) -> None:
    helm("lint", "--strict", str(CHART))
    helm("lint", "--strict", str(CHART), f"--values={values_file(CUSTOM, tmp_path)}")


def test_by_default_the_chart_makes_exactly_these_objects_all_in_its_namespace(default) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in default)

    assert kinds == [
        ("Deployment", "mayyam-api"),
        ("Deployment", "mayyam-operator"),
        ("Lease", "mayyam-operator"),
        ("PodDisruptionBudget", "mayyam-api"),
        ("Role", "mayyam-api"),
        ("Role", "mayyam-operator"),
        ("RoleBinding", "mayyam-api"),
        ("RoleBinding", "mayyam-operator"),
        ("Secret", "mayyam-jwt"),
        ("Service", "mayyam-api"),
        ("ServiceAccount", "mayyam-api"),
        ("ServiceAccount", "mayyam-operator"),
    ]


def test_the_operator_role_grants_exactly_what_the_operator_needs(default) -> None:
    rules = by_kind(default, "Role")["mayyam-operator"]["rules"]

    assert rules == [
        {
            "apiGroups": ["mayyam.io"],
            "resources": ["mayyamclusters"],
            "verbs": ["get", "list", "watch", "patch"],
        },
        {
            "apiGroups": ["mayyam.io"],
            "resources": ["mayyamclusters/status"],
            "verbs": ["get", "patch"],
        },
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["mayyam-operator"],
            "verbs": ["get", "update"],
        },
    ]


def test_the_api_role_only_reads_mayyamclusters_and_secrets(default) -> None:
    rules = by_kind(default, "Role")["mayyam-api"]["rules"]

    assert rules == [
        {
            "apiGroups": ["mayyam.io"],
            "resources": ["mayyamclusters"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
    ]


@pytest.mark.parametrize("component", ["operator", "api"])
def test_each_role_is_bound_to_its_own_service_account_only(default, component) -> None:
    name = f"mayyam-{component}"
    binding = by_kind(default, "RoleBinding")[name]
    deployment = by_kind(default, "Deployment")[name]

    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": name,
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": "mayyam"}]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == name


@pytest.mark.parametrize("values", [{}, CUSTOM], ids=["default", "custom"])
def test_every_container_runs_as_non_root_on_a_read_only_root_without_capabilities(values) -> None:
    for deployment in by_kind(render(values), "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["runAsNonRoot"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert container["resources"]["requests"] and container["resources"]["limits"]


def test_one_operator_and_two_api_replicas_run_by_default(default) -> None:
    deployments = by_kind(default, "Deployment")

    assert deployments["mayyam-operator"]["spec"]["replicas"] == 1
    assert deployments["mayyam-api"]["spec"]["replicas"] == 2
    assert by_kind(default, "PodDisruptionBudget")["mayyam-api"]["spec"]["maxUnavailable"] == 1


def test_the_api_is_probed_on_healthz_and_readyz_and_the_operator_not_at_all(default) -> None:
    api, operator = containers(default)["api"], containers(default)["operator"]

    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert api["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert not {"livenessProbe", "readinessProbe", "startupProbe"} & set(operator)


def test_both_components_run_the_same_image_with_their_own_command(default) -> None:
    api, operator = containers(default)["api"], containers(default)["operator"]

    assert api["image"] == operator["image"] == "mayyam:0.1.0"
    assert api["args"] == ["api", "--host", "0.0.0.0", "--port", "8080"]
    assert operator["args"] == ["operator"]


def test_the_api_reads_the_generated_jwt_secret_which_is_long_and_random(default) -> None:
    secret = by_kind(default, "Secret")["mayyam-jwt"]
    value = base64.b64decode(secret["data"]["jwt-secret"]).decode()
    env = env_of(containers(default)["api"])

    assert len(value) == 64 and value.isalnum()
    assert value != base64.b64decode(
        by_kind(render(), "Secret")["mayyam-jwt"]["data"]["jwt-secret"]
    )
    assert env["MAYYAM_JWT_SECRET"] == {"secretKeyRef": {"name": "mayyam-jwt", "key": "jwt-secret"}}
    assert "MAYYAM_JWT_SECRET" not in env_of(containers(default)["operator"])
    assert "helm.sh/resource-policy" not in secret["metadata"].get("annotations", {})


def test_an_existing_jwt_secret_is_used_and_none_is_made(custom) -> None:
    env = env_of(containers(custom)["api"])

    assert by_kind(custom, "Secret") == {}
    assert env["MAYYAM_JWT_SECRET"] == {"secretKeyRef": {"name": "my-jwt", "key": "key"}}
    assert env["MAYYAM_JWT_ALGORITHMS"] == '["HS512"]'


def test_a_public_key_verifies_tokens_and_no_secret_is_made() -> None:
    values = {
        "jwt": {
            "publicKey": PUBLIC_KEY,
            "algorithms": ["ES256"],
            "audience": "mayyam",
            "issuer": "https://id.example",
        }
    }
    objects = render(values)
    env = env_of(containers(objects)["api"])

    assert by_kind(objects, "Secret") == {}
    assert "MAYYAM_JWT_SECRET" not in env
    assert env["MAYYAM_JWT_PUBLIC_KEY"] == PUBLIC_KEY
    assert env["MAYYAM_JWT_ALGORITHMS"] == '["ES256"]'
    assert (env["MAYYAM_JWT_AUDIENCE"], env["MAYYAM_JWT_ISSUER"]) == (
        "mayyam",
        "https://id.example",
    )


def test_custom_values_reach_the_deployments_and_the_service(custom) -> None:
    deployments = by_kind(custom, "Deployment")
    api, operator = containers(custom)["api"], containers(custom)["operator"]
    service = by_kind(custom, "Service")["fleet-api"]

    assert deployments["fleet-operator"]["spec"]["replicas"] == 2
    assert deployments["fleet-api"]["spec"]["replicas"] == 3
    assert api["image"] == operator["image"] == "registry.invalid/mayyam:1.2.3"
    assert api["imagePullPolicy"] == "Always"
    assert deployments["fleet-api"]["spec"]["template"]["spec"]["imagePullSecrets"] == [
        {"name": "pull"}
    ]
    assert api["args"][-1] == "9090" and api["ports"][0]["containerPort"] == 9090
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8443, "targetPort": "http", "protocol": "TCP"}
    ]
    assert env_of(operator)["MAYYAM_PROBE_INTERVAL_SECONDS"] == "5"
    assert env_of(operator)["MAYYAM_PROBE_WORKERS"] == "4"
    assert env_of(operator)["MAYYAM_LOG_FORMAT"] == env_of(api)["MAYYAM_LOG_FORMAT"] == "text"
    assert env_of(operator)["MAYYAM_LEASE_NAME"] == "fleet-operator"


def test_both_components_watch_the_release_namespace(default) -> None:
    for container in containers(default).values():
        assert env_of(container)["MAYYAM_NAMESPACE"] == {
            "fieldRef": {"fieldPath": "metadata.namespace"}
        }


def test_in_cluster_adds_the_only_cluster_wide_rights_and_registers_the_cluster(custom) -> None:
    [role] = by_kind(custom, "ClusterRole").values()
    [binding] = by_kind(custom, "ClusterRoleBinding").values()
    [cluster] = by_kind(custom, "MayyamCluster").values()

    assert role["metadata"]["name"] == "platform-fleet-in-cluster"
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]},
    ]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert {(s["name"], s["namespace"]) for s in binding["subjects"]} == {
        ("fleet-operator", "platform"),
        ("fleet-api", "platform"),
    }
    assert cluster["metadata"]["name"] == "home"
    assert cluster["spec"] == {"displayName": "The management cluster", "inCluster": True}


def test_network_policies_close_the_operator_and_open_only_the_api_port(custom) -> None:
    policies = by_kind(custom, "NetworkPolicy")

    operator, api = policies["fleet-operator"]["spec"], policies["fleet-api"]["spec"]
    assert operator["policyTypes"] == ["Ingress"] and "ingress" not in operator
    assert api["ingress"] == [
        {
            "ports": [{"port": "http", "protocol": "TCP"}],
            "from": [{"namespaceSelector": {"matchLabels": {"team": "platform"}}}],
        }
    ]
    assert api["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "api"


@pytest.mark.parametrize("values", [{}, CUSTOM], ids=["default", "custom"])
def test_every_object_carries_the_standard_labels(values) -> None:
    for obj in render(values, release="fleet"):
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "mayyam", obj["kind"]
        assert labels["app.kubernetes.io/instance"] == "fleet"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/part-of"] == "mayyam"
        assert labels["app.kubernetes.io/component"] in {"operator", "api"}
        assert labels["helm.sh/chart"] == "mayyam-0.1.0"


def test_selectors_match_the_pods_they_select(default) -> None:
    deployments = by_kind(default, "Deployment")
    api_pod_labels = deployments["mayyam-api"]["spec"]["template"]["metadata"]["labels"]

    for deployment in deployments.values():
        selector = deployment["spec"]["selector"]["matchLabels"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
    service_selector = by_kind(default, "Service")["mayyam-api"]["spec"]["selector"]
    assert service_selector.items() <= api_pod_labels.items()
    pdb = by_kind(default, "PodDisruptionBudget")["mayyam-api"]["spec"]["selector"]["matchLabels"]
    assert pdb == service_selector


@pytest.mark.parametrize(
    "values, complaint",
    [
        ({"replicas": 2}, "additional properties 'replicas' not allowed"),
        ({"api": {"replica": 2}}, "additional properties 'replica' not allowed"),
        ({"api": {"replicas": "two"}}, "got string, want integer"),
        ({"api": {"replicas": 0}}, "minimum"),
        ({"operator": {"leaderElection": "yes"}}, "got string, want boolean"),
        ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
        ({"jwt": {"algorithms": ["none"]}}, "algorithms"),
        ({"inCluster": {"clusterName": "Not A Name"}}, "clusterName"),
        ({"networkPolicy": {"apiFrom": [{"pods": {}}]}}, "additional properties 'pods'"),
    ],
    ids=[
        "unknown-top-level-key",
        "unknown-nested-key",
        "string-for-integer",
        "no-api-replica",
        "string-for-boolean",
        "unknown-pull-policy",
        "non-hmac-algorithm",
        "invalid-cluster-name",
        "unknown-peer-field",
    ],
)
def test_the_schema_rejects_unknown_keys_and_bad_types(values, complaint) -> None:
    with pytest.raises(HelmError) as error:
        render(values)

    assert "values don't meet the specifications of the schema" in str(error.value)
    assert complaint in str(error.value)


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"operator": {"replicas": 2, "leaderElection": False}},
            "operator.replicas > 1 needs operator.leaderElection: true",
        ),
        (
            {"networkPolicy": {"apiFrom": [{"podSelector": {}}]}},
            "networkPolicy.apiFrom is set but networkPolicy.enabled is false",
        ),
        (
            {"jwt": {"algorithms": ["RS256"]}},
            "jwt.algorithms has RS256, which needs jwt.publicKey",
        ),
        (
            {"jwt": {"publicKey": PUBLIC_KEY, "algorithms": ["ES256", "HS256"]}},
            "jwt.algorithms has HS256, an HMAC algorithm, but jwt.publicKey is set",
        ),
    ],
    ids=[
        "replicas-without-leader-election",
        "peers-without-network-policy",
        "public-key-algorithm-without-key",
        "hmac-algorithm-with-public-key",
    ],
)
def test_invalid_combinations_fail_with_a_clear_message(values, message) -> None:
    with pytest.raises(HelmError, match=message):
        render(values)


def test_the_crd_has_one_source_shared_by_the_chart_and_the_crds_folder() -> None:
    in_chart = CHART / "crds" / f"{CRD_NAME}.yaml"
    top_level = ROOT / "crds" / f"{CRD_NAME}.yaml"

    # One file: the top-level one is a link to the chart's, so they cannot drift.
    assert top_level.is_symlink() and not in_chart.is_symlink()
    assert os.path.samefile(top_level, in_chart)
    assert sorted(p.name for p in (ROOT / "crds").iterdir()) == [f"{CRD_NAME}.yaml"]
    assert sorted(p.name for p in (CHART / "crds").iterdir()) == [f"{CRD_NAME}.yaml"]


def test_helm_installs_the_crd_from_the_chart() -> None:
    rendered = render(include_crds=True)

    [crd] = [o for o in rendered if o["kind"] == "CustomResourceDefinition"]
    assert crd == yaml.safe_load((ROOT / "crds" / f"{CRD_NAME}.yaml").read_text())


def test_the_packaged_chart_holds_the_crd_and_the_schema(tmp_path) -> None:
    helm("package", str(CHART), f"--destination={tmp_path}")

    [archive] = tmp_path.glob("mayyam-*.tgz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {f"mayyam/crds/{CRD_NAME}.yaml", "mayyam/values.schema.json"} <= names


def test_the_chart_is_made_for_this_version_of_mayyam() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert chart["appVersion"] == project["version"]
