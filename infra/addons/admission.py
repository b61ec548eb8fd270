"""Admission policies on workload clusters: what the API server refuses whoever asks.

Apps may write Services (argocd-manager's Role grants it), and a Service of type
LoadBalancer makes Civo's and Vultr's controllers create a public load balancer with no
firewall (civo-cloud-controller-manager v0.1.9 `loadbalancer.go` `createLoadBalancer`
sets a firewall only from its annotation; vultr-cloud-controller-manager v0.18.0
`buildFirewallRules` returns no rules without one); a NodePort opens a port on every
node. A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in Kubernetes
1.30) refuses both in the app namespaces labelled for it; an app whose config allows
them (`loadBalancerServices: true`) has its namespace left unlabelled.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext

POLICY = "platform-cluster-internal-services"
# On every app namespace that may not expose Services itself.
LABEL = "platform/service-types"
CLUSTER_INTERNAL = "cluster-internal"
REFUSED_TYPES = ("LoadBalancer", "NodePort")


def namespace_labels(load_balancer_services: bool) -> dict[str, str]:
    return {} if load_balancer_services else {LABEL: CLUSTER_INTERNAL}


class ServiceTypePolicy:
    """The policy and its binding: with failurePolicy Fail and action Deny, a Service of
    a refused type is rejected at create and at update (an existing one cannot be changed
    to one either). Objects created before the policy are left alone by the API server."""

    def __init__(self, ctx: AddonContext) -> None:
        types = ", ".join(f"'{t}'" for t in REFUSED_TYPES)
        self.policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            ctx.name("admission", "service-types"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=POLICY),
            spec=k8s.admissionregistration.v1.ValidatingAdmissionPolicySpecArgs(
                failure_policy="Fail",
                match_constraints=k8s.admissionregistration.v1.MatchResourcesArgs(
                    resource_rules=[
                        k8s.admissionregistration.v1.NamedRuleWithOperationsArgs(
                            api_groups=[""],
                            api_versions=["v1"],
                            operations=["CREATE", "UPDATE"],
                            resources=["services"],
                        )
                    ]
                ),
                validations=[
                    k8s.admissionregistration.v1.ValidationArgs(
                        # Validation sees the defaulted object; `type` is absent only in
                        # a dry run of a partial object, which is ClusterIP.
                        expression=f"!has(object.spec.type) || !(object.spec.type in [{types}])",
                        message="apps may not create LoadBalancer or NodePort Services: the "
                        "cloud would give them a public load balancer without a firewall; "
                        "set loadBalancerServices: true on the app in platform:apps to allow it",
                        reason="Forbidden",
                    )
                ],
            ),
            opts=ctx.opts(),
        )
        self.binding = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            ctx.name("admission", "service-types-binding"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=POLICY),
            spec=k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpecArgs(
                policy_name=POLICY,
                validation_actions=["Deny"],
                match_resources=k8s.admissionregistration.v1.MatchResourcesArgs(
                    namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                        match_labels={LABEL: CLUSTER_INTERNAL}
                    )
                ),
            ),
            opts=ctx.opts(depends_on=[self.policy]),
        )
