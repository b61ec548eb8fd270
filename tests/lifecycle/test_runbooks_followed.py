"""Every runbook in docs/runbooks/ followed as written: its config snippets applied to the
stack file in order (``tests.lifecycle.runbook_snippets`` says how), each section one `up`
ordered as the engine runs it; each passes the review gate `platform diff` is (nothing
refused), prints what the runbook quotes, deletes no data and leaves nothing stuck, and
what the runbook promises is asserted on what is left in the cloud."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stackconfig import read_stack_file
from platform_cli.diff import edit_errors, login_errors, outcome, render_text
from platform_cli.lifecycle.checks import findings
from platform_cli.plan import cost_change
from platform_cli.runner import PROJECT_DIR, PlanRun
from tests.lifecycle.runbook_snippets import (
    Section,
    SnippetError,
    apply,
    sections,
    shown,
)
from tests.lifecycle.scenario import Scenario, Up
from tests.planview import PlanView

RUNBOOKS = PROJECT_DIR / "docs" / "runbooks"
DB = "civo:index/database:Database"
PG_DATABASE = "postgresql:index/database:Database"
PG_ROLE = "postgresql:index/role:Role"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET = "aws:s3/bucket:Bucket"
Edit = Callable[[dict[str, Any]], None]


def _clean(up: Up) -> None:
    """Nothing deleted under what stays, no hung finalizer, no data deleted."""
    assert up.problems == [], (up.title, up.problems)
    assert up.data_deleted == [], (up.title, up.data_deleted)
    assert up.order.stop is None and up.order.failed == [], (up.title, up.order.summary())


def _reviewed(up: Up) -> tuple[int, list[str], list[str]]:
    """What `platform diff` of this `up`'s edit exits with, prints, and refuses."""
    assert up.before is not None and up.after is not None
    old, new = up.files
    old = old or PROJECT_DIR / f"Pulumi.{up.after.stack}.yaml"
    assert new is not None
    refused = login_errors(
        read_stack_file(old), read_stack_file(new), up.before, up.after, [*up.changes]
    )
    found = findings(up.order, up.before.registrations)
    printed = [*render_text(up.changes, up.order, found), *cost_change(old, new, up.after.stack)]
    return outcome(up.changes, found, refused), printed, [*edit_errors(up.changes), *refused]


@dataclass
class Followed:
    scenario: Scenario
    ups: list[Up]


def follow(page: Path, scenario: Scenario, text: str) -> Followed:
    """Apply each section's snippets to ``text`` (the stack file's), then `up`."""
    ups = []
    for section in sections(page):
        if not section.snippets:
            continue
        for lang, snippet in section.snippets:
            text = apply(text, lang, snippet)
        config = yaml.safe_load(text)["config"]

        def edit(c: dict[str, Any], config: dict[str, Any] = config) -> None:
            c.clear()
            c.update(copy.deepcopy(config))

        up = scenario.up(section.title, edit)
        _check(page, section, up)
        ups.append(up)
    return Followed(scenario, ups)


def _check(page: Path, section: Section, up: Up) -> None:
    where = f"{page.name}, {section.title}"
    _clean(up)
    code, printed, refused = _reviewed(up)
    assert refused == [] and code <= 1, (where, refused)
    assert shown(section.expected, printed) == [], (where, printed)


# Each runbook whose snippets edit a stack file, and the stack they are written against.
FOLLOWED = {
    "add-app.md": "prod",
    "add-region.md": "prod",
    "failover-drill.md": "prod",
    "rotate-credentials.md": "prod",
    "upgrade-kubernetes.md": "prod",
    "resize-node-pool.md": "prod",
    "resize-database.md": "prod",
    "upgrade-monitoring-crds.md": "prod",
}


def test_every_runbook_with_snippets_is_followed() -> None:
    with_snippets = {
        page.name for page in RUNBOOKS.glob("*.md") if any(s.snippets for s in sections(page))
    }
    assert with_snippets == {*FOLLOWED, "bootstrap-environment.md"}


def _followed(page: str, tmp_path: Path, prod: PlanView) -> Followed:
    stack = FOLLOWED[page]
    scenario = Scenario(tmp_path, stack, planned=prod.run)
    return follow(RUNBOOKS / page, scenario, (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())


def _config(followed: Followed) -> dict[str, Any]:
    config: dict[str, Any] = followed.scenario.document["config"]
    return config


def _same_size_as_the_others(followed: Followed) -> None:
    """The new region's nodes are the size of every other prod cluster on its cloud."""
    civo = [c for c in _config(followed)["platform:clusters"] if c["provider"] == "civo"]
    assert {c["nodeSize"] for c in civo} == {"g4s.kube.large"}, civo


def _back_where_it_started(followed: Followed) -> None:
    start = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]
    assert _config(followed) == start


def _undrained(followed: Followed) -> None:
    assert _config(followed)["platform:drain"] == []


def _nothing_more(followed: Followed) -> None:
    """Only that every `up` is clean and reviewed as the runbook shows."""


# What each runbook promises of the config it leaves, beyond every `up` being clean.
PROMISES: dict[str, Callable[[Followed], None]] = {
    "add-app.md": _back_where_it_started,
    "add-region.md": _same_size_as_the_others,
    "failover-drill.md": _undrained,
    "rotate-credentials.md": _nothing_more,
    "upgrade-kubernetes.md": _nothing_more,
    "upgrade-monitoring-crds.md": _nothing_more,
}


@pytest.mark.parametrize("page", sorted(PROMISES))
def test_runbook_followed_as_written(page: str, tmp_path: Path, prod: PlanView) -> None:
    followed = _followed(page, tmp_path, prod)
    assert followed.ups, page
    PROMISES[page](followed)


def test_resize_node_pool_moves_everything_to_the_new_cluster(
    tmp_path: Path, prod: PlanView
) -> None:
    followed = _followed("resize-node-pool.md", tmp_path, prod)
    assert len(followed.ups) == 4
    new, old = (
        next(c for c in followed.scenario.document["config"]["platform:clusters"] if c["name"] == n)
        for n in ("chicago2", "chicago")
    )
    # The new cluster is the old one but for its name, size and egress.
    different = {k for k in new.keys() | old.keys() if new.get(k) != old.get(k)}
    assert different == {"name", "nodeSize", "egressCidrs", "enabled"}
    assert not followed.scenario.document["config"]["platform:drain"]


def test_resize_database_keeps_the_app_data_in_the_retained_instance(
    tmp_path: Path, prod: PlanView
) -> None:
    step = _sections("resize-database.md")
    # 1. Apps at zero replicas (Reloader would restart them on the new, empty database in
    # step 3), then a dump with the app's own credentials: no stack change.
    _says(step[1], "zero replicas", "Reloader", "create job --from=cronjob/blog")
    followed = _followed("resize-database.md", tmp_path, prod)
    # 2. Options only, exactly the lines the runbook shows.
    (shown_block,) = [
        s.expected for s in sections(RUNBOOKS / "resize-database.md") if s.title.startswith("2.")
    ]
    assert shown_block == render_text(followed.ups[0].changes)
    assert [up.title for up in followed.ups] == [
        "2. Keep the old database when it leaves the stack",
        "3. Move to a new database at the new size",
        "4. Restore, start the apps, protect again",
    ]
    assert {c.kind for c in followed.ups[0].changes} == {"update"}
    created = {s.resource.name for s in followed.ups[1].order.ran if s.verb == "create"}
    assert {"shared2", "shared2-blog-role", "shared2-blog-database"} <= created
    database = followed.scenario.document["config"]["platform:database"]
    assert (database["name"], database["size"], database["nodes"]) == ("shared2", "g3.db.large", 3)
    assert "backups" in database and "protect" not in database
    # The old instance, its network and firewall, and blog's role and data in it stay.
    cloud = followed.scenario.cloud.objects
    for kind, name in (
        (DB, "shared"),
        ("civo:index/network:Network", "shared-network"),
        ("civo:index/firewall:Firewall", "shared-firewall"),
        (PG_DATABASE, "shared-blog-database"),
        (PG_ROLE, "shared-blog-role"),
    ):
        assert cloud.get(prod.one(kind, name).urn) == "left", name


def test_the_resize_roll_back_imports_what_the_reverted_program_registers(prod: PlanView) -> None:
    """The import file of resize-database.md "Roll back", read as `pulumi import --file`
    reads it (pkg/cmd/pulumi/operations/import.go parseImportFile): each entry's URN is
    one the program registers for `shared`, with its type, parent and provider."""
    text = (RUNBOOKS / "resize-database.md").read_text().split("## Roll back", 1)[1]
    entries = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])["resources"]
    by_name = {e["name"]: e for e in entries}

    def urn(entry: dict[str, Any]) -> str:
        # deployment.go generateURN: the parent's qualified type, none for the stack.
        parent = f"{qualified(by_name[entry['parent']])}$" if "parent" in entry else ""
        return f"urn:pulumi:prod::platform::{parent}{entry['type']}::{entry.get('logicalName', entry['name'])}"

    def qualified(entry: dict[str, Any]) -> str:
        return urn(entry).split("::")[2]

    # The mock runtime names the stack in its children's URNs; the engine does not.
    planned = {r.urn.replace("pulumi:pulumi:Stack$", ""): r for r in prod.resources}
    for entry in entries:
        assert urn(entry) in planned, urn(entry)
        r = planned[urn(entry)]
        if "provider" in entry:
            assert r.provider is not None
            assert r.provider.rsplit("::", 1)[0].endswith(f"::{entry['provider']}"), entry
        if r.type.startswith("postgresql:"):
            assert entry["id"] == r.revealed_inputs["name"], entry
    provider = planned[urn(by_name["shared-postgresql"])]
    assert by_name["shared-postgresql"]["inputs"].keys() <= provider.revealed_inputs.keys()
    assert {"host", "port", "username", "password"} <= by_name["shared-postgresql"]["inputs"].keys()
    # Every login and database inside the instance is adopted: none is created anew.
    inside = {
        u for u, r in planned.items() if r.type in (PG_ROLE, PG_DATABASE) and "::shared-" in u
    }
    assert inside == {urn(e) for e in entries if e["type"] in (PG_ROLE, PG_DATABASE)}


def _database(**values: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["platform:database"].update(values)

    return edit


def _sections(runbook: str) -> dict[int, str]:
    """A runbook's numbered steps (`## 1. …`), by number."""
    parts = re.split(r"^## (\d+)\. ", (RUNBOOKS / runbook).read_text(), flags=re.MULTILINE)
    return {
        int(n): text.split("\n## ", 1)[0] for n, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def _says(text: str, *needed: str) -> None:
    for words in needed:
        assert words in text, (words, text)


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_destroy_environment_followed_literally_completes_and_drops_nothing(
    stack: str, tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    step = _sections("destroy-environment.md")
    scenario = Scenario(tmp_path, stack, planned=stack_plans[stack].run)
    kept = [
        scenario.urn(DB, "shared"),
        scenario.urn(PG_DATABASE, "shared-blog-database"),
        scenario.urn(PG_ROLE, "shared-blog-role"),
    ]
    # 1. Back up with each app's own login: no stack change, and no app leaves the config.
    _says(step[1], "create job --from=cronjob/blog", "pg_dump", "/admin")
    assert "platform:apps: []" not in "".join(step.values())
    # 2. Unprotect, keep retainOnDelete: options only.
    _says(step[2], "platform:database.protect: false", "platform:database.retainOnDelete: true")
    keep = scenario.up("2 unprotect, keep", _database(protect=False, retainOnDelete=True))
    assert {c.kind for c in keep.changes} == {"update"}
    _clean(keep)
    # 3. Delivery stops: a change to the stack file, no `up` of the stack.
    _says(step[3], "platform:delivery", "pulumi up --cwd deployments")
    # 4. Every route, and what depends on one, deleted while external-dns runs.
    _says(step[4], 'endswith(":HTTPRoute")', "pulumi destroy", "--target-dependents")
    routes = scenario.destroy("4 routes", scenario.urns(ROUTE))
    _clean(routes)
    assert scenario.urns(ROUTE) == []
    assert [r for r in scenario.state if r.type == RELEASE and r.name.endswith("external-dns")]
    # 5. The backup bucket out of the state (with backups), then the destroy.
    for bucket in scenario.urns(BUCKET):
        _says(step[5], '"aws:s3/bucket:Bucket"', "pulumi state delete", "--target-dependents")
        scenario.state_delete(bucket, target_dependents=True, force=True)
        kept.append(bucket)
    # The sealing keys, protected in prod whatever the database's protect says.
    for key in [r.urn for r in scenario.state if r.type.startswith("tls:")]:
        _says(step[5], 'startswith("tls:")', "pulumi state unprotect")
        scenario.state_unprotect(key)
    _says(step[5], "pulumi destroy --stack")
    destroy = scenario.destroy("5 destroy")
    _clean(destroy)
    # The destroy finished: nothing is left in the state; the data is left in the cloud.
    assert scenario.state == []
    for urn in kept:
        assert scenario.cloud.objects.get(urn) == "left", urn


def test_bootstrap_environment_creates_everything_and_deletes_nothing(tmp_path: Path) -> None:
    """Step 2's file, as the runbook makes it from dev's, and its first `up`."""
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()  # `cp Pulumi.dev.yaml Pulumi.staging.yaml`
    for section in sections(RUNBOOKS / "bootstrap-environment.md"):
        for lang, snippet in section.snippets:
            text = apply(text, lang, snippet)
    config = yaml.safe_load(text)["config"]
    assert "platform:delivery" not in config
    empty = PlanRun("staging", [], {}, {}, [])
    scenario = Scenario(tmp_path, "staging", start={"config": config}, planned=empty)
    first = scenario.up("first up", lambda c: None)
    _clean(first)
    assert {s.verb for s in first.order.ran} == {"create"}
    assert first.after is not None
    assert len(first.order.ran) == len(first.after.registrations)
    assert all("staging" in r.urn for r in first.after.registrations)


def test_a_snippet_is_applied_as_written_or_refused() -> None:
    """A `yaml` snippet is whole keys: a fragment is refused, and a key shown with one
    list item is that list (the add-region snippet of old, taken literally, would have
    left prod one cluster)."""
    prod = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    with pytest.raises(SnippetError):
        apply(prod, "yaml", "- name: phoenix\n  provider: civo\n")
    one = apply(prod, "yaml", "  platform:clusters:\n    - name: phoenix\n      provider: civo\n")
    assert [c["name"] for c in yaml.safe_load(one)["config"]["platform:clusters"]] == ["phoenix"]
    with pytest.raises(SnippetError):
        apply(prod, "diff", "   platform:database:\n-    name: nowhere\n+    name: shared2\n")
