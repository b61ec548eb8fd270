"""Rules from what the providers really answer (``infra.providers.outputs``): a value the
program hands one provider must be one another provider fills."""

from __future__ import annotations

from infra.rules.plan_rules import Findings, PlanRule, StackPlan

# The inputs that tell an explicit provider where to connect, and what it does when one
# is empty: it falls back to the runner's own settings, never to an error.
CONNECTION_INPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    # pulumi-kubernetes provider/pkg/provider/provider.go L872-903: an empty kubeconfig
    # loads clientcmd's default rules ($KUBECONFIG, ~/.kube/config, in-cluster).
    "pulumi:providers:kubernetes": (
        ("kubeconfig",),
        "falls back to the runner's own kubeconfig, or finds the cluster unreachable",
    ),
    # cyrilgdn/terraform-provider-postgresql ff936b9548c1 postgresql/provider.go: host,
    # username and password default to PGHOST, PGUSER and PGPASSWORD (then localhost);
    # a port of 0 is passed on as it is (L347, L377).
    "pulumi:providers:postgresql": (
        ("host", "port", "username", "password"),
        "falls back to the runner's PGHOST, PGUSER and PGPASSWORD, or dials port 0",
    ),
}


def _empty(value: object) -> bool:
    # Provider inputs travel as strings: a port of 0 arrives as "0".
    return value is None or value in ("", {}, 0, "0")


def _connections_filled(plan: StackPlan) -> Findings:
    for resource in plan.resources:
        keys, fallback = CONNECTION_INPUTS.get(resource.type, ((), ""))
        for key in keys:
            if not _empty(resource.revealed_inputs.get(key)):
                continue
            sources = sorted(
                plan.by_urn[urn].name
                for urn in resource.property_dependencies.get(key, [])
                if urn in plan.by_urn
            )
            origin = f" ({', '.join(sources)} leaves it unfilled)" if sources else ""
            yield resource.name, f"{key} is empty{origin}: the provider {fallback}"


PLAN_RULES = [
    PlanRule(
        "provider-connection-filled",
        "Every explicit provider gets its connection (kubeconfig, database host and "
        "credentials) from an output the cloud provider fills.",
        "pulumi/pulumi-kubernetes provider/pkg/provider/provider.go L872-903; "
        "civo/terraform-provider-civo v1.1.4 civo/kubernetes/resource_kubernetes_cluster.go "
        "L357-362 (kubeconfig only with write_kubeconfig)",
        _connections_filled,
    ),
]
