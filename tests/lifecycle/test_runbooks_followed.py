"""Every runbook in docs/runbooks/, followed step by step: each `up` ordered as the engine
runs it, and what the runbook promises asserted on the steps and on what is left in the
cloud afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli.runner import PROJECT_DIR, PlanRun
from tests.conftest import stack_document
from tests.lifecycle.scenario import Scenario, Up
from tests.planview import PlanView

RUNBOOKS = PROJECT_DIR / "docs" / "runbooks"
DB = "civo:index/database:Database"
PG_DATABASE = "postgresql:index/database:Database"
PG_ROLE = "postgresql:index/role:Role"
Edit = Callable[[dict[str, Any]], None]


def _clean(up: Up) -> None:
    """Nothing deleted under what stays, no hung finalizer, no data deleted."""
    assert up.problems == [], (up.title, up.problems)
    assert up.data_deleted == [], (up.title, up.data_deleted)
    assert up.order.stop is None and up.order.failed == [], (up.title, up.order.summary())


def _cluster(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in config["platform:clusters"] if c["name"] == name)
    return found


def _database(**values: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                config["platform:database"].pop(key, None)
            else:
                config["platform:database"][key] = value

    return edit


def test_resize_database_keeps_the_app_data_in_the_retained_instance(
    tmp_path: Path, prod: PlanView
) -> None:
    assert "resize-database.md" in {p.name for p in RUNBOOKS.glob("*.md")}
    scenario = Scenario(tmp_path, "prod", planned=prod.run)
    old_data = scenario.urn(PG_DATABASE, "shared-blog-database")
    old_role = scenario.urn(PG_ROLE, "shared-blog-role")
    old_instance = scenario.urn(DB, "shared")
    kept = [
        scenario.urn("civo:index/network:Network", "shared-network"),
        scenario.urn("civo:index/firewall:Firewall", "shared-firewall"),
    ]
    # 1. Stop writes and dump with the app's own credentials: no stack change.
    # 2. Unprotect, keep retainOnDelete: options only.
    step2 = scenario.up("2 unprotect", _database(protect=False))
    assert {c.kind for c in step2.changes} == {"update"}
    _clean(step2)
    # 3. A new database under a new name, at the new size.
    step3 = scenario.up("3 move to shared2", _database(name="shared2", size="g3.db.large"))
    _clean(step3)
    created = {s.resource.name for s in step3.order.ran if s.verb == "create"}
    assert {"shared2", "shared2-blog-role", "shared2-blog-database"} <= created
    # 4. Restore into shared2 with the app's credentials, then protect again.
    step4 = scenario.up("4 protect again", _database(protect=None))
    _clean(step4)
    # The old instance, its network and firewall, and blog's role and data in it stay.
    for urn in (old_instance, old_data, old_role, *kept):
        assert scenario.cloud.objects.get(urn) == "left", urn


def test_destroy_environment_leaves_the_database_with_its_data(
    tmp_path: Path, prod: PlanView
) -> None:
    scenario = Scenario(tmp_path, "prod", planned=prod.run)
    data = scenario.urn(PG_DATABASE, "shared-blog-database")
    _clean(scenario.up("unprotect", _database(protect=False)))
    # The sealing keys: kept by hand, then unprotected in the state (no config does it).
    scenario.unprotect("sealing-key-1")
    destroy = scenario.up("destroy", None)
    _clean(destroy)
    assert scenario.cloud.objects.get(data) == "left"
    assert scenario.cloud.objects.get(scenario.urn(DB, "shared", prod.run)) == "left"
    bucket = scenario.urn("aws:s3/bucket:Bucket", "database-backups-bucket", prod.run)
    assert scenario.cloud.objects.get(bucket) == "left"


def test_bootstrap_environment_creates_everything_and_deletes_nothing(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=PlanRun("dev", [], {}, {}, []))
    first = scenario.up("first up", lambda c: None)
    _clean(first)
    assert {s.verb for s in first.order.ran} == {"create"}
    assert len(first.order.ran) == len(stack_plans["dev"].run.registrations)


FORECAST = {
    "name": "forecast",
    "source": {
        "repoUrl": "https://github.com/example-org/platform-apps.git",
        "path": "apps/forecast",
        "revision": "main",
    },
    "placement": {"matchLabels": {"cluster": "frankfurt"}},
    "service": {"name": "forecast", "port": 8080},
    "dependsOn": ["weather"],
}
PHOENIX = {
    "name": "phoenix",
    "provider": "civo",
    "region": "PHX1",
    "nodeCount": 3,
    "labels": {"tier": "standard", "geo": "americas"},
}


def _add_app(config: dict[str, Any]) -> None:
    config["platform:apps"] = [*config["platform:apps"], FORECAST]


def _add_region(config: dict[str, Any]) -> None:
    config["platform:clusters"] = [*config["platform:clusters"], PHOENIX]


def _drain(config: dict[str, Any]) -> None:
    config["platform:drain"] = ["newyork"]


def _rotate(config: dict[str, Any]) -> None:
    _cluster(config, "london")["keyRotation"] = "2"


def _upgrade(config: dict[str, Any]) -> None:
    _cluster(config, "chicago")["kubernetesVersion"] = "v1.34.1+1"


@pytest.mark.parametrize(
    ("runbook", "edit"),
    [
        ("add-app.md", _add_app),
        ("add-region.md", _add_region),
        ("failover-drill.md", _drain),
        ("rotate-credentials.md", _rotate),
        ("upgrade-kubernetes.md", _upgrade),
    ],
)
def test_runbook_and_its_roll_back(
    runbook: str, edit: Edit, tmp_path: Path, prod: PlanView
) -> None:
    assert (RUNBOOKS / runbook).is_file()
    scenario = Scenario(tmp_path, "prod", planned=prod.run)
    _clean(scenario.up(runbook, edit))
    # Roll back: the edit reverted.
    start = prod.run
    back = scenario.up("roll back", lambda c: c.update(_config_of(tmp_path, start)))
    _clean(back)


def _config_of(tmp_path: Path, run: PlanRun) -> dict[str, Any]:
    config: dict[str, Any] = stack_document(run.stack)["config"]
    return {k: v for k, v in config.items() if k.startswith("platform:")} | {
        "platform:drain": config.get("platform:drain", [])
    }


def test_resize_node_pool_moves_apps_then_removes_the_old_cluster(
    tmp_path: Path, prod: PlanView
) -> None:
    scenario = Scenario(tmp_path, "prod", planned=prod.run)

    def add_chicago2(config: dict[str, Any]) -> None:
        config["platform:clusters"] = [
            *config["platform:clusters"],
            {**_cluster(config, "chicago"), "name": "chicago2", "nodeSize": "vc2-4c-8gb"},
        ]

    def move_apps_off_chicago(config: dict[str, Any]) -> None:
        config["platform:drain"] = ["chicago"]
        for app in config["platform:apps"]:
            placement = app.setdefault("placement", {})
            placement.setdefault("matchExpressions", []).append(
                {"key": "cluster", "operator": "NotIn", "values": ["chicago"]}
            )

    def disable_chicago(config: dict[str, Any]) -> None:
        _cluster(config, "chicago")["enabled"] = False
        config["platform:drain"] = []

    _clean(scenario.up("1 add chicago2", add_chicago2))
    _clean(scenario.up("2a drain and move apps off", move_apps_off_chicago))
    last = scenario.up("2b disable chicago", disable_chicago)
    _clean(last)
    # Routes on the removed cluster: the hub's route for chicago's metrics lives on the
    # management cluster, whose external-dns keeps running and cleans up after it.
    routes = [
        s
        for s in last.order.ran
        if s.resource.type.endswith("HTTPRoute")
        and s.resource.revealed_inputs.get("spec", {}).get("hostnames")
        and "platform:index:MgmtCluster$" not in s.resource.urn
    ]
    assert routes == [], "routes removed together with their cluster leave DNS records"
