"""Every provider output the program reads, with the provider code that fills it.

A row names the resource type (or the invoke token), the output's wire name, the nested
fields the program reads below it, the upstream source at the tag the pinned Pulumi
package bridges (see ``platform_cli.replacements.PROVIDERS`` for how each tag was
established), and the condition under which the provider fills it. The offline plan's
mocks answer a row only when its condition holds, so a program that reads an output the
provider leaves empty sees it empty offline too; and the plan fails when the program
reads an output no row lists.

``looked_up`` marks answers that can change between the offline plan and a real `up`
(data sources read live): the plan marks the inputs they feed (``decidedAtUp`` in
resources.json) and the review never calls a change to them "no change".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Source:
    repo: str
    tag: str
    path: str
    lines: str

    def __str__(self) -> str:
        return f"{self.repo} {self.tag} {self.path} {self.lines}"


@dataclass(frozen=True)
class Always:
    """Every Read sets it from the API."""

    def holds(self, inputs: Mapping[str, Any]) -> bool:
        return True

    def __str__(self) -> str:
        return "always: every Read sets it from the API"


@dataclass(frozen=True)
class AtCreate:
    """Create sets it; the API never returns it again, so Reads keep it from state."""

    def holds(self, inputs: Mapping[str, Any]) -> bool:
        return True

    def __str__(self) -> str:
        return "at create, then kept from state: the API returns it only once"


@dataclass(frozen=True)
class Echo:
    """The input as configured: the provider keeps the configured value in state."""

    def holds(self, inputs: Mapping[str, Any]) -> bool:
        return True

    def __str__(self) -> str:
        return "the input as configured"


@dataclass(frozen=True)
class WhenInput:
    """Only when an input has a value; otherwise the provider leaves it empty."""

    key: str
    value: Any

    def holds(self, inputs: Mapping[str, Any]) -> bool:
        return bool(inputs.get(self.key) == self.value)

    def __str__(self) -> str:
        if self.value is None:
            return f"only without {self.key}; otherwise empty"
        return f"only when {self.key} is {self.value!r}; otherwise empty"


Condition = Always | AtCreate | Echo | WhenInput


@dataclass(frozen=True)
class ProviderOutput:
    token: str  # resource type, or invoke token for a data source
    path: str  # the output's wire name
    source: Source
    filled: Condition
    # Fields the program reads below it, `[]` for a list's items: ("nodes[].id",), or
    # ("[].version",) below an output that is itself a list.
    fields: tuple[str, ...] = ()
    looked_up: bool = False
    note: str = ""

    def covers(self, path: str) -> bool:
        """Whether a read of ``path`` (the output, or a field below it) is this row's."""
        if path == self.path:
            return True
        below = [f"{self.path}{'' if f.startswith('[') else '.'}{f}" for f in self.fields]
        return any(f == path or f.startswith((f"{path}.", f"{path}[]")) for f in below)


def _at(repo: str, tag: str) -> Callable[[str, str], Source]:
    return lambda path, lines: Source(repo, tag, path, lines)


_civo = _at("civo/terraform-provider-civo", "v1.1.4")
_vultr = _at("vultr/terraform-provider-vultr", "v2.27.1")
# pulumi-aws 7.x bridges terraform-provider-aws v6; no v6 tag was readable, so these lines
# are from the nearest copies found (see each row's note), hence "about".
_aws = _at("hashicorp/terraform-provider-aws", "v6 (nearest copy)")
_cloudflare = _at("cloudflare/terraform-provider-cloudflare", "v5.19.1")
# What pulumi-postgresql 3.18.2 bridges: v1.26.0-3-gff936b9 (there is no v1.27.0 tag).
_postgresql = _at("cyrilgdn/terraform-provider-postgresql", "ff936b9548c1")
_random = _at("hashicorp/terraform-provider-random", "v3.9.0")
# pulumi-tls 5.6.2 bridges 609226f53114 (its provider/go.mod); d72d90e1 is the newest
# commit readable, two weeks before it.
_tls = _at("hashicorp/terraform-provider-tls", "d72d90e1 (nearest to 609226f53114)")
# The newest tag readable; the pin is 4.34.2, and these files had no change since.
_kubernetes = _at("pulumi/pulumi-kubernetes", "v4.32.0")
# Read at v4.2.1 (the functions cited have not changed since).
_tls_v421 = _at("hashicorp/terraform-provider-tls", "v4.2.1")

_CIVO_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"
_CIVO_CLUSTER_GO = "civo/kubernetes/resource_kubernetes_cluster.go"
_CIVO_DATABASE = "civo:index/database:Database"
_CIVO_DATABASE_GO = "civo/database/resource_database.go"
_VULTR_CLUSTER = "vultr:index/kubernetes:Kubernetes"
_VULTR_CLUSTER_GO = "vultr/resource_vultr_kubernetes.go"

OUTPUTS: tuple[ProviderOutput, ...] = (
    # --- Civo --------------------------------------------------------------------------
    ProviderOutput(
        _CIVO_CLUSTER,
        "kubeconfig",
        _civo(_CIVO_CLUSTER_GO, "L133-139 (write_kubeconfig, default false), Read L357-362"),
        WhenInput("writeKubeconfig", True),
        note="since v1.1.0 Read sets it to nil unless write_kubeconfig (civo/terraform-"
        "provider-civo#342); write_kubeconfig is not ForceNew: turning it on is an update "
        "(L448-461) that fetches it",
    ),
    ProviderOutput(
        _CIVO_CLUSTER,
        "apiEndpoint",
        _civo(_CIVO_CLUSTER_GO, "Read L350"),
        Always(),
        note="Create waits for ACTIVE (L296-314) before its Read",
    ),
    ProviderOutput(_CIVO_CLUSTER, "masterIp", _civo(_CIVO_CLUSTER_GO, "Read L351"), Always()),
    ProviderOutput(
        _CIVO_DATABASE,
        "endpoint",
        _civo(_CIVO_DATABASE_GO, "Read L274 (public_ipv4)"),
        Always(),
        note="civogo v0.3.89 database.go L18-35 carries it",
    ),
    ProviderOutput(
        _CIVO_DATABASE,
        "port",
        _civo(_CIVO_DATABASE_GO, "Read L276 (the top-level port)"),
        Always(),
        note="may be 0: since civogo's database_user_info (2023-12) the port is per user, "
        "and civo/docs' getting-started output (PR #76, 2024-01) shows `Host : <ip>:0`; "
        "the program falls back to PostgreSQL's 5432",
    ),
    ProviderOutput(
        _CIVO_DATABASE,
        "username",
        _civo(_CIVO_DATABASE_GO, "Read L272 (the top-level username)"),
        Always(),
        note="filled by the evidence at hand (civo/docs' getting-started output shows "
        "`Username : civo`), though civo/cli reads users from database_user_info since "
        "6821bc3: unproven live",
    ),
    ProviderOutput(
        _CIVO_DATABASE,
        "password",
        _civo(_CIVO_DATABASE_GO, "Read L273; schema L76-80 lacks Sensitive"),
        Always(),
        note="not secret in pulumi-civo's schema: the program marks it secret itself; "
        "filled by the evidence at hand (civo/terraform-provider-civo#417: it shows in "
        "plan output): unproven live",
    ),
    ProviderOutput(
        _CIVO_DATABASE,
        "size",
        _civo(_CIVO_DATABASE_GO, "Read L265"),
        Always(),
        note="what the cloud runs: Update (L204-243) never sends a new size",
    ),
    ProviderOutput(
        "civo:index/getKubernetesVersion:getKubernetesVersion",
        "versions",
        _civo("civo/kubernetes/datasource_kubernetes_version.go", "L25-51 (L46)"),
        Always(),
        fields=("[].version",),
        looked_up=True,
        note="Civo's offer and its default change over time",
    ),
    # --- Vultr -------------------------------------------------------------------------
    ProviderOutput(
        _VULTR_CLUSTER,
        "kubeConfig",
        _vultr(_VULTR_CLUSTER_GO, "Read L219-231 (GET /v2/kubernetes/clusters/{id}/config)"),
        Always(),
        note="base64 (schema L98-103); fetched on every Read",
    ),
    ProviderOutput(_VULTR_CLUSTER, "endpoint", _vultr(_VULTR_CLUSTER_GO, "Read L212"), Always()),
    ProviderOutput(
        _VULTR_CLUSTER,
        "firewallGroupId",
        _vultr(_VULTR_CLUSTER_GO, "Read L247; enable_firewall ForceNew L53-58"),
        WhenInput("enableFirewall", True),
        note="VKE creates a firewall group only when asked; otherwise empty",
    ),
    ProviderOutput(
        _VULTR_CLUSTER,
        "nodePools",
        _vultr(_VULTR_CLUSTER_GO, "Read L177-192, flattenNodePool L451-499"),
        Always(),
        fields=("plan", "nodes[].id", "nodes[].dateCreated"),
        note="the API's pool: its real plan (L481) and its nodes (L455-463), which the "
        "autoscaler changes",
    ),
    ProviderOutput(
        "vultr:index/getInstance:getInstance",
        "mainIp",
        _vultr("vultr/data_source_vultr_instance.go", "L157-216 (L214)"),
        Always(),
        looked_up=True,
        note="no match, or more than one, is an error (L196-202)",
    ),
    # --- AWS ---------------------------------------------------------------------------
    ProviderOutput(
        "aws:iam/accessKey:AccessKey",
        "secret",
        _aws("internal/service/iam/access_key.go", "Create, about L139-163"),
        WhenInput("pgpKey", None),
        note="Create only; Read never sets it (read from a v5-era copy)",
    ),
    ProviderOutput(
        "aws:iam/user:User",
        "name",
        _aws("internal/service/iam/user.go", "Read, about L141-160"),
        Echo(),
        note="Read sets the API's UserName, the name given (read from a 2026 copy)",
    ),
    ProviderOutput(
        "aws:secretsmanager/secretVersion:SecretVersion",
        "versionId",
        _aws("internal/service/secretsmanager/secret_version.go", 'Read, d.Set("version_id")'),
        Always(),
        note="each PutSecretValue makes a new version id",
    ),
    ProviderOutput(
        "aws:index/getCallerIdentity:getCallerIdentity",
        "accountId",
        _aws("internal/service/sts/caller_identity_data_source.go", "about L68-69"),
        Always(),
        looked_up=True,
        note="the account of whichever credentials run `up`",
    ),
    # --- Cloudflare --------------------------------------------------------------------
    ProviderOutput(
        "cloudflare:index/apiToken:ApiToken",
        "value",
        _cloudflare(
            "internal/services/api_token/resource.go", "Create L73-92; Read keeps it L154, L195"
        ),
        AtCreate(),
        note="Read removes an expired or revoked token (L185-193), so the next `up` creates one",
    ),
    ProviderOutput(
        "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList",
        "results",
        _cloudflare("internal/services/api_token_permission_groups/list_data_source.go", "L49-100"),
        Always(),
        fields=("[].id", "[].name", "[].scopes"),
        looked_up=True,
        note="truncated at max_items, 1000 by default (L65-69)",
    ),
    ProviderOutput(
        "cloudflare:index/getAuthenticatedOriginPullsCertificate:"
        "getAuthenticatedOriginPullsCertificate",
        "status",
        _cloudflare(
            "internal/services/authenticated_origin_pulls_certificate/data_source.go",
            "Read L51-89 (GET /zones/{zone_id}/origin_tls_client_auth/{certificate_id})",
        ),
        Always(),
        note="read afresh on every run: `pending_deployment` for minutes after an upload "
        "(the resource's Create returns after its POST, resource.go Create), then `active`; "
        "the program waits for `active` and no input takes the value, so it is not a lookup "
        "that decides an input",
    ),
    ProviderOutput(
        "cloudflare:index/getIpRanges:getIpRanges",
        "ipv4Cidrs",
        _cloudflare("internal/services/ip_ranges/data_source.go", "L68-86"),
        Always(),
        looked_up=True,
        note="Cloudflare publishes new ranges now and then",
    ),
    # --- Kubernetes, PostgreSQL, random --------------------------------------------------
    ProviderOutput(
        "kubernetes:core/v1:Secret",
        "data",
        _kubernetes("provider/pkg/provider/provider.go", "Create and Read return the live object"),
        Echo(),
        note="any other Secret: the data it was given",
    ),
    ProviderOutput(
        "kubernetes:core/v1:Secret",
        "data",
        _kubernetes(
            "provider/pkg/await/awaiters.go", "L214-216, untilCoreV1SecretInitialized L431-462"
        ),
        WhenInput("type", "kubernetes.io/service-account-token"),
        note="a service-account token: the token controller fills it; create waits up to 5 s "
        "for it (L460-461)",
    ),
    ProviderOutput(
        "postgresql:index/role:Role",
        "name",
        _postgresql("postgresql/resource_postgresql_role.go", "Read L442-503"),
        Echo(),
    ),
    ProviderOutput(
        "postgresql:index/database:Database",
        "name",
        _postgresql("postgresql/resource_postgresql_database.go", "Read L315-360"),
        Echo(),
    ),
    ProviderOutput(
        "random:index/randomPassword:RandomPassword",
        "result",
        _random("internal/provider/resource_password.go", "Create L74-89; Read is a no-op L92-94"),
        AtCreate(),
    ),
    ProviderOutput(
        "tls:index/privateKey:PrivateKey",
        "privateKeyPem",
        _tls(
            "internal/provider/resource_private_key.go", "Create L196-237; Read is a no-op L265-267"
        ),
        AtCreate(),
        note="generated once; an RSA key is PKCS#1 `RSA PRIVATE KEY`",
    ),
    ProviderOutput(
        "tls:index/selfSignedCert:SelfSignedCert",
        "certPem",
        _tls("internal/provider/resource_self_signed_cert.go", "Create L334-459 (L457)"),
        AtCreate(),
        note="Read only marks it ready for renewal once expired (common_cert.go L314-359)",
    ),
    ProviderOutput(
        "tls:index/certRequest:CertRequest",
        "certRequestPem",
        _tls_v421(
            "internal/provider/resource_cert_request.go", "Create L326; Read is a no-op L334"
        ),
        AtCreate(),
    ),
    ProviderOutput(
        "tls:index/locallySignedCert:LocallySignedCert",
        "certPem",
        _tls_v421("internal/provider/resource_locally_signed_cert.go", "Create L285"),
        AtCreate(),
    ),
    ProviderOutput(
        "random:index/randomPassword:RandomPassword",
        "bcryptHash",
        _random("internal/provider/resource_password.go", "Create L80-85, generateHash L544-555"),
        AtCreate(),
    ),
)


def rows_of(token: str) -> list[ProviderOutput]:
    return [row for row in OUTPUTS if row.token == token]


def listed(token: str, path: str) -> ProviderOutput | None:
    """The row that covers a read of ``path`` on ``token``, if any."""
    return next((row for row in rows_of(token) if row.covers(path)), None)
