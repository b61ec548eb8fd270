"""`platform diff` tells what `pulumi up` will do beyond the inputs: resource options
(replacementTrigger, replaceOnChanges, ignoreChanges, deleteBeforeReplace, protect,
retainOnDelete), what it refuses, and list items by their names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from platform_cli import diff, main
from platform_cli.diff import Change, attention_lines, changed_paths, diff_runs, exit_code
from platform_cli.runner import PROJECT_DIR, PlanRun, Registration
from tests.plan_cache import planned_stacks  # noqa: F401 (a fixture)
from tests.planview import PlanView, registration

ACCESS_KEY = "aws:iam/accessKey:AccessKey"


def _cluster(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in config["platform:clusters"] if c["name"] == name)
    return found


def by_name(changes: list[Change]) -> dict[str, Change]:
    return {c.resource.name: c for c in changes}


def test_key_rotation_replaces_the_access_key(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def rotate(config: dict[str, Any]) -> None:
        _cluster(config, "london")["keyRotation"] = "2"

    changes = diff_runs(prod.run, plan_config("prod", rotate).run)
    key = by_name(changes)["london-secret-reader"]
    assert key.resource.type == "aws:iam/accessKey:AccessKey"
    assert (key.kind, key.paths) == ("replace", ["options.replacementTrigger"])
    assert key.reasons == ["its replacementTrigger changed ('1' -> '2')"]
    assert {c.kind for c in changes} == {"replace", "update"}
    assert exit_code(changes) == 1


@pytest.mark.usefixtures("planned_stacks")
def test_removing_the_prod_database_app_is_refused_and_names_what_is_kept(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def drop_blog(config: dict[str, Any]) -> None:
        config["platform:apps"] = [a for a in config["platform:apps"] if a["name"] != "blog"]

    old = write_config("prod", name="prod")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    new = new_dir / "Pulumi.prod.yaml"
    new.write_text(write_config("prod", drop_blog, name="edited").read_text())
    markdown = tmp_path / "pr.md"
    code = main(["diff", "--config", str(new), "--against", str(old), "--markdown", str(markdown)])
    out = capsys.readouterr().out
    assert code == 3, out
    # The secret's value is neither protected nor retained: credentials must be able to
    # change, and a new version replaces the old one.
    kept = [
        "shared-blog-credentials",
        "shared-blog-database",
        "shared-blog-role",
        "shared-blog-alternate-role",
    ]
    for name in kept:
        assert f"refused (protected): {name}" in out
        assert f"refused (protected): {name}" in markdown.read_text()
    # Protected, not retained: once unprotected on purpose they really go, so the app can
    # come back under the same names. What is left behind is the backups' storage only:
    # with the last database app the backups go, and their bucket stays, dumps and all.
    left = [line for line in out.splitlines() if line.startswith("left behind (retainOnDelete)")]
    assert left and all("database-backups-bucket" in line for line in left), left
    # The protected bucket refuses too.
    assert "5 protected resource(s) `pulumi up` refuses to delete or replace" in out
    assert "aws:s3/bucket:Bucket database-backups-bucket" in out
    # The ApplicationSet runs on the management cluster and is shown there.
    assert "cluster mgmt\n  AppDeployment blog\n    - kubernetes:argoproj.io" in out


def _diff(old: Registration, new: Registration) -> list[Change]:
    return diff_runs(PlanRun("s", [old], {}, {}, []), PlanRun("s", [new], {}, {}, []))


def test_an_ignored_input_is_no_update() -> None:
    old = registration(ACCESS_KEY, "k", {"status": "Active"}, ignore_changes=["status"])
    assert _diff(old, replace(old, revealed_inputs={"status": "Inactive"})) == []


def test_a_replace_on_changes_path_replaces() -> None:
    old = registration(ACCESS_KEY, "k", {"status": "Active"}, replace_on_changes=["status"])
    (change,) = _diff(old, replace(old, revealed_inputs={"status": "Inactive"}))
    assert change.kind == "replace"
    assert change.reasons == ["status is in its replaceOnChanges"]


def test_adding_a_replacement_trigger_does_not_replace() -> None:
    old = registration(ACCESS_KEY, "k", {})
    (change,) = _diff(old, replace(old, revealed_trigger="1", replacement_trigger="1"))
    assert (change.kind, change.paths) == ("update", ["options.replacementTrigger"])


def test_delete_before_replace_is_noted() -> None:
    old = registration(ACCESS_KEY, "k", {}, delete_before_replace=True, revealed_trigger="1")
    (change,) = _diff(old, replace(old, revealed_trigger="2"))
    assert change.kind == "replace"
    assert change.notes == ["deleteBeforeReplace: the old one is deleted before the new one exists"]


def test_protect_and_retain_changes_are_shown() -> None:
    old = registration(ACCESS_KEY, "k", {}, protect=True)
    (change,) = _diff(old, replace(old, protect=False, retain_on_delete=True))
    assert (change.kind, change.paths) == ("update", ["options.protect", "options.retainOnDelete"])
    assert exit_code([change]) == 1


def test_replacing_a_protected_resource_is_refused() -> None:
    old = registration(
        ACCESS_KEY, "k", {}, protect=True, retain_on_delete=True, revealed_trigger="1"
    )
    changes = _diff(old, replace(old, revealed_trigger="2"))
    assert exit_code(changes) == 3
    assert attention_lines(changes) == [
        "refused (protected): k",
        "left behind (retainOnDelete): k",
    ]


def test_a_change_the_provider_rejects_exits_3(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def resize(config: dict[str, Any]) -> None:
        _cluster(config, "newyork")["nodeSize"] = "g4s.kube.medium"

    changes = diff_runs(prod.run, plan_config("prod", resize).run)
    assert [c.resource.name for c in changes if c.kind == "fail"] == ["newyork"]
    # OpenCost's custom prices follow the node size; nothing else changes.
    assert [(c.kind, c.resource.name) for c in changes if c.kind != "fail"] == [
        ("update", "newyork-opencost")
    ]
    assert exit_code(changes) == 3


def test_list_items_are_named_by_their_key() -> None:
    old = {"rules": [{"label": "http", "cidrs": ["a"]}, {"label": "api", "cidrs": ["b"]}]}
    new = {"rules": [{"label": "http", "cidrs": ["a"]}, {"label": "api", "cidrs": ["c"]}]}
    assert list(changed_paths(old, new)) == ["rules[api].cidrs[0]"]
    grown = {"rules": [*new["rules"], {"label": "ssh", "cidrs": []}]}
    assert list(changed_paths(new, grown)) == ["rules[ssh]"]
    destinations = [{"name": "london", "namespace": "blog"}, {"name": "london", "namespace": "x"}]
    assert list(changed_paths({"d": destinations}, {"d": destinations[:1]})) == ["d[london/x]"]
    # The same items in another order still reach the provider as a change.
    assert list(changed_paths(old, {"rules": old["rules"][::-1]})) == ["rules"]


def test_errors_in_the_against_file_name_it(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write_config("dev", lambda c: c.pop("platform:domain"), name="dev")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    new = new_dir / "Pulumi.dev.yaml"
    new.write_text(write_config("dev", name="valid").read_text())
    assert main(["diff", "--config", str(new), "--against", str(old)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: --against {old}: platform:domain: Field required"
    ]


def test_scaling_a_civo_management_cluster_changes_only_its_pool(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def grow(config: dict[str, Any]) -> None:
        config["platform:mgmtCluster"]["nodeCount"] = 4

    changes = diff_runs(prod.run, plan_config("prod", grow).run)
    # Civo's egress is the control plane's address, which a new worker does not change.
    assert [c.line() for c in changes] == [
        "~ civo:index/kubernetesCluster:KubernetesCluster mgmt  [pools.nodeCount]"
    ]


def test_scaling_a_vultr_management_cluster_adds_a_rule_and_replaces_nothing(
    plan_config: Callable[..., PlanView],
) -> None:
    def on_vultr(config: dict[str, Any]) -> None:
        config["platform:mgmtCluster"] = {
            "provider": "vultr",
            "region": "ams",
            "nodeSize": "vc2-2c-4gb",
            "nodeCount": 3,
            "kubernetesVersion": "v1.33.0+1",
        }

    def grown(config: dict[str, Any]) -> None:
        on_vultr(config)
        config["platform:mgmtCluster"]["nodeCount"] = 4

    changes = diff_runs(plan_config("prod", on_vultr).run, plan_config("prod", grown).run)
    assert {c.kind for c in changes} == {"add", "update"}, [c.line() for c in changes]
    # The new node's address is one new rule on the Vultr workload cluster's API; the
    # existing nodes keep theirs (oldest node first).
    assert {c.resource.name for c in changes if c.kind == "add"} == {
        "chicago-fw-6443-mgmt-egress-3"
    }


def test_an_ignored_input_fed_by_a_replaced_resource_is_no_update() -> None:
    key = registration(ACCESS_KEY, "key", {}, revealed_trigger="1")
    reader = replace(
        registration(ACCESS_KEY, "reader", {"secret": "x"}, ignore_changes=["secret"]),
        property_dependencies={"secret": [key.urn]},
    )
    changes = _diff_many([key, reader], [replace(key, revealed_trigger="2"), reader])
    assert [(c.resource.name, c.kind) for c in changes] == [("key", "replace")]


def _diff_many(old: list[Registration], new: list[Registration]) -> list[Change]:
    return diff_runs(PlanRun("s", old, {}, {}, []), PlanRun("s", new, {}, {}, []))


def test_a_dropped_edit_does_not_hide_a_refused_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """review diff.md D1: a database resize Civo would drop (2) and a protected key's
    replacement `up` refuses (3) in one edit exit 3, and both are named."""
    database = registration("civo:index/database:Database", "shared", {"size": "g3.db.small"})
    key = registration(ACCESS_KEY, "k", {}, protect=True, revealed_trigger="1")
    old, new = PROJECT_DIR / "Pulumi.prod.yaml", tmp_path / "Pulumi.prod.yaml"
    new.write_text(old.read_text())
    runs = {
        old: PlanRun("prod", [database, key], {}, {}, []),
        new: PlanRun(
            "prod",
            [
                replace(database, revealed_inputs={"size": "g3.db.large"}),
                replace(key, revealed_trigger="2"),
            ],
            {},
            {},
            [],
        ),
    }
    monkeypatch.setattr(diff, "plan_stack_file", lambda path, stack: (None, runs[path], []))
    code = main(
        ["diff", "--config", str(new), "--against", str(old), "--markdown", str(tmp_path / "d")]
    )
    out, err = capsys.readouterr()
    assert code == 3
    assert "refused (protected): k" in out
    assert any(line.startswith("error: platform:database.size: ") for line in err.splitlines())


def test_diff_help_documents_every_exit_code_and_which_wins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "2 invalid config" in text
    assert "or an edit the provider would silently not apply" in text
    assert "3 the change includes something `pulumi up` would refuse" in text
    assert "When more than one applies, the highest: a refusal (3) is not hidden" in text
