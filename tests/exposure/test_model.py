"""The reachability model on plans edited to break one thing: it follows what the
controllers do, not what the platform meant."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import pytest

from infra import edge
from infra.addons import admission
from infra.rules.edge_rules import CROSS_NAMESPACE
from infra.validation import ValidConfig
from platform_cli.exposure import Matrix, matrix_of
from platform_cli.exposure.sources import INTERNET, ZONE
from platform_cli.runner import Registration
from tests.planview import PlanView


def _without_cross_namespace(r: Registration) -> Registration:
    if r.type != "kubernetes:helm.sh/v3:Release" or not r.name.endswith("-ingress-nginx"):
        return r
    inputs = copy.deepcopy(r.revealed_inputs)
    inputs["values"]["controller"].get("config", {}).pop(CROSS_NAMESPACE, None)
    return replace(r, revealed_inputs=inputs)


def test_an_origin_whose_client_ca_nginx_may_not_read_answers_nobody(
    matrices: dict[str, Matrix],
    ingress_nginx_plan: PlanView,
    exposure_configs: dict[str, ValidConfig],
) -> None:
    """ingress-nginx v1.15.1 refuses an auth-tls secret in another namespace unless the
    controller allows cross-namespace resources, and then serves the host `return 403;`:
    the matrix must not claim such an origin answers this zone's Cloudflare."""
    shipped = matrices["ingress-nginx"]
    origins = [
        e.name
        for e in shipped.endpoints
        if e.name.endswith("(origin)") and e.cluster in shipped.sources.workload_clusters
    ]
    assert origins and all(shipped.row(name).reached_by == {ZONE} for name in origins)

    edited = [_without_cross_namespace(r) for r in ingress_nginx_plan.resources]
    config = exposure_configs["ingress-nginx"].config
    matrix = matrix_of(shipped.stack, config, shipped.sources, edited)
    for name in origins:
        row = matrix.row(name)
        assert row.reached_by == frozenset(), row
        assert "answers 403 to everyone" in row.note and CROSS_NAMESPACE in row.note, row
        published = name.replace("(origin)", "(through Cloudflare)")
        if any(e.name == published for e in matrix.endpoints):
            assert matrix.row(published).reached_by == frozenset()


Edit = Callable[[Registration], Registration]


@pytest.fixture
def edit_prod(
    prod: PlanView, matrices: dict[str, Matrix], exposure_configs: dict[str, ValidConfig]
) -> Callable[[Edit], tuple[Matrix, Matrix]]:
    """prod's shipped matrix, and its matrix once an edit has changed its plan."""

    def edited(edit: Edit) -> tuple[Matrix, Matrix]:
        shipped = matrices["prod"]
        resources = [edit(r) for r in prod.resources]
        config = exposure_configs["prod"].config
        return shipped, matrix_of("prod", config, shipped.sources, resources)

    return edited


def _without_validation(expression: str) -> Callable[[Registration], Registration]:
    def edit(r: Registration) -> Registration:
        if r.type != "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy":
            return r
        inputs = copy.deepcopy(r.revealed_inputs)
        spec = inputs["spec"]
        spec["validations"] = [v for v in spec["validations"] if v["expression"] != expression]
        return replace(r, revealed_inputs=inputs)

    return edit


@pytest.mark.parametrize(
    ("expression", "row"),
    [
        (admission.SERVICE_TYPES_EXPRESSION, "a LoadBalancer or NodePort Service"),
        (admission.EXTERNAL_IPS_EXPRESSION, "a Service with externalIPs"),
    ],
)
def test_what_the_admission_policy_does_not_refuse_is_open(
    edit_prod: Callable[[Edit], tuple[Matrix, Matrix]], expression: str, row: str
) -> None:
    """The matrix reads what the policy refuses from its validations, not from its
    name: a policy without the check leaves the door open."""
    shipped, matrix = edit_prod(_without_validation(expression))
    opened = [e for e in matrix.endpoints if row in e.name]
    assert opened
    for endpoint in opened:
        assert INTERNET in endpoint.reached_by, endpoint
        assert shipped.row(endpoint.name).reached_by == frozenset()


def _emptied(name: str) -> Edit:
    """The load balancer's source list, emptied: a Civo firewall's CIDRs, or a Vultr
    gateway's firewall-rules annotation."""

    def edit(r: Registration) -> Registration:
        if r.name != name:
            return r
        inputs = copy.deepcopy(r.revealed_inputs)
        if r.type == "civo:index/firewall:Firewall":
            for rule in inputs["ingressRules"]:
                rule["cidrs"] = []
        else:
            service = inputs["spec"]["provider"]["kubernetes"]["envoyService"]
            service["annotations"][edge.VULTR_FIREWALL_RULES] = ""
        return replace(r, revealed_inputs=inputs)

    return edit


@pytest.mark.parametrize(
    ("resource", "row"),
    [
        ("mgmt-lb-firewall", "mgmt load balancer (gateway platform) :443"),
        ("chicago-envoyproxy", "chicago load balancer (gateway platform) :443"),
    ],
)
def test_an_empty_source_list_admits_everyone(
    edit_prod: Callable[[Edit], tuple[Matrix, Matrix]], resource: str, row: str
) -> None:
    """Civo reads a rule without CIDRs as 0.0.0.0/0 (its API: `cidr` "defaults to being
    globally applied"), and Vultr's controller gives a load balancer whose firewall-rules
    annotation is empty no firewall at all (vultr-cloud-controller-manager v0.18.0
    buildFirewallRules): the matrix must say everyone, never nobody."""
    shipped, matrix = edit_prod(_emptied(resource))
    assert INTERNET not in shipped.row(row).reached_by
    assert INTERNET in matrix.row(row).reached_by, matrix.row(row)
