"""The chart's files follow its conventions: every value is described, in one
comment style and in the schema; every helper is prefixed and explained."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from mayyamdev.chart import CHART

KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][\w-]*):")


def _chart_keys(schema: dict[str, Any], values: dict[str, Any], path: str = "") -> set[str]:
    """Dotted paths of the keys the chart defines; a value the schema leaves
    free-form is a Kubernetes object, whose fields are Kubernetes'."""
    keys = set()
    for key, value in values.items():
        here = f"{path}{key}"
        keys.add(here)
        child = schema.get("properties", {}).get(key, {})
        if isinstance(value, dict) and "properties" in child:
            keys |= _chart_keys(child, value, f"{here}.")
    return keys


def _commented_keys() -> set[str]:
    """Dotted paths of the keys in values.yaml with a "# --" comment just above."""
    commented, parents = set(), []
    lines = (CHART / "values.yaml").read_text().splitlines()
    for number, line in enumerate(lines):
        match = KEY.match(line)
        if not match or line.lstrip().startswith("-"):
            continue
        depth = len(match["indent"]) // 2
        parents = [*parents[:depth], match["key"]]
        above = number - 1
        while above >= 0 and lines[above].lstrip().startswith("#"):
            if lines[above].lstrip().startswith("# --"):
                commented.add(".".join(parents))
                break
            above -= 1
    return commented


def test_every_value_of_the_chart_has_a_comment_in_the_one_style() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    missing = _chart_keys(schema, values) - _commented_keys()

    assert missing == set()


def test_every_value_is_in_the_schema_with_a_description() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def undescribed(node: dict[str, Any], tree: dict[str, Any], path: str) -> list[str]:
        found = []
        for key, value in tree.items():
            child = node.get("properties", {}).get(key)
            if child is None or not child.get("description"):
                found.append(f"{path}{key}")
            elif isinstance(value, dict) and "properties" in child:
                found += undescribed(child, value, f"{path}{key}.")
        return found

    assert undescribed(schema, values, "") == []


def test_every_helper_is_prefixed_with_the_chart_name_and_says_why() -> None:
    text = (CHART / "templates" / "_helpers.tpl").read_text()
    defines = re.findall(r'(\*/\}\}\s*)?\{\{-? define "([^"]+)"', text)

    assert defines
    for comment_before, name in defines:
        assert name.startswith("mayyam."), name
        assert comment_before, f"{name} has no comment above it"


def test_every_template_checks_the_combinations_of_values() -> None:
    templates = [p for p in (CHART / "templates").glob("*.yaml")]

    assert templates
    for template in templates:
        assert template.read_text().startswith('{{- include "mayyam.validate" . }}'), template.name
