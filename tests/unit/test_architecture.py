"""The layout rules of the code base hold: checked on every test run."""

import subprocess
import sys
from pathlib import Path

import yaml

from mayyam.core import crd

ROOT = Path(__file__).resolve().parents[2]


def test_the_api_and_the_operator_do_not_import_each_other() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.replace("0 broken", "")


def test_the_crd_manifest_declares_the_names_the_code_uses() -> None:
    manifest = yaml.safe_load((ROOT / "crds" / "mayyamclusters.mayyam.io.yaml").read_text())

    spec = manifest["spec"]
    assert manifest["metadata"]["name"] == f"{crd.PLURAL}.{crd.GROUP}"
    assert spec["group"] == crd.GROUP
    assert spec["names"]["kind"] == crd.KIND
    assert spec["names"]["plural"] == crd.PLURAL
    assert spec["names"]["singular"] == crd.SINGULAR
    assert spec["names"]["shortNames"] == [crd.SHORT_NAME]
    assert [v["name"] for v in spec["versions"]] == [crd.VERSION]


def test_the_crd_status_accepts_exactly_what_the_operator_writes() -> None:
    manifest = yaml.safe_load((ROOT / "crds" / "mayyamclusters.mayyam.io.yaml").read_text())
    [version] = manifest["spec"]["versions"]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]

    assert set(status) == {"conditions", "kubernetesVersion", "nodeCount", "lastProbeTime"}
    assert set(status["conditions"]["items"]["properties"]) == {
        "type",
        "status",
        "reason",
        "message",
        "lastTransitionTime",
        "observedGeneration",
    }
    assert version["subresources"] == {"status": {}}


def _undescribed(schema: dict, path: str) -> list[str]:
    """Paths of the schema's properties that have no description."""
    missing = []
    for name, prop in (schema.get("properties") or {}).items():
        here = f"{path}.{name}"
        if name != "metadata" and not prop.get("description"):
            missing.append(here)
        missing += _undescribed(prop, here)
        missing += _undescribed(prop.get("items") or {}, f"{here}[]")
    return missing


def test_kubectl_explain_has_a_description_for_every_field() -> None:
    manifest = yaml.safe_load((ROOT / "crds" / "mayyamclusters.mayyam.io.yaml").read_text())
    [version] = manifest["spec"]["versions"]

    assert _undescribed(version["schema"]["openAPIV3Schema"], "") == []


def test_the_printer_columns_show_what_a_platform_team_asks_first() -> None:
    manifest = yaml.safe_load((ROOT / "crds" / "mayyamclusters.mayyam.io.yaml").read_text())
    [version] = manifest["spec"]["versions"]

    columns = [c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")]
    assert columns == ["Ready", "Server", "Version", "Nodes", "Age"]
