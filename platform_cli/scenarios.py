"""Stack configs made up for benchmarks: N clusters and M apps around the dev stack."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from infra.catalog import CIVO_REGIONS
from infra.stackconfig import stack_file_name
from platform_cli.runner import PROJECT_DIR

REPOSITORY = "https://github.com/example-org/platform-apps.git"


def base_document(stack: str = "dev") -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_DIR / stack_file_name(stack)).read_text())
    return document


def generated(clusters: int, apps: int) -> dict[str, Any]:
    """`clusters` Civo clusters across its regions, in shards of about two; `apps` apps,
    each on one shard, every fifth public, every tenth on the database, every third
    calling the app before it."""
    document = copy.deepcopy(base_document())
    config = document["config"]
    regions = list(CIVO_REGIONS)
    shards = max(1, clusters // 2)
    config["platform:clusters"] = [
        {
            "name": f"c{i:03d}",
            "provider": "civo",
            "region": regions[i % len(regions)],
            "nodeCount": 2,
            "labels": {"shard": f"s{i % shards}"},
        }
        for i in range(clusters)
    ]
    config["platform:apps"] = [
        {
            "name": f"app{j:03d}",
            "source": {"repoUrl": REPOSITORY, "path": f"apps/app{j:03d}", "revision": "main"},
            "placement": {"matchLabels": {"shard": f"s{j % shards}"}},
            "service": {"name": f"app{j:03d}", "port": 8080},
            "public": j % 5 == 0,
            "database": j % 10 == 0,
            **({"dependsOn": [f"app{j - 1:03d}"]} if j % 3 == 2 else {}),
        }
        for j in range(apps)
    ]
    return document


def single_region(stack: str, cluster: str) -> dict[str, Any]:
    """A stack with only one of its clusters, every app placed there."""
    document = copy.deepcopy(base_document(stack))
    config = document["config"]
    config["platform:clusters"] = [c for c in config["platform:clusters"] if c["name"] == cluster]
    for kept in config["platform:clusters"]:
        if kept.get("autoscaling") and not kept.get("egressCidrs"):
            # Now a database client: an autoscaled cluster must state its egress.
            kept["egressCidrs"] = ["192.0.2.1/32"]
    for app in config.get("platform:apps", []):
        app["placement"] = {}
    config.pop("platform:drain", None)
    # Alert routes may name only clusters the stack has; a route left with none goes.
    alerting = config.get("platform:alerting") or {}
    for route in alerting.get("routes", []):
        if route.get("clusters"):
            route["clusters"] = [c for c in route["clusters"] if c in (cluster, "mgmt")]
    if alerting:
        alerting["routes"] = [r for r in alerting["routes"] if r.get("clusters") != []]
    return document


def write(document: dict[str, Any], folder: Path, stack: str = "bench") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stack_file_name(stack)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path
