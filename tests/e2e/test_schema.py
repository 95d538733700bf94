"""The API server itself refuses a wrong MayyamCluster, explains every field,
and accepts the examples shipped in deploy/examples."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mayyamdev.registration import WORKLOAD_ACCESS, install_crd

EXAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "examples"
SECRET_REF = {"secretRef": {"name": "credentials"}}


@pytest.fixture
def namespace(management, make_namespace) -> str:
    install_crd(management)
    return make_namespace(management)


def _dry_run(management, namespace: str, spec: dict) -> subprocess.CompletedProcess:
    manifest = {
        "apiVersion": "mayyam.io/v1alpha1",
        "kind": "MayyamCluster",
        "metadata": {"name": "candidate", "namespace": namespace},
        "spec": spec,
    }
    return subprocess.run(
        [
            management.kubectl_path,
            f"--kubeconfig={management.kubeconfig}",
            "apply",
            "--dry-run=server",
            "-f",
            "-",
        ],
        input=json.dumps(manifest),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({"server": "https://a.example:6443"}, "exactly one source of credentials"),
        ({"inCluster": True, "credentials": SECRET_REF}, "exactly one source of credentials"),
        ({"server": "http://a.example:6443", "credentials": SECRET_REF}, "https:// URL"),
        ({"server": "a.example:6443", "credentials": SECRET_REF}, "https:// URL"),
        ({"inCluster": True, "server": "https://a.example:6443"}, "leave server and tls out"),
        (
            {"server": "https://a.example", "credentials": {"secretRef": {"name": "Not_A_Name"}}},
            "secretRef.name",
        ),
        ({"server": "https://a.example", "credentials": {}}, "secretRef: Required value"),
        (
            {
                "server": "https://a.example",
                "credentials": SECRET_REF,
                "healthCheck": {"intervalSeconds": 5},
            },
            "greater than or equal to 10",
        ),
        (
            {
                "server": "https://a.example",
                "credentials": SECRET_REF,
                "healthCheck": {"intervalSeconds": 10, "timeoutSeconds": 10},
            },
            "timeoutSeconds must be less than",
        ),
    ],
    ids=[
        "no-credentials",
        "two-sources",
        "http",
        "no-scheme",
        "in-cluster-with-server",
        "bad-secret-name",
        "no-secret-ref",
        "interval-too-short",
        "timeout-not-below-interval",
    ],
)
def test_a_wrong_mayyamcluster_is_refused_with_a_message(
    management, namespace, spec: dict, complaint: str
) -> None:
    result = _dry_run(management, namespace, spec)

    assert result.returncode != 0
    assert complaint in result.stderr, result.stderr


#: The examples of registrations; workload-access.yaml is for the workload
#: cluster, and the API's tests check it there.
REGISTRATIONS = sorted(p for p in EXAMPLES.glob("*.yaml") if p.name != WORKLOAD_ACCESS.name)


@pytest.mark.parametrize("example", REGISTRATIONS, ids=lambda p: p.stem)
def test_every_example_is_accepted_as_it_is(management, namespace, example: Path) -> None:
    management.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", str(example))


def test_kubectl_explain_describes_the_fields(management, namespace) -> None:
    interval = management.kubectl("explain", "mayyamclusters.spec.healthCheck.intervalSeconds")
    secret_ref = management.kubectl("explain", "mayyamclusters.spec.credentials.secretRef")

    assert "Seconds between two probes" in interval
    assert "tls.crt" in secret_ref and "kubeconfig" in secret_ref


def test_kubectl_get_shows_the_columns_and_knows_the_short_name(management, namespace) -> None:
    management.apply(
        {
            "apiVersion": "mayyam.io/v1alpha1",
            "kind": "MayyamCluster",
            "metadata": {"name": "listed", "namespace": namespace},
            "spec": {"inCluster": True},
        }
    )

    header = management.kubectl("get", "mc", "-n", namespace).splitlines()[0].split()

    assert header == ["NAME", "READY", "SERVER", "VERSION", "NODES", "AGE"]
