"""The offline proof hears only what the providers really answer: every output the program
reads has a row in infra/providers/outputs.py naming the provider code that fills it, and
the mocks answer a row only when its condition holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.providers.outputs import OUTPUTS, Echo, listed
from platform_cli import main
from platform_cli.diff import diff_runs
from platform_cli.mocks import ANSWERS, PlanMocks
from platform_cli.replacements import PROVIDERS
from platform_cli.runner import PlanRun
from tests.conftest import ConfigEdit
from tests.planview import PlanView

CIVO_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"
FIXTURES = Path(__file__).parents[1] / "rules" / "fixtures"


def _vultr_management_without_autoscaling(config: dict[str, Any]) -> None:
    """Every backend and lookup at once: a Vultr management cluster, Vultr nodes looked up
    by id, the global Cloudflare token, ingress-nginx."""
    for cluster in config["platform:clusters"]:
        if cluster["name"] == "chicago":
            del cluster["autoscaling"], cluster["egressCidrs"]
    config["platform:mgmtCluster"] = {
        "provider": "vultr",
        "region": "ord",
        "nodeSize": "vc2-4c-8gb",
        "nodeCount": 3,
        "kubernetesVersion": "v1.33.0+1",
    }
    config["platform:cloudflare"]["scopedTokens"] = False
    config["platform:trafficController"] = "ingress-nginx"
    config["platform:observability"] = False


VARIANTS: dict[str, tuple[str, ConfigEdit | None]] = {
    "dev": ("dev", None),
    "prod": ("prod", None),
    "prod on vultr, nodes looked up": ("prod", _vultr_management_without_autoscaling),
}


@pytest.fixture(scope="module")
def variant_runs(
    stack_plans: dict[str, PlanView], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PlanRun]:
    import copy  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    from platform_cli.plan import plan_stack_file  # noqa: PLC0415
    from tests.conftest import stack_document  # noqa: PLC0415

    runs = {"dev": stack_plans["dev"].run, "prod": stack_plans["prod"].run}
    for name, (stack, edit) in VARIANTS.items():
        if edit is None:
            continue
        document = copy.deepcopy(stack_document(stack))
        edit(document["config"])
        path = tmp_path_factory.mktemp("variant") / f"Pulumi.{stack}.yaml"
        path.write_text(yaml.safe_dump(document))
        runs[name] = plan_stack_file(path)[1]
    return runs


def test_every_output_the_program_reads_has_a_row(variant_runs: dict[str, PlanRun]) -> None:
    reads = set().union(*(run.reads for run in variant_runs.values()))
    assert [read for read in sorted(reads) if listed(*read) is None] == []
    # The variants reach every kind of read: clusters, database, nodes, lookups, tokens.
    tokens = {token for token, _ in reads}
    assert {
        CIVO_CLUSTER,
        "civo:index/database:Database",
        "vultr:index/kubernetes:Kubernetes",
        "vultr:index/getInstance:getInstance",
        "cloudflare:index/getIpRanges:getIpRanges",
        "kubernetes:core/v1:Secret",
    } <= tokens


def test_every_row_is_read_by_some_plan(variant_runs: dict[str, PlanRun]) -> None:
    """No row outlives the code that needed it."""
    reads = set().union(*(run.reads for run in variant_runs.values()))
    unused = [
        (r.token, r.path) for r in OUTPUTS if not any(r.covers(p) for t, p in reads if t == r.token)
    ]
    assert unused == []


def test_a_plan_that_reads_an_unlisted_output_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "reads_dns_entry.py"
    program.write_text(
        "import pulumi, pulumi_civo as civo\n"
        "cluster = civo.KubernetesCluster('c', firewall_id='f', write_kubeconfig=True,\n"
        "    pools=civo.KubernetesClusterPoolsArgs(size='g4s.kube.small', node_count=1))\n"
        "pulumi.export('dns', cluster.dns_entry)\n"
    )
    code = main(["plan", "--stack", "dev", "--program", str(program), "--out", str(tmp_path)])
    assert code == 2
    assert (
        f"error: {CIVO_CLUSTER} dnsEntry: the program reads this provider output, but "
        "infra/providers/outputs.py has no row saying what fills it"
    ) in capsys.readouterr().err.splitlines()


def test_the_mocks_answer_exactly_the_rows_the_provider_computes() -> None:
    computed = {(r.token, r.path) for r in OUTPUTS if not isinstance(r.filled, Echo)}
    assert set(ANSWERS) == computed


def test_every_row_cites_the_pinned_upstream() -> None:
    """The tag of each source is the one replacements.PROVIDERS established for the pin
    (pulumi-kubernetes and aws: the newest readable, as that table says)."""
    upstreams = " ".join(p.upstream + " " + p.evidence for p in PROVIDERS.values())
    for row in OUTPUTS:
        assert row.source.path and row.source.lines, row
        assert row.source.repo.split("/")[-1] in upstreams or row.source.repo in upstreams, row


def _answer(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    import pulumi  # noqa: PLC0415

    args = pulumi.runtime.MockResourceArgs(typ, name, inputs, "", "", custom=True)
    return PlanMocks().new_resource(args)[1]


def test_a_civo_cluster_gives_its_kubeconfig_only_with_write_kubeconfig() -> None:
    """terraform-provider-civo v1.1.4 Read L357-362: the mock must not invent it."""
    assert "kubeconfig" not in _answer(CIVO_CLUSTER, "london", {"name": "dev-london"})
    assert "kubeconfig" in _answer(CIVO_CLUSTER, "london", {"writeKubeconfig": True})
    assert _answer(CIVO_CLUSTER, "london", {})["masterIp"]


def test_vultr_has_no_firewall_group_without_its_firewall() -> None:
    vultr = "vultr:index/kubernetes:Kubernetes"
    assert "firewallGroupId" not in _answer(vultr, "chicago", {"enableFirewall": False})
    assert _answer(vultr, "chicago", {"enableFirewall": True})["firewallGroupId"]


def test_every_civo_cluster_hands_its_kubernetes_provider_a_kubeconfig(
    stack_plan: PlanView,
) -> None:
    clusters = stack_plan.of_type(CIVO_CLUSTER)
    assert clusters
    for cluster in clusters:
        assert cluster.revealed_inputs["writeKubeconfig"] is True, cluster.name
        provider = stack_plan.one("providers:kubernetes", f"{cluster.name}-k8s")
        assert "apiVersion: v1" in provider.revealed_inputs["kubeconfig"], cluster.name


def test_the_database_port_is_postgresqls_when_civo_reports_none(prod: PlanView) -> None:
    """The API's top-level port is 0 (see its row); clients must get 5432."""
    provider = prod.one("providers:postgresql", "shared-postgresql")
    assert int(provider.revealed_inputs["port"]) == 5432


def test_plan_outputs_of_the_fixture_without_write_kubeconfig_fail_the_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    program = FIXTURES / "provider_connection_filled.py"
    assert main(["plan", "--stack", "dev", "--program", str(program), "--out", "build/f"]) == 2
    assert (
        "error: rule provider-connection-filled: fixture-k8s: kubeconfig is empty: the "
        "provider falls back to the runner's own kubeconfig, or finds the cluster unreachable"
    ) in capsys.readouterr().err.splitlines()


def test_inputs_a_real_up_looks_up_are_marked(prod: PlanView) -> None:
    """resources.json says which inputs `up` decides: lookups and ignoreChanges."""
    london = prod.one(":KubernetesCluster", "london").decided_at_up
    assert london == {
        "kubernetesVersion": "looked up by civo getKubernetesVersion at creation, then kept "
        "from the state by ignoreChanges: what the cloud runs, unknown offline"
    }
    assert prod.one("kubernetes:Kubernetes", "chicago").decided_at_up == {
        "nodePools.nodeQuantity": "kept from the state by ignoreChanges: what the cloud "
        "runs, unknown offline"
    }
    assert prod.one(":Firewall", "london-firewall").decided_at_up == {
        "ingressRules.cidrs": "looked up by cloudflare getIpRanges"
    }
    assert prod.one(":UserPolicy", "london-secret-reader").decided_at_up == {
        "policy": "looked up by aws getCallerIdentity"
    }
    # What the config states is the config's, even where a lookup answers the same.
    assert prod.one("database:Database", "shared").decided_at_up == {}


# --- values decided at `up`: the review never calls a change to them "no change" ---------


def _cluster(config: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in config["platform:clusters"] if c["name"] == name)
    return found


def test_pinning_a_civo_version_the_lookup_answers_is_an_upgrade(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    """Offline the pin equals the mocked default, but the state holds whatever Civo ran at
    creation: `up` sends the pin (civo v1.1.4 Update L429-432)."""

    def pin(config: dict[str, Any]) -> None:
        _cluster(config, "london")["kubernetesVersion"] = "1.32.5-k3s1"

    changes = diff_runs(prod.run, plan_config("prod", pin).run)
    london = next(c for c in changes if c.resource.name == "london")
    assert (london.kind, london.paths) == ("update", ["kubernetesVersion", "options.ignoreChanges"])
    assert any("Civo upgrades the cluster to it" in note for note in london.notes)


def test_removing_autoscaling_sets_the_pool_size(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def fixed_size(config: dict[str, Any]) -> None:
        del _cluster(config, "chicago")["autoscaling"]

    changes = diff_runs(prod.run, plan_config("prod", fixed_size).run)
    chicago = next(c for c in changes if c.resource.name == "chicago")
    assert "nodePools.nodeQuantity" in chicago.paths
    assert any(
        note.startswith("nodePools.nodeQuantity was decided at `up`")
        and "now 3: Vultr resizes the pool to it" in note
        for note in chicago.notes
    )


def test_rotating_a_provider_credential_updates_the_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from platform_cli.runner import PROJECT_DIR  # noqa: PLC0415

    rotated = tmp_path / "Pulumi.prod.yaml"
    rotated.write_text(
        (PROJECT_DIR / "Pulumi.prod.yaml")
        .read_text()
        .replace(
            "civo:token:\n    secure: v1:placeholder-replace-with-pulumi-config-set-secret",
            "civo:token:\n    secure: v1:rotated",
        )
    )
    code = main(
        ["diff", "--config", str(rotated), "--against", str(PROJECT_DIR / "Pulumi.prod.yaml")]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "    ~ pulumi:providers:civo default_2_4_8  [token]" in out
    assert "0 to add, 1 to update, 0 to replace, 0 to remove" in out


def test_a_vultr_cluster_needs_the_vultr_credential(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def toronto(config: dict[str, Any]) -> None:
        config["platform:clusters"].append(
            {
                "name": "toronto",
                "provider": "vultr",
                "region": "yto",
                "nodeSize": "vc2-4c-8gb",
                "nodeCount": 2,
                "kubernetesVersion": "v1.33.0+1",
            }
        )

    code, errors = plan_errors(toronto, "dev")
    assert code == 2
    assert errors == [
        "error: vultr:apiKey: not set, and platform:clusters[2](toronto).provider puts "
        "resources on vultr: run `pulumi config set --secret vultr:apiKey` (or import an "
        "ESC environment that sets it, or set VULTR_API_KEY where `pulumi up` runs)"
    ]


def test_a_rotated_secret_changes_what_it_feeds(
    stack_plans: dict[str, PlanView], plan_config: Callable[..., PlanView]
) -> None:
    """Offline a secret is a placeholder made from its ciphertext: with the account-wide
    Cloudflare token as every cluster's DNS token, rotating it updates their Secrets."""

    def global_token(config: dict[str, Any]) -> None:
        config["platform:cloudflare"]["scopedTokens"] = False

    def rotated(config: dict[str, Any]) -> None:
        global_token(config)
        config["cloudflare:apiToken"] = {"secure": "v1:rotated"}

    changes = diff_runs(plan_config("dev", global_token).run, plan_config("dev", rotated).run)
    updated = {c.resource.name for c in changes if c.kind == "update"}
    assert updated == {
        f"{cluster}-secret-{addon}-cloudflare-dns-token"
        for cluster in ("mgmt", "london", "frankfurt")
        for addon in ("cert-manager", "external-dns")
    }


def test_a_stack_that_imports_an_esc_environment_may_leave_credentials_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml  # noqa: PLC0415

    from tests.conftest import stack_document  # noqa: PLC0415

    document = stack_document("prod")
    for key in ("civo:token", "vultr:apiKey", "cloudflare:apiToken"):
        del document["config"][key]
    document["environment"] = ["platform/prod"]
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["plan", "--config", str(path), "--out", str(tmp_path / "out")]) == 0
    del document["environment"]
    path.write_text(yaml.safe_dump(document))
    assert main(["plan", "--config", str(path), "--out", str(tmp_path / "out")]) == 2
    assert [
        line.split(":")[1].strip()
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("error:")
    ] == [
        "civo",
        "cloudflare",
        "vultr",
    ]
