"""MgmtCluster on each backend: what it creates, and that its credentials stay secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import naming
from infra.rules import StackPlan, plan_violations
from platform_cli import main
from platform_cli.exposure.command import matrix_of_run
from platform_cli.plan import plan_stack_file, read_valid
from platform_cli.runner import SECRET
from tests.conftest import stack_document
from tests.planview import PlanView

MGMT = "platform:index:MgmtCluster"
BACKENDS: dict[str, dict[str, Any]] = {
    "civo": {"provider": "civo", "region": "LON1", "nodeSize": "g4s.kube.medium", "nodeCount": 3},
    "vultr": {
        "provider": "vultr",
        "region": "ams",
        "nodeSize": "vc2-4c-8gb",
        "nodeCount": 3,
        "kubernetesVersion": "v1.33.0+1",
    },
    "existing": {"provider": "existing", "egressCidrs": ["192.0.2.10/32"]},
}
CLOUD_TYPES = {
    "civo": {
        "civo:index/network:Network",
        "civo:index/firewall:Firewall",
        "civo:index/kubernetesCluster:KubernetesCluster",
    },
    "vultr": {"vultr:index/kubernetes:Kubernetes", "vultr:index/firewallRule:FirewallRule"},
    "existing": set(),
}


def mgmt_on(backend: str) -> Callable[[dict[str, Any]], None]:
    def edit(config: dict[str, Any]) -> None:
        # The management cluster alone, so every resource in the plan is its own.
        config.pop("platform:clusters", None)
        config.pop("platform:database", None)
        config.pop("platform:apps", None)
        config["platform:mgmtCluster"] = BACKENDS[backend]
        if backend == "existing":
            config["platform:mgmtKubeconfig"] = {"secure": "v1:placeholder"}
        if backend == "vultr":
            # A cloud without its credential is a config error (dev has no Vultr key).
            config["vultr:apiKey"] = {"secure": "v1:placeholder"}

    return edit


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def backend_plan(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, PlanView]:
    document = stack_document("dev")
    mgmt_on(request.param)(document["config"])
    path = tmp_path_factory.mktemp(request.param) / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return request.param, PlanView(plan_stack_file(path)[1])


def test_creates_its_cloud_resources_and_the_add_ons(backend_plan: tuple[str, PlanView]) -> None:
    backend, plan = backend_plan
    (mgmt,) = plan.components(MGMT)
    types = {r.type for r in plan.below(mgmt)}
    cloud = {t for t in types if t.split(":")[0] in {"civo", "vultr"}}
    assert cloud == CLOUD_TYPES[backend]
    charts = {r.inputs["chart"].rsplit("/", 1)[-1] for r in plan.of_type("helm.sh/v3:Release")}
    assert charts == {
        "gateway-helm",
        "cert-manager",
        "external-dns",
        "external-secrets",
        "sealed-secrets",
        "argo-cd",
    }
    assert all(r.parent for r in plan.resources), "every resource belongs to a component"


def test_every_credential_output_is_secret(backend_plan: tuple[str, PlanView]) -> None:
    _, plan = backend_plan
    (mgmt,) = plan.components(MGMT)
    outputs = plan.run.component_outputs[mgmt.urn]
    assert outputs["kubeconfig"] == SECRET
    assert outputs["adminPassword"] == SECRET
    assert outputs["argocdUrl"] == "https://argocd.example.net"
    assert plan.run.stack_outputs["argocdAdminPassword"] == SECRET
    assert plan.run.stack_outputs["mgmtKubeconfig"] == SECRET


def test_no_plaintext_credential_in_any_input(backend_plan: tuple[str, PlanView]) -> None:
    _, plan = backend_plan
    text = plan.inputs_text()
    assert "mock-password-" not in text, "a generated password reached an input in clear"
    assert "mock-secret-" not in text and "mock-value-" not in text, "an access key or token leaked"
    assert "user: {token: placeholder}" not in text, "a kubeconfig leaked"
    argocd = plan.one("helm.sh/v3:Release", "mgmt-argo-cd")
    assert argocd.inputs["values"] == SECRET or (
        argocd.inputs["values"]["configs"]["secret"]["argocdServerAdminPassword"] == SECRET
    )
    for secret in plan.of_type("core/v1:Secret"):
        assert secret.inputs.get("stringData", SECRET) == SECRET, secret.name


def test_kubernetes_api_admits_only_admin_cidrs(backend_plan: tuple[str, PlanView]) -> None:
    backend, plan = backend_plan
    if backend == "civo":
        firewall = plan.one("civo:index/firewall:Firewall", "mgmt-firewall")
        rules = {r["label"]: r for r in firewall.inputs["ingressRules"]}
        assert rules["kubernetes-api"]["portRange"] == "6443"
        assert rules["kubernetes-api"]["cidrs"] == ["203.0.113.0/24"]
        # Argo CD's 80/443 admit the admin CIDRs only, unless argocd.exposure says public.
        assert rules["https"]["cidrs"] == ["203.0.113.0/24"]
        assert firewall.inputs["createDefaultRules"] is False
    elif backend == "vultr":
        api = [
            (r.inputs["subnet"], r.inputs["subnetSize"])
            for r in plan.of_type("vultr:index/firewallRule:FirewallRule")
            if r.inputs["port"] == "6443"
        ]
        assert api == [("203.0.113.0", 24)]
    else:
        assert not plan.of_type("Firewall")


def test_argocd_is_served_only_over_https(backend_plan: tuple[str, PlanView]) -> None:
    _, plan = backend_plan
    routes = {r.name: r.inputs for r in plan.of_type("gateway.networking.k8s.io/v1:HTTPRoute")}
    argocd = routes["mgmt-route-argocd"]
    assert argocd["spec"]["hostnames"] == ["argocd.example.net"]
    assert [p["sectionName"] for p in argocd["spec"]["parentRefs"]] == ["https"]
    redirect = routes["mgmt-https-redirect"]["spec"]
    assert redirect["parentRefs"][0]["sectionName"] == "http"
    assert redirect["rules"][0]["filters"][0]["requestRedirect"] == {
        "scheme": "https",
        "statusCode": 301,
    }
    gateway = plan.one("gateway.networking.k8s.io/v1:Gateway", "mgmt-gateway").inputs["spec"]
    listeners = {item["name"]: item for item in gateway["listeners"]}
    assert listeners["http"]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert listeners["https"]["tls"]["certificateRefs"] == [
        {"kind": "Secret", "name": "wildcard-mgmt-tls"}
    ]
    certificate = plan.one("cert-manager.io/v1:Certificate", "mgmt-wildcard-certificate").inputs[
        "spec"
    ]
    assert "argocd.example.net" in certificate["dnsNames"]


def test_default_project_is_closed(backend_plan: tuple[str, PlanView]) -> None:
    _, plan = backend_plan
    default = plan.one("argoproj.io/v1alpha1:AppProjectPatch", "mgmt-appproject-default").inputs
    assert default["metadata"]["name"] == "default"
    assert default["spec"]["sourceRepos"] == [] and default["spec"]["destinations"] == []


def test_resources_json_lists_the_component(tmp_path: Any) -> None:
    assert main(["plan", "--stack", "dev", "--out", str(tmp_path)]) == 0
    resources = json.loads((tmp_path / "resources.json").read_text())
    assert [r["type"] for r in resources].count(MGMT) == 1
    keys = {"urn", "type", "name", "parent", "provider", "dependencies", "protect", "inputs"}
    assert all(keys <= r.keys() for r in resources)


def test_every_backend_breaks_no_rule_and_keeps_the_client_address_where_it_can(
    backend_plan: tuple[str, PlanView], tmp_path: Path
) -> None:
    """Envoy expects the proxy protocol only where the platform's load balancer sends it:
    an `existing` cluster's load balancer is its owner's and sends none, so requiring the
    header there would close every connection (rule proxy-protocol-both-ends); the
    matrix then says the client's address is lost there."""
    backend, plan = backend_plan
    document = stack_document("dev")
    mgmt_on(backend)(document["config"])
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    valid = read_valid(tmp_path / "Pulumi.dev.yaml")[1]
    errors, _ = plan_violations(StackPlan("dev", valid.config, plan.resources))
    assert errors == [], [str(e) for e in errors]
    argocd_url = naming.https_url(naming.argocd_host(valid.config.domain))
    argocd = matrix_of_run(valid, plan.run).row(f"{argocd_url} (origin)")
    kept = backend != "existing"
    assert ("client address kept" if kept else "client address lost at the load balancer") in (
        argocd.note
    ), argocd
