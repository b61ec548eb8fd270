"""Removals, moves and destroys as sequences: each `up` ordered as the engine runs it,
checked for data deleted, things deleted under what stays, and hung finalizers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from platform_cli import main
from platform_cli.diff import diff_runs
from platform_cli.lifecycle.checks import finalizer_waits, firewalls_still_in_use, in_cloud
from platform_cli.lifecycle.order import Graph
from platform_cli.runner import PROJECT_DIR, Registration
from tests.conftest import stack_document
from tests.lifecycle.scenario import Edit, Scenario
from tests.planview import PlanView

# An app the add-app runbook adds (docs/runbooks/add-app.md).
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

APPSET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
PG = ("postgresql:index/role:Role", "postgresql:index/database:Database")
SECRET = "aws:secretsmanager/secret:Secret"


def _levels(up: Any, type_token: str) -> list[int]:
    return [s.level for s in up.order.ran if s.resource.type == type_token]


def test_removing_the_last_app_deletes_the_applicationsets_before_their_project(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    state = Graph(scenario.state)
    up = scenario.up("remove every app", lambda c: c.__setitem__("platform:apps", []))
    assert finalizer_waits(up.order, stack_plans["dev"].run.registrations) == []
    assert max(_levels(up, APPSET)) < min(_levels(up, PROJECT))
    assert up.problems == []
    # ScheduleDeletes separates deletes by depth only. Here the apps' components go too,
    # which alone would put the project last; in a destroy both sit one step below
    # argo-cd and share a round. Only the ApplicationSet's dependency on its project
    # keeps them apart in every `up`.
    project = next(s.urn for s in up.order.ran if s.resource.type == PROJECT)
    for app_set in (s.urn for s in up.order.ran if s.resource.type == APPSET):
        assert project in state.upstream(app_set), app_set


def test_removing_the_apps_while_the_database_stays_drops_their_data_or_blocks_the_destroy(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    """Why destroy-environment.md keeps the apps in the config until the destroy."""
    no_apps: Edit = lambda c: c.__setitem__("platform:apps", [])  # noqa: E731
    # dev: the instance stays, so deletedWith does not apply: DROP DATABASE for real.
    dev = Scenario(tmp_path / "dev", "dev", planned=stack_plans["dev"].run)
    assert any("DROP DATABASE" in d for d in dev.up("no apps", no_apps).data_deleted)
    # prod: refused; the refused entries stay in the state, protected, and the destroy
    # skips what they need (deployment_executor.go L515-547): it never finishes.
    prod = Scenario(tmp_path / "prod", "prod", planned=stack_plans["prod"].run)
    assert prod.up("no apps", no_apps).order.failed
    prod.up("unprotect", lambda c: c["platform:database"].__setitem__("protect", False))
    destroy = prod.up("destroy", None)
    refused = {s.resource.type for s in destroy.order.failed}
    assert set(PG) <= refused, refused
    assert destroy.order.skipped


def test_a_new_namespace_is_granted_before_argocd_is_told_to_watch_it(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    def add_forecast(config: dict[str, Any]) -> None:
        config["platform:apps"].append({**FORECAST, "dependsOn": []})

    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    up = scenario.up("add forecast", add_forecast)
    steps = {s.resource.name: s.level for s in up.order.ran}
    # argo-cd v3.4.4 cache.go L848-890 relists at once; a 403 drops the kind for 12 h.
    assert steps["frankfurt-argocd-cluster"] > steps["frankfurt-argocd-manager-forecast-binding"]


def test_moving_the_dev_database_recreates_roles_and_databases_on_the_new_server(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    up = scenario.up("move", lambda c: c["platform:database"].__setitem__("region", "FRA1"))
    replaced = {c.resource.name for c in up.changes if c.kind == "replace"}
    assert {"shared-blog-role", "shared-blog-database", "shared-blog-revoke-public"} <= replaced
    created = {s.resource.name: s.level for s in up.order.ran if s.verb in ("create", "replace")}
    assert created["shared-blog-database"] > created["shared"]
    assert up.problems == []


def test_the_prod_database_region_edit_stops_before_touching_the_live_database(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "prod", planned=stack_plans["prod"].run)
    up = scenario.up("move", lambda c: c["platform:database"].__setitem__("region", "FRA1"))
    assert up.order.stop is not None
    assert [s.line() for s in up.order.ran + up.order.alongside if s.verb == "delete"] == []


def test_removing_a_database_app_promises_only_what_up_does(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    up = scenario.up(
        "remove blog",
        lambda c: c.__setitem__(
            "platform:apps", [a for a in c["platform:apps"] if a["name"] != "blog"]
        ),
    )
    namespaces_deleted = [s for s in up.order.ran if s.resource.name.endswith("-ns-blog")]
    appset = next(s for s in up.order.ran if s.resource.type == APPSET)
    preserve = appset.resource.revealed_inputs["spec"]["syncPolicy"].get(
        "preserveResourcesOnDeletion"
    )
    # Argo CD may keep the workloads only where Pulumi keeps their namespace.
    assert not (preserve and all(s.verb == "delete" for s in namespaces_deleted))
    assert up.problems == []


def _keep_the_data_recipe() -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    return readme.split("To keep the data", 1)[1].split("\n- **", 1)[0]


def test_the_readme_keep_the_data_recipe_is_one_pulumi_accepts() -> None:
    recipe = _keep_the_data_recipe()
    # pulumi/pulumi pkg/cmd/pulumi/state/state_delete.go L81-132: dependents and
    # protection refuse a plain `state delete`; an import without --parent is another URN.
    for needed in ("--target-dependents", "--force", "--parent", "--provider"):
        assert needed in recipe, (needed, recipe)
    # import.go parseResourceSpec: --provider takes a URN; `<urn>::<id>` is read as the
    # URN of a provider named `<name>::<id>`, which the import then creates unconfigured.
    assert "::<id>" not in recipe


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_readme_keep_the_data_recipe_removes_an_app_and_leaves_only_its_data(
    stack: str, tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    """The README's recipe, each step done as it says, for the public database app blog."""
    recipe = _keep_the_data_recipe()
    if stack == "prod":
        # Not the last database app: that would take the backups with it, whose bucket
        # prod protects (the recipe says what to do then).
        start = stack_document(stack)
        start["config"]["platform:apps"].append({**FORECAST, "database": True})
        scenario = Scenario(tmp_path, stack, start=start)
    else:
        scenario = Scenario(tmp_path, stack, planned=stack_plans[stack].run)
    ups = []
    if "`public: false`" in recipe:
        ups.append(scenario.up("blog private", _edit_blog(public=False)))
    gone = scenario.state_delete(
        scenario.urn(PG[0], "shared-blog-role"), target_dependents=True, force=True
    )
    if "delete cronjob/<app>\n  secret/<app>-database" in recipe:
        scenario.delete_by_hand(u for u in gone if _backup_object_of_blog(scenario.seen[u]))
    if "pulumi state unprotect" in recipe and "shared-<app>-credentials" in recipe:
        scenario.state_unprotect(scenario.urn(SECRET, "shared-blog-credentials"))
    ups.append(scenario.up("remove blog", _edit_blog(remove=True)))
    for up in ups:
        assert up.data_deleted == [] and up.problems == [], (up.title, up.data_deleted)
        assert up.order.failed == [], (up.title, up.order.summary())
    # What stays in the cloud without Pulumi: blog's logins and database, nothing else.
    left = {
        scenario.cloud_name(urn)
        for urn, where in scenario.cloud.objects.items()
        if where == "left" and in_cloud(scenario.seen[urn])
    }
    assert left == {
        "shared-blog-role",
        "shared-blog-alternate-role",
        "shared-blog-database",
        "shared-blog-revoke-public",
    }


def _backup_object_of_blog(r: Registration) -> bool:
    """The blog's backup CronJob and login Secret on the management cluster."""
    wanted = {"kubernetes:batch/v1:CronJob": "blog", "kubernetes:core/v1:Secret": "blog-database"}
    metadata = r.revealed_inputs.get("metadata") or {}
    return (
        r.type in wanted
        and metadata.get("name") == wanted[r.type]
        and metadata.get("namespace") == "database-backups"
    )


def _edit_blog(*, public: bool = True, remove: bool = False) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        apps = config["platform:apps"]
        for app in apps:
            if app["name"] == "blog":
                app["public"] = public
        if remove:
            config["platform:apps"] = [a for a in apps if a["name"] != "blog"]

    return edit


def test_disabling_a_cluster_together_with_its_routes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], write_config: Callable[..., Path]
) -> None:
    def disable_london(config: dict[str, Any]) -> None:
        for cluster in config["platform:clusters"]:
            if cluster["name"] == "london":
                cluster["enabled"] = False
        for app in config["platform:apps"]:
            if app.get("placement", {}).get("matchLabels", {}).get("cluster") == "london":
                app["placement"] = {"matchLabels": {"cluster": "frankfurt"}}

    code = main(
        [
            "diff",
            "--config",
            str(write_config("dev", disable_london)),
            "--against",
            str(Path(__file__).parents[2] / "Pulumi.dev.yaml"),
        ]
    )
    err = capsys.readouterr().err
    # external-dns deletes records only while it runs (chart 1.21.1 values.yaml L206-209).
    assert code == 2
    assert "error: platform:clusters[london].enabled" in err
    assert "hello-world-london.dev.example.com" in err or "-london." in err


def test_a_civo_firewall_rule_change_shows_the_gap_it_opens(
    plan_config: Callable[..., PlanView], stack_plans: dict[str, PlanView]
) -> None:
    def add_admin(config: dict[str, Any]) -> None:
        config["platform:adminCidrs"] = [*config["platform:adminCidrs"], "192.0.2.10/32"]

    changes = diff_runs(stack_plans["dev"].run, plan_config("dev", add_admin).run)
    civo = [
        c
        for c in changes
        if c.resource.type == "civo:index/firewall:Firewall" and c.kind == "update"
    ]
    assert civo
    for change in civo:
        assert any("deletes the old rule" in n for n in change.notes), change.line()


def test_vultr_rules_never_admit_one_source_twice(plan_config: Callable[..., PlanView]) -> None:
    def existing_mgmt_at_an_admin_address(config: dict[str, Any]) -> None:
        config["platform:mgmtCluster"] = {"provider": "existing", "egressCidrs": ["203.0.113.7/32"]}
        config["platform:mgmtKubeconfig"] = {"secure": "v1:placeholder"}
        config["platform:adminCidrs"] = ["203.0.113.7/32"]

    plan = plan_config("prod", existing_mgmt_at_an_admin_address)
    seen: dict[tuple[str, ...], str] = {}
    for rule in plan.of_type("vultr:index/firewallRule:FirewallRule"):
        i = rule.revealed_inputs
        key = (
            str(i.get("firewallGroupId")),
            str(i.get("subnet")),
            str(i.get("subnetSize")),
            str(i.get("port")),
        )
        # terraform-provider-vultr v2.27.1: Vultr refuses a rule that already exists.
        assert key not in seen, f"{rule.name} duplicates {seen[key]}"
        seen[key] = rule.name


def test_no_runbook_runs_a_refresh_that_can_forget_the_database() -> None:
    docs = Path(__file__).parents[2] / "docs" / "runbooks"
    for page in sorted(docs.glob("*.md")):
        for line in page.read_text().splitlines():
            if "pulumi refresh" in line:
                # civogo v0.3.89 GetDatabase returns nil on any error; the provider then
                # clears the id (resource_database.go L255-260): refresh forgets it.
                assert "--preview-only" in line or "--target" in line, f"{page.name}: {line}"


def test_removing_observability_says_the_hubs_firewall_may_still_be_in_use(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    """Turning observability off deletes the hub's gateway and, in the same `up`, the Civo
    firewall its load balancer uses; Civo's controller deletes that load balancer only
    once the Service is gone, so the firewall may still be in use: the diff says so and
    what to do. A whole-stack destroy is not flagged (the cluster goes too)."""
    scenario = Scenario(tmp_path, "prod", planned=stack_plans["prod"].run)

    def off(config: dict[str, Any]) -> None:
        config["platform:observability"] = False
        config["platform:cost"] = False

    up = scenario.up("observability off", off)
    in_use = firewalls_still_in_use(up.order, stack_plans["prod"].run.registrations)
    assert [p.split(" ", 1)[0] for p in in_use] == ["mgmt-metrics-lb-firewall"], in_use
    assert "run `pulumi up` again" in in_use[0]
    assert up.problems == []  # a rerun finishes it: not a delete `up` cannot finish


def test_retiring_a_sealing_key_restarts_the_controllers_after_its_secret_is_gone(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    """The controller reads its keys only at start-up. Removing a key rolls it through the
    release's digest annotation, but that update runs before Pulumi deletes the key's
    Secret (deletes come last), so the new pods load the retired key again: the runbook
    restarts the controllers after the `up`, or a leaked key keeps decrypting."""
    scenario = Scenario(tmp_path, "prod", planned=stack_plans["prod"].run)
    scenario.up("add key 2", lambda c: c.update({"platform:sealedSecrets": {"keys": ["1", "2"]}}))
    up = scenario.up(
        "retire key 1", lambda c: c.update({"platform:sealedSecrets": {"keys": ["2"]}})
    )
    steps = [(s.verb, s.resource.type, s.resource.name) for s in up.order.steps]
    release = next(i for i, s in enumerate(steps) if s[2] == "london-sealed-secrets")
    deleted = next(
        i
        for i, s in enumerate(steps)
        if s[0] == "delete"
        and s[1] == "kubernetes:core/v1:Secret"
        and s[2] == "london-sealing-key-1"
    )
    assert steps[release][0] == "update" and release < deleted, steps
    runbook = (PROJECT_DIR / "docs" / "runbooks" / "rotate-credentials.md").read_text()
    retire = runbook[runbook.index("Only then retire the old key") :]
    assert "rollout restart deployment/sealed-secrets-controller" in retire
