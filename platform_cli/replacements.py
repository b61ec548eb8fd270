"""What a change to an input does under `pulumi up` with the pinned providers.

For every resource type the program can emit, a `Rule` says which input changes replace
the resource, whether the provider then deletes the old one first, which it rejects (and
whether `pulumi preview` already fails or only `pulumi up`), and which it silently drops
(the preview shows `~ update`, `up` "succeeds", the cloud is unchanged). Each rule cites
the upstream source at the version the pinned package bridges; `PROVIDERS` records which
pin that was reviewed for, and a test fails when `pyproject.toml` moves a pin without
this file being revisited.

Citations are "repo tag path Lnn". "inferred" marks what could not be read at the exact
pinned tag; the comment says what was read instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from infra.runbooks import RESIZE_DATABASE, RESIZE_NODE_POOL


@dataclass(frozen=True)
class Upstream:
    """One pinned Pulumi package and the upstream code its rules were read from."""

    pin: str  # the version in pyproject.toml these rules were reviewed for
    upstream: str  # what that version bridges, or the native provider's own tag
    evidence: str  # where the bridged version comes from


PROVIDERS: dict[str, Upstream] = {
    "pulumi-civo": Upstream(
        "2.4.8",
        "civo/terraform-provider-civo v1.1.4",
        "pulumi-civo v2.4.8 provider/go.mod L10 (its last tag; no overrides in provider/resources.go)",
    ),
    "ediri-vultr": Upstream(
        "2.27.1",
        "vultr/terraform-provider-vultr v2.27.1 (inferred)",
        "dirien/pulumi-vultr versions mirror upstream (v2.26.x provider/shim/go.mod pins the "
        "v2.26.0 release commit e0047a33); the 2.27.1 SDK has node-pool user_data and "
        "database_connector, both new upstream in v2.27.x; v2.26.0 -> v2.27.1 only adds "
        "user_data to the Kubernetes/KubernetesNodePools updates",
    ),
    "pulumi-cloudflare": Upstream(
        "6.23.1",
        "cloudflare/terraform-provider-cloudflare v5.19.1..v5.22.0 (inferred)",
        "pulumi-cloudflare v6.15.0-v6.17.0 submodule upstream @ b2277b8b = v5.19.1; 6.23.1 is "
        "newer than any readable tag; RequiresReplace sets of the types here are unchanged "
        "from v5.19.1 to v5.22.0",
    ),
    "pulumi-aws": Upstream(
        "7.51.1",
        "hashicorp/terraform-provider-aws v6.x (inferred)",
        "pulumi-aws v7 bridges terraform-provider-aws v6 (e.g. pulumi-aws PR #5976 'Upgrade "
        "terraform-provider-aws to v6.21.0'); the 7.51.1 submodule commit was not readable; "
        "the ForceNew sets used here have been stable for years",
    ),
    "pulumi-random": Upstream(
        "4.21.4",
        "hashicorp/terraform-provider-random v3.9.0",
        "pulumi-random provider/shim/go.mod f8d869dc98d9 = upstream tag v3.9.0 (v4.20.0 "
        "'Upgrade terraform-provider-random to v3.9.0'; later commits bridge-only)",
    ),
    "pulumi-postgresql": Upstream(
        "3.18.2",
        "cyrilgdn/terraform-provider-postgresql v1.27.0",
        "pulumi-postgresql v3.18.0 'Upgrade terraform-provider-postgresql to v1.27.0 (#974)', "
        "submodule upstream @ ff936b9548c1 unchanged through master",
    ),
    "pulumi-tls": Upstream(
        "5.6.2",
        "hashicorp/terraform-provider-tls 609226f53114 (read at d72d90e1, inferred)",
        "pulumi-tls provider/go.mod (v5.5.1 and main f7db93b) pins "
        "terraform-provider-tls v1.2.1-0.20260513075833-609226f53114; the newest readable "
        "commit is d72d90e1 (2026-04-28), and the schemas cited are unchanged since v4.0",
    ),
    "pulumi-pulumiservice": Upstream(
        "1.5.0",
        "pulumi/pulumi-pulumiservice v1.3.0..main (native provider; inferred for 1.5.0)",
        "deployment_settings.go Diff is the same at v1.3.0 and main (2026-08-21)",
    ),
    "pulumi-kubernetes": Upstream(
        "4.34.2",
        "pulumi/pulumi-kubernetes master 94977969d (native provider; inferred for 4.34.2)",
        "newest readable source is after v4.32.0 and before v4.33; the diff, DiffConfig and "
        "delete-before-replace logic cited has been stable since v4.0",
    ),
    "pulumi": Upstream(
        "3.272.0",
        "pulumi/pulumi engine 1b5949891b (inferred for 3.272.0)",
        "pkg/resource/deploy/step_generator.go; the 3.272 engine is not readable, the SDK's "
        "resource options (sdk/python/lib/pulumi/resource.py) are the installed 3.272.0",
    ),
}


@dataclass(frozen=True)
class Rule:
    package: str  # key of PROVIDERS
    source: str  # the upstream file the paths below are read from
    replace: tuple[str, ...] = ()
    # The provider asks the engine to delete the old resource before creating the new one.
    delete_before_replace: bool = False
    rejected_at_preview: tuple[str, ...] = ()
    rejected_at_up: tuple[str, ...] = ()
    # Inputs the update never sends: the state records the new value, the cloud keeps the old.
    ignored: tuple[str, ...] = ()
    note: str = ""


_CIVO = "pulumi-civo"
_VULTR = "ediri-vultr"
_CF = "pulumi-cloudflare"
_AWS = "pulumi-aws"
_PG = "pulumi-postgresql"
_K8S = "pulumi-kubernetes"
_CF_SCHEMA = "cloudflare/terraform-provider-cloudflare v5.19.1 internal/services/{}/schema.go"
_K8S_DIFF = "pulumi-kubernetes provider/pkg/provider/diff.go L23-251"
_CUSTOM_RESOURCE = Rule(
    _K8S,
    "pulumi-kubernetes provider/pkg/provider/provider.go L1559-1566",
    note="not in diff.go's table: only metadata.name/namespace replace",
)

RULES: dict[str, Rule] = {
    # --- civo (terraform-provider-civo v1.1.4) ------------------------------------------
    "civo:index/network:Network": Rule(
        _CIVO,
        "civo/network/resource_network.go",
        replace=("region",),  # L29-35 ForceNew
        rejected_at_preview=(
            "cidrV4",
        ),  # L293-296 CustomizeDiff "the 'cidr_v4' field is immutable"
        # L63-92 Optional, not ForceNew, used only in Create L120-127; Update L199-228
        # applies label and nameservers_v4 only.
        ignored=(
            "vlanId",
            "vlanCidrV4",
            "vlanGatewayIpV4",
            "vlanPhysicalInterface",
            "vlanAllocationPoolV4Start",
            "vlanAllocationPoolV4End",
        ),
    ),
    "civo:index/firewall:Firewall": Rule(
        _CIVO,
        "civo/firewall/resource_firewall.go",
        replace=("networkId", "createDefaultRules"),  # L29-36, L43-49 ForceNew
        # L37-42 Optional+Computed: Update L226-228 only switches the API region and
        # re-reads the firewall there (L311). Inferred: it is not found, so `up` fails.
        rejected_at_up=("region",),
    ),
    "civo:index/kubernetesCluster:KubernetesCluster": Rule(
        _CIVO,
        "civo/kubernetes/resource_kubernetes_cluster.go",
        # L589-597: CustomizeDiff on an existing cluster, "the '...' field is immutable".
        rejected_at_preview=("applications", "clusterType", "cni"),
        # L386-388 network change and L405-408 pool size change "not available at this
        # moment"; region (L35-40, no check) re-targets the update at another region's
        # API, which cannot find the cluster (inferred).
        rejected_at_up=("networkId", "pools.size", "region"),
        # L419-425: Update rebuilds every pool from the API's current labels/taints and
        # sends only the node count; `pools.label` is the pool id (kubernetes.go L104).
        ignored=(
            "pools.label",
            "pools.labels",
            "pools.taint",
            "pools.publicIpNodePool",
            "numTargetNodes",
            "targetNodesSize",
        ),
        note="kubernetesVersion is checked against Civo's API at preview (L529-578): not offline",
    ),
    "civo:index/database:Database": Rule(
        _CIVO,
        "civo/database/resource_database.go",
        replace=("name", "networkId"),  # L21-27, L46-52 ForceNew
        # L208-215: Update re-targets the API region and fails to find the database (inferred).
        rejected_at_up=("region",),
        # L217-235: UpdateDatabaseRequest carries nodes, name and firewall_id only; Read
        # (L265-268) puts the API's size/engine/version back, so every preview shows it again.
        ignored=("size", "engine", "version"),
    ),
    # --- vultr (terraform-provider-vultr v2.27.1) ---------------------------------------
    "vultr:index/kubernetes:Kubernetes": Rule(
        _VULTR,
        "vultr/resource_vultr_kubernetes.go",
        # L32-58 ForceNew (region compares case-insensitively).
        replace=("region", "vpcId", "haControlplanes", "enableFirewall"),
        # L288-297: NodePoolReqUpdate sends quantity, autoscaler, min/max, labels, taints,
        # user data; never the plan or the label. Read (L479-495) restores both.
        ignored=("nodePools.plan", "nodePools.label"),
    ),
    "vultr:index/firewallRule:FirewallRule": Rule(
        _VULTR,
        "vultr/resource_vultr_firewall_rule.go",
        # L17-24: no UpdateContext; every input is ForceNew (L26-72).
        replace=(
            "firewallGroupId",
            "ipType",
            "protocol",
            "subnet",
            "subnetSize",
            "port",
            "notes",
            "source",
        ),
    ),
    # --- cloudflare (terraform-provider-cloudflare v5, plugin framework) -----------------
    # Updates PUT the whole planned model, so nothing is dropped; the API may still refuse.
    "cloudflare:index/loadBalancer:LoadBalancer": Rule(
        _CF, _CF_SCHEMA.format("load_balancer"), replace=("zoneId",)
    ),  # L41-43
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": Rule(
        _CF, _CF_SCHEMA.format("load_balancer_pool"), replace=("accountId",)
    ),  # L42-45
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor": Rule(
        _CF, _CF_SCHEMA.format("load_balancer_monitor"), replace=("accountId",)
    ),  # L37-40
    # L34-37 setting_id RequiresReplace, L39-43 zone_id. Deleting one resets nothing
    # (an empty Delete): the zone keeps the last value the stack set.
    # No update: Update is empty (v5.22.0 authenticated_origin_pulls_certificate/resource.go);
    # private_key only keeps its state value (UseStateForUnknown), so a new key without a
    # new certificate would be recorded and never sent.
    "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate": Rule(
        _CF,
        _CF_SCHEMA.format("authenticated_origin_pulls_certificate"),
        replace=("zoneId", "certificate"),
        ignored=("privateKey",),
    ),
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings": Rule(
        _CF,
        _CF_SCHEMA.format("authenticated_origin_pulls_settings"),
        replace=("zoneId",),
        note="Delete is a no-op: removing it leaves AOP on",
    ),
    "cloudflare:index/zoneSetting:ZoneSetting": Rule(
        _CF, _CF_SCHEMA.format("zone_setting"), replace=("zoneId", "settingId")
    ),
    "cloudflare:index/apiToken:ApiToken": Rule(
        _CF,
        _CF_SCHEMA.format("api_token"),
        note="no RequiresReplace; Update L95-143 keeps the token value",
    ),
    # --- aws (terraform-provider-aws v6) ------------------------------------------------
    "aws:iam/user:User": Rule(
        _AWS,
        "internal/service/iam/user.go",
        note="name/path are renamed in place (UpdateUser NewUserName)",
    ),
    "aws:iam/accessKey:AccessKey": Rule(
        _AWS, "internal/service/iam/access_key.go", replace=("user", "pgpKey")
    ),
    "aws:iam/userPolicy:UserPolicy": Rule(
        _AWS, "internal/service/iam/user_policy.go", replace=("name", "namePrefix", "user")
    ),
    "aws:secretsmanager/secret:Secret": Rule(
        _AWS,
        "internal/service/secretsmanager/secret.go + internal/provider/sdkv2/region.go",
        replace=("name", "namePrefix", "region"),
        # recoveryWindowInDays and forceOverwriteReplicaSecret are never sent by Update, but
        # they are not dropped: the state keeps the new value and the delete uses it.
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": Rule(
        _AWS,
        "internal/service/secretsmanager/secret_version.go",
        replace=("secretId", "secretString", "secretBinary", "secretStringWoVersion", "region"),
    ),
    # The backup bucket and its settings (inferred: the s3 files were not readable at a v6
    # tag; these ForceNew/RequiresReplace sets have been stable since the v4 split of the
    # bucket's settings into their own resources, and v6 adds `region` to every resource).
    "aws:s3/bucket:Bucket": Rule(
        _AWS,
        "internal/service/s3/bucket.go + internal/provider/sdkv2/region.go",
        replace=("bucket", "bucketPrefix", "objectLockEnabled", "region"),
        note="force_destroy updates in place; deleting a bucket that holds objects fails",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Rule(
        _AWS,
        "internal/service/s3/bucket_public_access_block.go",
        replace=("bucket", "region"),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Rule(
        _AWS,
        "internal/service/s3/bucket_lifecycle_configuration.go",
        replace=("bucket", "expectedBucketOwner", "region"),
        note="rules update in place (PutBucketLifecycleConfiguration replaces the whole set)",
    ),
    # --- postgresql (terraform-provider-postgresql v1.27.0) -----------------------------
    "postgresql:index/role:Role": Rule(
        _PG,
        "postgresql/resource_postgresql_role.go",
        note="no ForceNew; Update L671-757 alters every attribute in place",
    ),
    "postgresql:index/database:Database": Rule(
        _PG,
        "postgresql/resource_postgresql_database.go",
        replace=("template", "encoding", "lcCollate", "lcCtype"),  # L53-80
    ),
    "postgresql:index/grant:Grant": Rule(
        _PG,
        "postgresql/resource_postgresql_grant.go L48-102; pulumi-postgresql provider/resources.go L96-99",
        replace=(
            "role",
            "database",
            "schema",
            "objectType",
            "objects",
            "columns",
            "withGrantOption",
        ),
        # pulumi-postgresql overrides the bridge: `DeleteBeforeReplace: true`.
        delete_before_replace=True,
    ),
    # --- tls: the two that only issue certificates (read at v4.2.1); every input replaces --
    "tls:index/certRequest:CertRequest": Rule(
        "pulumi-tls",
        "hashicorp/terraform-provider-tls v4.2.1 internal/provider/resource_cert_request.go L40-130",
        replace=("privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"),
    ),
    "tls:index/locallySignedCert:LocallySignedCert": Rule(
        "pulumi-tls",
        "hashicorp/terraform-provider-tls v4.2.1 internal/provider/resource_locally_signed_cert.go L50-150",
        replace=(
            "certRequestPem",
            "caPrivateKeyPem",
            "caCertPem",
            "validityPeriodHours",
            "allowedUses",
            "isCaCertificate",
            "earlyRenewalHours",
            "setSubjectKeyId",
        ),
    ),
    # --- random (terraform-provider-random v3.9.0) --------------------------------------
    "random:index/randomPassword:RandomPassword": Rule(
        "pulumi-random",
        "internal/provider/resource_password.go L570-719",
        replace=(
            "keepers",
            "length",
            "special",
            "upper",
            "lower",
            "number",
            "numeric",
            "minNumeric",
            "minUpper",
            "minLower",
            "minSpecial",
            "overrideSpecial",
        ),
    ),
    # --- tls (terraform-provider-tls, plugin framework) ----------------------------------
    # Every input RequiresReplace; Update, Read and Delete touch nothing outside the state.
    "tls:index/privateKey:PrivateKey": Rule(
        "pulumi-tls",
        "internal/provider/resource_private_key.go L52-90",
        replace=("algorithm", "rsaBits", "ecdsaCurve"),
        note="a replaced key is a new key: what it sealed no longer decrypts",
    ),
    "tls:index/selfSignedCert:SelfSignedCert": Rule(
        "pulumi-tls",
        "internal/provider/resource_self_signed_cert.go L48-330",
        replace=(
            "privateKeyPem",
            "validityPeriodHours",
            "allowedUses",
            "dnsNames",
            "ipAddresses",
            "uris",
            "isCaCertificate",
            "maxPathLength",
            "setSubjectKeyId",
            "setAuthorityKeyId",
            "subject",
        ),
        note="also replaced once expired (ModifyPlan, common_cert.go L268-312): same key",
    ),
    # --- pulumiservice (native) ---------------------------------------------------------
    "pulumiservice:index:DeploymentSettings": Rule(
        "pulumi-pulumiservice",
        "provider/pkg/resources/deployment_settings.go v1.3.0 L743-764",
        replace=("organization", "project", "stack"),
        # The Diff response sets `DeleteBeforeReplace: true` for every replacement.
        delete_before_replace=True,
    ),
    "pulumiservice:index:DriftSchedule": Rule(
        "pulumi-pulumiservice",
        'provider/pkg/resources/drift_schedules.go v1.3.0 L41-47 (`provider:"replaceOnChanges"`)',
        replace=("organization", "project", "stack"),
    ),
    # --- kubernetes (native) ------------------------------------------------------------
    "pulumi:providers:kubernetes": Rule(
        _K8S,
        "pulumi-kubernetes provider/pkg/provider/provider.go DiffConfig L454-569",
        note="modelled by kubernetes_provider_replaces: only a new active cluster replaces",
    ),
    "kubernetes:helm.sh/v3:Release": Rule(
        _K8S,
        "pulumi-kubernetes provider/pkg/provider/helm_release.go",
        replace=("name", "namespace"),  # L907 forceNewFields; L932 DeleteBeforeReplace: false
        # L607-624: set on install only; helmUpdate (L687-775) never reads them.
        ignored=(
            "createNamespace",
            "disableOpenapiValidation",
            "disableWebhooks",
            "replace",
            "skipCrds",
        ),
    ),
    "kubernetes:core/v1:Namespace": Rule(_K8S, _K8S_DIFF, note="identity only"),
    "kubernetes:core/v1:ServiceAccount": Rule(_K8S, _K8S_DIFF, note="identity only"),
    # L158-160: `.spec.clusterIP` replaces; the program leaves it to the API server.
    "kubernetes:core/v1:Service": Rule(_K8S, _K8S_DIFF, replace=("spec.clusterIP",)),
    "kubernetes:networking.k8s.io/v1:Ingress": Rule(_K8S, _K8S_DIFF, note="identity only"),
    # L155-157 `.type`; with enableSecretMutable (every provider here sets it) data and
    # stringData update in place unless the new Secret is immutable (L28-29).
    "kubernetes:core/v1:Secret": Rule(_K8S, _K8S_DIFF, replace=("type",)),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": Rule(_K8S, _K8S_DIFF, note="identity only"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": Rule(
        _K8S, _K8S_DIFF, replace=("roleRef",)
    ),  # L65-69, L192-194
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": Rule(_K8S, _K8S_DIFF, note="identity only"),
    # Neither kind is in diff.go's table: only name and namespace replace.
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": Rule(
        _K8S, _K8S_DIFF, note="identity only"
    ),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": Rule(
        _K8S, _K8S_DIFF, note="identity only"
    ),
    # Only Job is in diff.go's table (L78-82); a CronJob's jobTemplate updates in place.
    "kubernetes:batch/v1:CronJob": Rule(_K8S, _K8S_DIFF, note="identity only"),
    "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy": _CUSTOM_RESOURCE,
    "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy": _CUSTOM_RESOURCE,
    "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy": _CUSTOM_RESOURCE,
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": _CUSTOM_RESOURCE,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": _CUSTOM_RESOURCE,
    "kubernetes:monitoring.coreos.com/v1alpha1:PrometheusAgent": _CUSTOM_RESOURCE,
    # provider.go Diff: a Patch resource skips the per-kind table (kinds.IsPatchResource),
    # so only its name and namespace replace; deleting it releases its fields, and the
    # object (Argo CD's own `default` project) stays.
    "kubernetes:argoproj.io/v1alpha1:AppProjectPatch": Rule(
        _K8S,
        "pulumi-kubernetes provider/pkg/provider/provider.go Diff (IsPatchResource)",
        note="identity only",
    ),
    "kubernetes:argoproj.io/v1alpha1:ApplicationSet": _CUSTOM_RESOURCE,
    "kubernetes:argoproj.io/v1alpha1:AppProject": _CUSTOM_RESOURCE,
    "kubernetes:cert-manager.io/v1:ClusterIssuer": _CUSTOM_RESOURCE,
    "kubernetes:cert-manager.io/v1:Certificate": _CUSTOM_RESOURCE,
    "kubernetes:external-secrets.io/v1:ClusterSecretStore": _CUSTOM_RESOURCE,
    "kubernetes:external-secrets.io/v1:ExternalSecret": _CUSTOM_RESOURCE,
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": _CUSTOM_RESOURCE,
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": _CUSTOM_RESOURCE,
    "kubernetes:gateway.networking.k8s.io/v1:GatewayClass": _CUSTOM_RESOURCE,
    # --- providers: bridged providers' config changes update them in place ---------------
    # pulumi-terraform-bridge pkg/tfbridge/provider.go DiffConfig: a config change replaces
    # the provider only where the provider schema says ForceNew; terraform-provider-postgresql
    # @ ff936b95 postgresql/provider.go has none. A new host is an in-place provider update.
    "pulumi:providers:postgresql": Rule(
        _PG, "pulumi-terraform-bridge pkg/tfbridge/provider.go DiffConfig", note="no ForceNew"
    ),
}

# Bridged packages that auto-name every `name` input (`prov.SetAutonaming(255, "-")`). A
# resource whose `name` the program sets itself is then replaced delete-first: the bridge's
# Diff sets DeleteBeforeReplace when an auto-nameable property was not filled in by the
# auto-namer (pulumi-terraform-bridge pkg/tfbridge/provider.go Diff and schema.go
# nameRequiresDeleteBeforeReplace; none of these set UniqueNameFields).
AUTONAMING: dict[str, str] = {
    _CIVO: "pulumi-civo v2.4.8 provider/resources.go L95",
    _VULTR: "dirien/pulumi-vultr v2.26.1 provider/resources.go L229 (inferred for 2.27.1)",
    _PG: "pulumi-postgresql v3.18.0 provider/resources.go L149 (inferred for 3.18.2)",
    # Inferred: pulumi-aws's resources.go could not be read; it auto-names `name` inputs.
    _AWS: "pulumi-aws provider/resources.go (unread)",
}

# provider.go L1559-1566: a Kubernetes object is replaced when its identity changes.
KUBERNETES_IDENTITY = ("metadata.name", "metadata.namespace")
_KUBERNETES_CLUSTER_KEYS = ("kubeconfig", "context", "cluster")


def _matches(path: str, fields: Collection[str]) -> bool:
    return any(path == f or path.startswith((f"{f}.", f"{f}[")) for f in fields)


def _is_kubernetes_object(type_token: str) -> bool:
    return type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm.sh/")


def _forcing_fields(type_token: str, new_inputs: Mapping[str, Any]) -> tuple[str, ...]:
    rule = RULES.get(type_token)
    fields = rule.replace if rule else ()
    if type_token == "kubernetes:core/v1:Secret" and new_inputs.get("immutable") is True:
        # diff.go L28-29: an immutable Secret's data is forceNew even with enableSecretMutable.
        fields = (*fields, "data", "stringData")
    if _is_kubernetes_object(type_token):
        fields = (*fields, *KUBERNETES_IDENTITY)
    return fields


def active_cluster(inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The kubeconfig's cluster entry a provider would talk to (pulumi-kubernetes
    provider/pkg/provider/util.go getActiveClusterFromConfig L201-226); None when the
    kubeconfig does not resolve to one."""
    try:
        document = yaml.safe_load(str(inputs.get("kubeconfig") or ""))
    except yaml.YAMLError:
        return None
    if not isinstance(document, dict):
        return None
    contexts = {c.get("name"): c.get("context") or {} for c in document.get("contexts") or []}
    context = contexts.get(inputs.get("context") or document.get("current-context"), {})
    name = inputs.get("cluster") or context.get("cluster")
    clusters = {c.get("name"): c.get("cluster") for c in document.get("clusters") or []}
    found = clusters.get(name)
    return dict(found) if isinstance(found, dict) else None


def kubernetes_provider_replaces(
    old: Mapping[str, Any], new: Mapping[str, Any], unknown: Collection[str] = ()
) -> list[str]:
    """The provider config keys that replace a Kubernetes provider, and with it every
    object it manages (pulumi-kubernetes provider.go DiffConfig L454-569)."""
    old_id, new_id = old.get("clusterIdentifier"), new.get("clusterIdentifier")
    if old_id is not None and new_id is not None:
        # L486-502: a changed identifier replaces; an unchanged one cancels every other
        # replacement, unknown kubeconfig included. Adding or removing one does neither.
        return ["clusterIdentifier"] if old_id != new_id else []
    # L504-516: an unknown kubeconfig/context/cluster is taken to be a new cluster.
    unresolved = [k for k in _KUBERNETES_CLUSTER_KEYS if k in unknown]
    if unresolved:
        return unresolved
    replaces = (
        []
        if old.get("renderYamlToDirectory") == new.get("renderYamlToDirectory")
        else ["renderYamlToDirectory"]
    )
    # L539-560: a known kubeconfig replaces only when its active cluster entry (server,
    # CA data, TLS settings) differs; new credentials for the same cluster do not.
    before, after = active_cluster(old), active_cluster(new)
    if before is not None and after is not None and before != after:
        replaces += [k for k in _KUBERNETES_CLUSTER_KEYS if old.get(k) != new.get(k)]
    return replaces


def forced_paths(
    type_token: str,
    paths: Collection[str],
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
    unknown: Collection[str] = (),
) -> list[str]:
    """The changed input paths that replace the resource. ``unknown`` names inputs that
    take an output of a resource being replaced: unknown until `up` creates it."""
    if type_token == "pulumi:providers:kubernetes":
        return kubernetes_provider_replaces(old_inputs, new_inputs, unknown)
    fields = _forcing_fields(type_token, new_inputs)
    return [p for p in paths if _matches(p, fields)]


def _metadata(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    found = inputs.get("metadata")
    return found if isinstance(found, Mapping) else {}


def delete_before_replace(
    type_token: str,
    forced: Collection[str],
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
    option: bool | None = None,
) -> bool:
    """Whether a replacement deletes the old resource before creating the new one."""
    if option is not None:
        # pulumi step_generator.go L2040-2047: the resource option overrides the provider.
        return option
    if not forced:
        # Replaced because its provider is: the engine's own diff (L2919-2926) carries no
        # delete-before-replace, so the new object is created first.
        return False
    rule = RULES.get(type_token)
    if rule is not None and rule.delete_before_replace:
        return True
    if rule is not None and rule.package in AUTONAMING and new_inputs.get("name"):
        return True
    if _is_kubernetes_object(type_token):
        # pulumi-kubernetes provider.go L1645-1658: a named object that keeps its name and
        # namespace cannot exist twice, so the old one goes first.
        old_meta, new_meta = _metadata(old_inputs), _metadata(new_inputs)
        return (
            bool(new_meta.get("name"))
            and old_meta.get("name") == new_meta.get("name")
            and old_meta.get("namespace") == new_meta.get("namespace")
        )
    return False


Stage = Literal["preview", "up"]


def rejection_stage(type_token: str, path: str) -> Stage | None:
    """When the provider refuses a change to ``path``: at `pulumi preview` (a plan-time
    check), at `pulumi up` (the update call fails), or not at all."""
    rule = RULES.get(type_token)
    if rule is None:
        return None
    if _matches(path, rule.rejected_at_preview):
        return "preview"
    if _matches(path, rule.rejected_at_up):
        return "up"
    return None


def ignored_paths(type_token: str, paths: Collection[str]) -> list[str]:
    """The changed paths an in-place update would silently leave unapplied."""
    rule = RULES.get(type_token)
    return [p for p in paths if rule is not None and _matches(p, rule.ignored)]


# How to make a silently dropped change happen, per (type, field).
_HOW_TO: dict[tuple[str, str], str] = {
    ("civo:index/database:Database", "size"): (
        "platform:database.size: Civo cannot resize database {name} in place (its API takes "
        "only name, nodes and firewall on update); resize by moving to a new database, "
        f"see {RESIZE_DATABASE}"
    ),
    ("civo:index/database:Database", "version"): (
        "platform:database.version: Civo cannot upgrade database {name} in place; upgrade by "
        f"moving to a new database, see {RESIZE_DATABASE}"
    ),
    ("civo:index/database:Database", "engine"): (
        "platform:database.engine: Civo cannot change the engine of database {name}; move "
        f"to a new database, see {RESIZE_DATABASE}"
    ),
    ("vultr:index/kubernetes:Kubernetes", "nodePools.plan"): (
        "{config}.nodeSize: Vultr cannot change the plan of cluster {name}'s node pool in "
        f"place; move to a new cluster of the new size, see {RESIZE_NODE_POOL}"
    ),
}


def refusal(type_token: str, name: str, path: str, *, management: bool = False) -> str:
    """The `error:` line for a change the provider would silently drop; ``management``
    says the resource belongs to the management cluster rather than a workload cluster."""
    field = next((f for (t, f) in _HOW_TO if t == type_token and _matches(path, (f,))), None)
    if field is not None:
        config = "platform:mgmtCluster" if management else f"platform:clusters[{name}]"
        return "error: " + _HOW_TO[(type_token, field)].format(name=name, config=config)
    return (
        f"error: {type_token} {name}: the provider never applies a change to {path} "
        "on update; the preview would show an update that changes nothing"
    )


def stale_reviews(pins: Mapping[str, str]) -> list[str]:
    """Packages whose pin in pyproject.toml is not the version these rules were read for."""
    return [
        f"{package}: pinned {pins.get(package, 'nowhere')}, but its rules were reviewed for "
        f"{upstream.pin} ({upstream.upstream}); re-read the upstream sources at the version "
        "the new pin bridges, then update RULES and PROVIDERS"
        for package, upstream in PROVIDERS.items()
        if pins.get(package) != upstream.pin
    ]


# Updates that open a gap: the provider removes the old value before it adds the new one.
# terraform-provider-civo v1.1.4 civo/firewall/resource_firewall.go Update L243-308: a
# changed rule has no id in the new set, so it is deleted first and created after.
UPDATE_GAPS: dict[str, tuple[tuple[str, ...], str]] = {
    "civo:index/firewall:Firewall": (
        ("ingressRules", "egressRules"),
        "Civo deletes the old rule before it creates the new one: {rule} admits nothing "
        "in between, and nothing at all if the create fails",
    ),
}


def update_gaps(type_token: str, paths: Collection[str]) -> list[str]:
    """One note per rule an in-place update briefly removes."""
    gap = UPDATE_GAPS.get(type_token)
    if gap is None:
        return []
    fields, text = gap
    rules = sorted(
        {p.split("]", 1)[0] + "]" if "]" in p else p for p in paths if _matches(p, fields)}
    )
    return [text.format(rule=rule) for rule in rules]
