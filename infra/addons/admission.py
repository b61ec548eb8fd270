"""Admission policies on workload clusters: what the API server refuses whoever asks.

Apps may write Services (argocd-manager's Role grants it), and a Service of type
LoadBalancer makes Civo's and Vultr's controllers create a public load balancer with no
firewall (civo-cloud-controller-manager v0.1.9 `loadbalancer.go` `createLoadBalancer`
sets a firewall only from its annotation; vultr-cloud-controller-manager v0.18.0
`buildFirewallRules` returns no rules without one); a NodePort opens a port on every
node. A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA in Kubernetes
1.30) refuses both in the app namespaces labelled for it; an app whose config allows
them (`loadBalancerServices: true`) has its namespace labelled otherwise.

A Service's `spec.externalIPs` makes kube-proxy on every node send traffic for those
addresses to the Service, whoever it was meant for: an app could intercept the
cluster's traffic to any address (CVE-2020-8554, kubernetes/kubernetes#97076, which
advises refusing the field at admission). No app needs it, so a second policy refuses
it in every app namespace, `loadBalancerServices` or not.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext

# On every app namespace; its value says which Service types the app may create.
LABEL = "platform/service-types"
CLUSTER_INTERNAL = "cluster-internal"
LOAD_BALANCERS = "load-balancers"
REFUSED_TYPES = ("LoadBalancer", "NodePort")
TYPES_POLICY = "platform-cluster-internal-services"
EXTERNAL_IPS_POLICY = "platform-no-external-ips"
# Validation sees the defaulted object; `type` is absent only in a dry run of a partial
# object, which is ClusterIP.
SERVICE_TYPES_EXPRESSION = "!has(object.spec.type) || !(object.spec.type in [{}])".format(
    ", ".join(f"'{t}'" for t in REFUSED_TYPES)
)
EXTERNAL_IPS_EXPRESSION = "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0"


def namespace_labels(load_balancer_services: bool) -> dict[str, str]:
    return {LABEL: LOAD_BALANCERS if load_balancer_services else CLUSTER_INTERNAL}


class ServiceTypePolicy:
    """The policies and their bindings: with failurePolicy Fail and action Deny, a Service
    of a refused type, or with external addresses, is rejected at create and at update
    (an existing one cannot be changed to one either). Objects created before a policy
    are left alone by the API server."""

    def __init__(self, ctx: AddonContext) -> None:
        self.policy = _service_policy(
            ctx,
            TYPES_POLICY,
            SERVICE_TYPES_EXPRESSION,
            "apps may not create LoadBalancer or NodePort Services: the cloud would give "
            "them a public load balancer without a firewall; set loadBalancerServices: true "
            "on the app in platform:apps to allow it",
            resource="service-types",
        )
        self.binding = _binding(
            ctx,
            "service-types-binding",
            TYPES_POLICY,
            k8s.meta.v1.LabelSelectorArgs(match_labels={LABEL: CLUSTER_INTERNAL}),
            self.policy,
        )
        self.external_ips_policy = _service_policy(
            ctx,
            EXTERNAL_IPS_POLICY,
            EXTERNAL_IPS_EXPRESSION,
            "apps may not set spec.externalIPs on a Service: every node would send traffic "
            "for those addresses to it, whoever it was meant for (CVE-2020-8554)",
            resource="external-ips",
        )
        self.external_ips_binding = _binding(
            ctx,
            "external-ips-binding",
            EXTERNAL_IPS_POLICY,
            # Every app namespace carries the label, whatever its value.
            k8s.meta.v1.LabelSelectorArgs(
                match_expressions=[
                    k8s.meta.v1.LabelSelectorRequirementArgs(key=LABEL, operator="Exists")
                ]
            ),
            self.external_ips_policy,
            after=self.binding,
        )
        # What app namespaces wait for: the last binding, created after the first.
        self.ready: pulumi.Resource = self.external_ips_binding


def _service_policy(
    ctx: AddonContext, name: str, expression: str, message: str, *, resource: str
) -> k8s.admissionregistration.v1.ValidatingAdmissionPolicy:
    """A policy refusing, with ``message``, every Service create or update for which
    ``expression`` is false."""
    return k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        ctx.name("admission", resource),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name),
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
                    expression=expression, message=message, reason="Forbidden"
                )
            ],
        ),
        opts=ctx.opts(),
    )


def _binding(
    ctx: AddonContext,
    resource: str,
    policy_name: str,
    namespaces: k8s.meta.v1.LabelSelectorArgs,
    policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
    *,
    after: pulumi.Resource | None = None,
) -> k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding:
    return k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        ctx.name("admission", resource),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name),
        spec=k8s.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpecArgs(
            policy_name=policy_name,
            validation_actions=["Deny"],
            match_resources=k8s.admissionregistration.v1.MatchResourcesArgs(
                namespace_selector=namespaces
            ),
        ),
        opts=ctx.opts(depends_on=[policy, *([after] if after else [])]),
    )
