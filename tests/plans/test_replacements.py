"""The diff's provider rules: every emitted type has one, they match the pins, and the
diff shows what `pulumi up` really does (replace, delete first, reject, silently drop)."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import ediri_vultr as vultr
import pytest
import yaml

from infra.clusters.vultr import plan_applied
from infra.components.shared_database import size_applied
from infra.stackconfig import StackFile, read_stack_file
from platform_cli import diff, main, review
from platform_cli.diff import Change, diff_runs, refusals, render_markdown, render_text
from platform_cli.plan import plan_stack_file
from platform_cli.replacements import (
    PROVIDERS,
    RULES,
    delete_before_replace,
    kubernetes_provider_replaces,
    refusal,
    stale_reviews,
)
from platform_cli.runner import PROJECT_DIR, PlanRun, run_program
from tests.conftest import stack_document
from tests.planview import PlanView, registration

DEPLOYMENTS_PROGRAM = PROJECT_DIR / "deployments" / "__main__.py"
# Pulumi packages that are not providers: they emit no resources.
NOT_PROVIDERS = {"pulumi-policy"}


def by_name(changes: list[Change]) -> dict[str, Change]:
    return {c.resource.name: c for c in changes}


def kubeconfig(server: str, token: str, ca: str = "Y2E=") -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "kind", "cluster": {"server": server, "certificate-authority-data": ca}}
            ],
            "contexts": [{"name": "kind", "context": {"cluster": "kind", "user": "admin"}}],
            "current-context": "kind",
            "users": [{"name": "admin", "user": {"token": token}}],
        }
    )


@pytest.fixture(scope="module")
def existing_mgmt(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], PlanView]:
    """A management cluster Pulumi does not create, alone in the stack, with the given
    kubeconfig (offline, a `secure:` value would be a fixed placeholder, so the test marks
    the clear value secret itself)."""
    folder = tmp_path_factory.mktemp("existing")
    plans: dict[str, PlanView] = {}

    def plan(config_text: str) -> PlanView:
        if config_text not in plans:
            document = stack_document("dev")
            config = document["config"]
            for key in ("platform:clusters", "platform:database", "platform:apps"):
                config.pop(key)
            config["platform:mgmtCluster"] = {"provider": "existing", "region": "local"}
            config["platform:mgmtKubeconfig"] = config_text
            path = folder / str(len(plans)) / "Pulumi.dev.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(yaml.safe_dump(document))
            # Marked secret as `pulumi config set --secret` would; its value stays readable.
            stack_file = read_stack_file(path)
            secret = replace(
                stack_file, secret_keys=[*stack_file.secret_keys, "platform:mgmtKubeconfig"]
            )
            plans[config_text] = PlanView(run_program(secret))
        return plans[config_text]

    return plan


@pytest.fixture(scope="module")
def edited_prod(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlanView]:
    """prod with a bigger database and a bigger Vultr node plan."""
    document = copy.deepcopy(stack_document("prod"))
    config = document["config"]
    config["platform:database"]["size"] = "g3.db.large"
    next(c for c in config["platform:clusters"] if c["name"] == "chicago")["nodeSize"] = (
        "vhf-8c-32gb"
    )
    path = tmp_path_factory.mktemp("edited") / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path, PlanView(plan_stack_file(path)[1])


# --- coverage and citations -------------------------------------------------------------


def test_every_emitted_type_has_a_rule_and_every_rule_an_emitted_type(
    stack_plans: dict[str, PlanView],
    ingress_nginx_plan: PlanView,
    existing_mgmt: Callable[[str], PlanView],
) -> None:
    # prod has a Vultr cluster, so a Vultr management cluster adds no type of its own;
    # the Pulumi Deployments settings come from their own program.
    plans = [
        *stack_plans.values(),
        ingress_nginx_plan,
        existing_mgmt(kubeconfig("https://10.0.0.1:6443", "a")),
        PlanView(run_program(StackFile("deployments", {}), DEPLOYMENTS_PROGRAM)),
    ]
    emitted = {r.type for p in plans for r in p.run.registrations if r.custom}
    assert sorted(emitted - RULES.keys()) == [], "types without a rule in replacements.RULES"
    assert sorted(RULES.keys() - emitted) == [], "rules for types no plan emits"


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    return dict(d.split("==", 1) for d in project["dependencies"])


def test_rules_were_reviewed_for_the_pinned_versions() -> None:
    pins = pyproject_pins()
    assert stale_reviews(pins) == []
    providers = {p for p in pins if p.startswith("pulumi") or p == "ediri-vultr"}
    assert providers - NOT_PROVIDERS == PROVIDERS.keys()
    assert {rule.package for rule in RULES.values()} <= PROVIDERS.keys()


def test_bumping_a_pin_asks_for_the_rules_to_be_reviewed() -> None:
    bumped = {**pyproject_pins(), "ediri-vultr": "2.28.0"}
    (problem,) = stale_reviews(bumped)
    assert problem.startswith("ediri-vultr: pinned 2.28.0, but its rules were reviewed for 2.27.1")


# --- must-shows on whole plans ------------------------------------------------------------


def test_changing_the_deployments_organization_replaces_the_settings_deleting_first(
    tmp_path: Path,
) -> None:
    """The settings' own program (`deployments/`), run beside an edited copy of the stack
    files: a stack moved to another Pulumi org gets new settings, and the old ones are
    deleted first, not left deploying."""
    before = run_program(StackFile("deployments", {}), DEPLOYMENTS_PROGRAM)
    (tmp_path / "deployments").mkdir()
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml", "deployments/__main__.py"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    document = stack_document("dev")
    document["config"]["platform:delivery"]["organization"] = "other-org"
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    after = run_program(StackFile("deployments", {}), tmp_path / "deployments" / "__main__.py")
    changes = by_name(diff_runs(before, after))
    settings = changes["dev-settings"]
    assert settings.kind == "replace" and settings.delete_first
    assert settings.reasons == ["organization forces a new resource"]
    assert settings.line().startswith("-+ pulumiservice:index:DeploymentSettings")
    assert changes["dev-drift"].kind == "replace"
    assert not settings.resource.retain_on_delete


def test_resizing_the_prod_database_exits_2_naming_the_key_and_the_runbook(
    prod: PlanView,
    edited_prod: tuple[Path, PlanView],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    new, planned = edited_prod
    old = PROJECT_DIR / "Pulumi.prod.yaml"
    runs = {old: prod.run, new: planned.run}
    # Both plans exist already; the command's own logic is what is under test.
    monkeypatch.setattr(diff, "plan_stack_file", lambda path, stack: (None, runs[path], []))
    code = main(
        ["diff", "--config", str(new), "--against", str(old), "--markdown", str(tmp_path / "d")]
    )
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert (
        "error: platform:database.size: Civo cannot resize database shared in place (its API "
        "takes only name, nodes and firewall on update); resize by moving to a new database, "
        "see docs/runbooks/resize-database.md"
    ) in err
    assert any(
        line.startswith("error: platform:clusters[chicago].nodeSize: Vultr cannot change")
        and "docs/runbooks/resize-node-pool.md" in line
        for line in err
    )
    assert "resize by moving to a new database" in (tmp_path / "d").read_text()
    for runbook in ("resize-database.md", "resize-node-pool.md"):
        assert (PROJECT_DIR / "docs" / "runbooks" / runbook).is_file()


def test_resizing_by_moving_to_a_new_database_is_planned_and_allowed(
    stack_plans: dict[str, PlanView], plan_config: Callable[..., PlanView]
) -> None:
    def move(config: dict[str, Any]) -> None:
        config["platform:database"].update(name="shared2", size="g3.db.medium")

    changes = diff_runs(stack_plans["dev"].run, plan_config("dev", move).run)
    assert refusals(changes) == []
    added = by_name([c for c in changes if c.kind == "add" and c.resource.custom])
    assert added["shared2"].resource.inputs["size"] == "g3.db.medium"
    assert "shared" in {c.resource.name for c in changes if c.kind == "remove"}


def test_a_database_civo_did_not_resize_fails_the_run() -> None:
    """After an `up`, the provider reads the real size back: a resize it dropped shows."""
    assert size_applied("g3.db.large")("g3.db.large") == "g3.db.large"
    with pytest.raises(RuntimeError, match=r"^platform:database.size: Civo still runs"):
        size_applied("g3.db.large")("g3.db.medium")


def test_a_node_plan_vultr_did_not_apply_fails_the_run() -> None:
    def pool(plan: str) -> vultr.outputs.KubernetesNodePools:
        return vultr.outputs.KubernetesNodePools(label="chicago-pool", node_quantity=3, plan=plan)

    assert plan_applied("chicago", "vhf-8c-32gb")(pool("vhf-8c-32gb")) == "vhf-8c-32gb"
    with pytest.raises(
        RuntimeError,
        match=r"^cluster chicago: nodeSize vhf-8c-32gb is not applied.*resize-node-pool\.md$",
    ):
        plan_applied("chicago", "vhf-8c-32gb")(pool("vc2-4c-8gb"))


def test_new_credentials_for_the_same_existing_cluster_replace_nothing(
    existing_mgmt: Callable[[str], PlanView],
) -> None:
    before = existing_mgmt(kubeconfig("https://10.0.0.1:6443", "old-token")).run
    after = existing_mgmt(kubeconfig("https://10.0.0.1:6443", "new-token")).run
    changes = diff_runs(before, after)
    assert [(c.kind, c.resource.type, c.paths) for c in changes] == [
        ("update", "pulumi:providers:kubernetes", ["kubeconfig"])
    ]


def test_another_server_replaces_the_provider_and_everything_on_it(
    existing_mgmt: Callable[[str], PlanView],
) -> None:
    before = existing_mgmt(kubeconfig("https://10.0.0.1:6443", "old-token")).run
    after = existing_mgmt(kubeconfig("https://10.0.0.2:6443", "old-token")).run
    changes = diff_runs(before, after)
    provider = next(c for c in changes if c.resource.type == "pulumi:providers:kubernetes")
    assert provider.reasons == ["kubeconfig forces a new resource"]
    on_cluster = [r for r in after.registrations if r.provider and "mgmt-k8s" in r.provider]
    replaced = {c.resource.urn for c in changes if c.kind == "replace"}
    assert on_cluster and {r.urn for r in on_cluster} <= replaced
    # The engine replaces them for their provider: new objects first, on the new cluster.
    assert not any(c.delete_first for c in changes)


# --- the Kubernetes provider's DiffConfig ---------------------------------------------------


def test_kubernetes_provider_replacement_follows_the_active_cluster() -> None:
    old = {"kubeconfig": kubeconfig("https://a:6443", "t1")}
    assert (
        kubernetes_provider_replaces(old, {"kubeconfig": kubeconfig("https://a:6443", "t2")}) == []
    )
    assert kubernetes_provider_replaces(
        old, {"kubeconfig": kubeconfig("https://a:6443", "t1", ca="bmV3")}
    ) == ["kubeconfig"]
    assert kubernetes_provider_replaces(old, old, unknown=["kubeconfig"]) == ["kubeconfig"]
    assert kubernetes_provider_replaces(old, {"kubeconfig": "not: [a kubeconfig"}) == []


def test_an_unchanged_cluster_identifier_cancels_every_replacement() -> None:
    old = {"kubeconfig": kubeconfig("https://a:6443", "t"), "clusterIdentifier": "mgmt"}
    moved = {"kubeconfig": kubeconfig("https://b:6443", "t"), "clusterIdentifier": "mgmt"}
    assert kubernetes_provider_replaces(old, moved) == []
    assert kubernetes_provider_replaces(old, moved, unknown=["kubeconfig"]) == []
    assert kubernetes_provider_replaces(old, {**old, "clusterIdentifier": "mgmt-2"}) == [
        "clusterIdentifier"
    ]
    # Adding an identifier replaces nothing by itself; the kubeconfig rule still applies.
    unset = {"kubeconfig": old["kubeconfig"]}
    assert kubernetes_provider_replaces(unset, old) == []
    assert kubernetes_provider_replaces(unset, {**moved, "clusterIdentifier": None}) == [
        "kubeconfig"
    ]


# --- delete-before-replace and silently dropped fields, on single resources ------------------


def one_change(type_token: str, old: dict[str, Any], new: dict[str, Any], **options: Any) -> Change:
    (change,) = diff_runs(
        PlanRun("s", [registration(type_token, "r", old)], {}, {}, []),
        PlanRun("s", [registration(type_token, "r", new, **options)], {}, {}, []),
    )
    return change


SECRET = "kubernetes:core/v1:Secret"


def test_a_named_kubernetes_object_replaced_in_place_is_deleted_first() -> None:
    meta = {"name": "token", "namespace": "argocd"}
    change = one_change(
        SECRET, {"metadata": meta, "type": "Opaque"}, {"metadata": meta, "type": "x"}
    )
    assert (change.kind, change.delete_first) == ("replace", True)
    assert render_text([change])[-1].endswith("(1 replaced by deleting first)")
    # A new name can coexist with the old one: created first.
    renamed = {"metadata": {**meta, "name": "token-2"}, "type": "Opaque"}
    change = one_change(SECRET, {"metadata": meta, "type": "Opaque"}, renamed)
    assert (change.kind, change.delete_first) == ("replace", False)
    assert change.line().startswith("+- ")


def test_immutable_secret_data_replaces_even_with_mutable_secrets() -> None:
    meta = {"name": "s", "namespace": "n"}
    mutable = one_change(SECRET, {"metadata": meta, "data": "a"}, {"metadata": meta, "data": "b"})
    assert mutable.kind == "update"
    frozen = {"metadata": meta, "immutable": True}
    change = one_change(SECRET, {**frozen, "data": "a"}, {**frozen, "data": "b"})
    assert (change.kind, change.delete_first) == ("replace", True)


def test_grant_replacements_delete_first_and_the_option_overrides_the_provider() -> None:
    grant = "postgresql:index/grant:Grant"
    change = one_change(grant, {"role": "public"}, {"role": "blog"})
    assert (change.kind, change.delete_first) == ("replace", True)
    change = one_change(grant, {"role": "public"}, {"role": "blog"}, delete_before_replace=False)
    assert (change.kind, change.delete_first) == ("replace", False)
    assert delete_before_replace("civo:index/network:Network", ["region"], {}, {}, option=True)


def test_a_rejected_change_says_whether_preview_or_up_fails() -> None:
    cluster = "civo:index/kubernetesCluster:KubernetesCluster"
    change = one_change(cluster, {"cni": "flannel"}, {"cni": "cilium"})
    assert change.reasons == ["the provider rejects a change to cni at `pulumi preview`"]
    change = one_change(cluster, {"pools": {"size": "a"}}, {"pools": {"size": "b"}})
    assert change.reasons == ["the provider rejects a change to pools.size at `pulumi up`"]


def test_a_vultr_management_cluster_refusal_names_its_own_key() -> None:
    line = refusal("vultr:index/kubernetes:Kubernetes", "mgmt", "nodePools.plan", management=True)
    assert line.startswith("error: platform:mgmtCluster.nodeSize: Vultr cannot change the plan")


def test_a_helm_setting_applied_only_at_install_is_refused() -> None:
    change = one_change(
        "kubernetes:helm.sh/v3:Release", {"createNamespace": False}, {"createNamespace": True}
    )
    (line,) = refusals([change])
    assert line == (
        "error: kubernetes:helm.sh/v3:Release r: the provider never applies a change to "
        "createNamespace on update; the preview would show an update that changes nothing"
    )
    assert "> [!CAUTION]" in render_markdown([change], "t")


def test_a_replacement_applies_what_an_update_would_drop() -> None:
    database = "civo:index/database:Database"
    change = one_change(
        database, {"size": "a", "networkId": "n1"}, {"size": "b", "networkId": "n2"}
    )
    assert change.kind == "replace" and refusals([change]) == []


def test_a_bridged_resource_named_by_the_program_is_replaced_deleting_first() -> None:
    firewall = "civo:index/firewall:Firewall"
    named = one_change(firewall, {"name": "fw", "networkId": "a"}, {"name": "fw", "networkId": "b"})
    assert (named.kind, named.delete_first) == ("replace", True)
    # Without an explicit name the provider auto-names a fresh one: new first.
    auto = one_change(firewall, {"networkId": "a"}, {"networkId": "b"})
    assert (auto.kind, auto.delete_first) == ("replace", False)
    # Cloudflare's bridge does not auto-name: its named resources are created first.
    pool = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
    change = one_change(pool, {"name": "p", "accountId": "a"}, {"name": "p", "accountId": "b"})
    assert (change.kind, change.delete_first) == ("replace", False)


def test_the_review_fails_on_an_edit_the_provider_would_drop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = "civo:index/database:Database"
    dropped = one_change(database, {"size": "g3.db.small"}, {"size": "g3.db.large"})
    applied = one_change(database, {"nodes": 1}, {"nodes": 3})

    def reviewed(change: Change) -> int:
        stack = review.StackReview("prod", "Pulumi.prod.yaml changed", changes=[change])
        monkeypatch.setattr(review, "review", lambda *_: ("body", [stack]))
        return main(["review", "--base", "main", "--out", str(tmp_path / "r.md")])

    assert reviewed(applied) == 1
    assert reviewed(dropped) == 2
    capsys.readouterr()
