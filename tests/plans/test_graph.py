"""`platform graph`: the picture shows what the config says, and the README's is current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.stackconfig import load, read_stack_file
from platform_cli import main
from platform_cli.graph import to_mermaid, topology
from platform_cli.runner import PROJECT_DIR


def prod_topology_text() -> str:
    return to_mermaid(topology(load(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").values)))


def test_mermaid_shows_clusters_by_cloud_and_region_apps_and_hosts() -> None:
    text = prod_topology_text()
    assert 'subgraph group_vultr_ord["vultr ord"]' in text
    assert 'subgraph group_civo_LON1["civo LON1"]' in text
    assert "mgmt -->|ApplicationSets| cluster_chicago" in text
    assert "cluster_newyork --> app_traffic" in text
    assert 'host_blog>"blog.example.com"]' in text
    assert "app_dashboard -.->|calls| app_weather" in text
    assert "aws -.->|ExternalSecret| cluster_london" in text
    assert "cluster_newyork" not in text.split("aws -.->")[-1]  # no database app there


def test_readme_picture_is_current() -> None:
    committed = (PROJECT_DIR / "docs" / "topology-dev.mmd").read_text()
    generated = to_mermaid(topology(load(read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml").values)))
    assert committed == generated, "run `platform graph --stack dev` and commit docs/"


def test_graph_renders_svg(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz)")
    assert main(["graph", "--stack", "prod", "--out", str(tmp_path)]) == 0
    svg = (tmp_path / "topology-prod.svg").read_text()
    assert "<svg" in svg and "hello&#45;world.example.com" in svg  # dot escapes "-"
