"""What a change to an input does upstream: update in place, replace, or fail.

Bridged providers replace where the upstream Terraform schema marks an attribute
`ForceNew` (or `RequiresReplace`) and fail where its CustomizeDiff or Update rejects the
change; pulumi-kubernetes replaces an object whose name or namespace changes. Sources,
at the versions the pinned Pulumi providers bridge:
civo/terraform-provider-civo v1.1.4, vultr/terraform-provider-vultr v2.26.0,
cloudflare/terraform-provider-cloudflare v5.19+, hashicorp/terraform-provider-aws,
cyrilgdn/terraform-provider-postgresql, terraform-provider-random v3.9.0,
pulumi-kubernetes v4.32 (provider/pkg/provider/diff.go, helm_release.go).
"""

from __future__ import annotations

REPLACE_ON_CHANGE: dict[str, tuple[str, ...]] = {
    # civo/network/resource_network.go L29-32
    "civo:index/network:Network": ("region",),
    # civo/firewall/resource_firewall.go L29-33, L43-47
    "civo:index/firewall:Firewall": ("networkId", "createDefaultRules"),
    # civo/database/resource_database.go L21-24, L46-51
    "civo:index/database:Database": ("name", "networkId"),
    # vultr/resource_vultr_kubernetes.go L34, L45, L51, L57
    "vultr:index/kubernetes:Kubernetes": ("region", "vpcId", "haControlplanes", "enableFirewall"),
    # vultr/resource_vultr_firewall_rule.go: no Update function, every input replaces
    "vultr:index/firewallRule:FirewallRule": (
        "firewallGroupId",
        "ipType",
        "protocol",
        "subnet",
        "subnetSize",
        "port",
        "notes",
        "source",
    ),
    # cloudflare internal/services/*/schema.go RequiresReplace
    "cloudflare:index/loadBalancer:LoadBalancer": ("zoneId",),
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": ("accountId",),
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": ("accountId",),
    # terraform-provider-aws: iam user_policy, access_key, secretsmanager secret/version
    "aws:iam/userPolicy:UserPolicy": ("name", "namePrefix", "user"),
    "aws:iam/accessKey:AccessKey": ("user", "pgpKey"),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix", "region"),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretId", "secretString", "region"),
    # resource_postgresql_database.go L53-78, resource_postgresql_grant.go L48-99
    "postgresql:index/database:Database": ("template", "encoding", "lcCollate", "lcCtype"),
    "postgresql:index/grant:Grant": (
        "role",
        "database",
        "schema",
        "objectType",
        "objects",
        "columns",
        "withGrantOption",
    ),
    # resource_password.go L570-715: every user input replaces
    "random:index/randomPassword:RandomPassword": (
        "keepers",
        "length",
        "special",
        "upper",
        "lower",
        "numeric",
        "minNumeric",
        "minUpper",
        "minLower",
        "minSpecial",
        "overrideSpecial",
    ),
    # helm_release.go L907-909 forceNewFields
    "kubernetes:helm.sh/v3:Release": ("name", "namespace"),
    # diff.go: with enableSecretMutable (set on every provider here) only `type` replaces
    "kubernetes:core/v1:Secret": ("type",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    # provider.go L487-560: a provider pointed at another cluster is a new provider, and
    # every object it manages is replaced with it. A new kubeconfig is taken to mean that.
    "pulumi:providers:kubernetes": ("kubeconfig", "context", "cluster", "clusterIdentifier"),
}

# Changes the upstream provider rejects rather than applies: `pulumi up` would fail.
FAILS_ON_CHANGE: dict[str, tuple[str, ...]] = {
    # resource_kubernetes_cluster.go L589-596 (plan), L386-387 and L405-407 (update)
    "civo:index/kubernetesCluster:KubernetesCluster": (
        "applications",
        "clusterType",
        "cni",
        "networkId",
        "pools.size",
        "region",
    ),
    # resource_network.go L293-295: "the 'cidr_v4' field is immutable"
    "civo:index/network:Network": ("cidrV4",),
}

# diff.go L207-212: every Kubernetes object is replaced when its identity changes.
KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")


def _matches(path: str, fields: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith((f"{f}.", f"{f}[")) for f in fields)


def replacement_paths(type_token: str, path: str) -> bool:
    """Whether changing input ``path`` of a ``type_token`` resource forces a replacement."""
    forced = REPLACE_ON_CHANGE.get(type_token, ())
    if type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm.sh/"):
        forced = (*forced, *KUBERNETES_IDENTITY)
    return _matches(path, forced)


def failing_paths(type_token: str, path: str) -> bool:
    """Whether the upstream provider rejects a change to input ``path``."""
    return _matches(path, FAILS_ON_CHANGE.get(type_token, ()))
