"""Reading ../shared/upstream: pinned chart versions, default values, schemas and CRDs."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def pinned_chart_versions(upstream: Path) -> dict[str, str]:
    """The README's "Pinned versions" table: chart -> version."""
    return {chart: version for chart, _repo, version in _pinned_rows(upstream)}


@cache
def pinned_chart_repositories(upstream: Path) -> dict[str, str]:
    return {chart: repo for chart, repo, _version in _pinned_rows(upstream)}


_ROW = re.compile(r"^\|[ \t]*([\w-]+)[ \t]*\|[ \t]*(\S+)[ \t]*\|[ \t]*(\S+)[ \t]*\|", re.M)


def _pinned_rows(upstream: Path) -> list[tuple[str, str, str]]:
    rows = _ROW.findall((upstream / "README.md").read_text())
    return [row for row in rows if row[0] != "chart" and not row[0].startswith("-")]


@cache
def chart_defaults(upstream: Path, chart: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(
        (upstream / "charts" / chart / "values.yaml").read_text()
    )
    return values


def chart_schema(upstream: Path, chart: str) -> dict[str, Any] | None:
    path = upstream / "charts" / chart / "values.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


@cache
def crd_schemas(upstream: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> openAPIV3Schema, for every served version of every CRD."""
    schemas: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted((upstream / "crds").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    key = (spec["group"], version["name"], spec["names"]["kind"])
                    schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas
