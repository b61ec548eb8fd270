"""Typed stack configuration: the ``platform:`` namespace of ``Pulumi.<stack>.yaml``.

Models only: each field's type, default and the checks that need that field alone.
Loading, error reporting and checks across fields live in ``infra.validation``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from infra import catalog, naming
from infra.limits import civo as civo_limits
from infra.limits import kubernetes as k8s_limits
from infra.versions import CHARTS

NAMESPACE = "platform"
RESERVED_LABELS = frozenset({"environment", "cluster", "region", "provider", "role"})
_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True
    )


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS label (lowercase letters, digits and '-', "
            "starting with a letter, at most 63 characters)"
        )
    return value


def _domain(value: str) -> str:
    if not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a lowercase DNS domain such as 'example.com'")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(f"{value!r} is not a CIDR block: {err}") from None
    if network.prefixlen == 0:
        raise ValueError(f"{value!r} admits the whole internet; list the addresses you own")
    return str(network)


def _hex32(value: str) -> str:
    if not _HEX32.match(value):
        raise ValueError(f"{value!r} is not a 32-character lowercase hex Cloudflare id")
    return value


# What a value must look like, in words and by example, for each pattern a field
# requires: pydantic's own message would show the regular expression.
PATTERN_MEANINGS: dict[str, Callable[[str], str]] = {}


def _shaped(pattern: str, meaning: Callable[[str], str]) -> Any:
    """``Field(pattern=...)``, with what the pattern means for the error message."""
    PATTERN_MEANINGS[pattern] = meaning
    return Field(pattern=pattern)


def _valid_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels the API server accepts: they go on the Argo CD cluster Secret, and into
    the selectors placing apps."""
    problems = [
        problem
        for key, value in labels.items()
        for problem in (k8s_limits.label_key_problem(key), k8s_limits.label_value_problem(value))
        if problem
    ]
    if problems:
        raise ValueError("; ".join(problems))
    return labels


# YAML reads `yes`, `'yes'` and `"true"` differently; only a real boolean is one here.
Flag = Annotated[bool, Strict()]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Cidr = Annotated[str, AfterValidator(_cidr)]

# The most addresses a list of trusted sources may admit together: one /8 of IPv4
# (16,777,216, already far more than any organisation's own ranges) or one /32 of IPv6
# (a whole ISP allocation). Past that a list is "the internet", split up.
MAX_TRUSTED_ADDRESSES = {4: 2**24, 6: 2**96}


def _admitted(cidrs: list[str], version: int) -> int:
    networks = [ipaddress.ip_network(c) for c in cidrs]
    if version == 4:
        v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
        return sum(n.num_addresses for n in ipaddress.collapse_addresses(v4))
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(v6))


def _narrow_union(cidrs: list[str]) -> list[str]:
    """Judge what a CIDR list admits as a whole: ``0.0.0.0/1`` plus ``128.0.0.0/1`` is
    the internet just as ``0.0.0.0/0`` is."""
    for version, limit in MAX_TRUSTED_ADDRESSES.items():
        total = _admitted(cidrs, version)
        if total > limit:
            widest = "a /8" if version == 4 else "a /32"
            raise ValueError(
                f"together these admit {total:,} IPv{version} addresses, more than {widest}; "
                "list the addresses you own"
            )
    return cidrs


TrustedCidrs = Annotated[list[Cidr], AfterValidator(_narrow_union)]
NodeCount = Annotated[int, Field(ge=1, le=100)]


def _member_of(choices: Collection[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
        return value

    return AfterValidator(check)


CivoRegion = Annotated[str, _member_of(catalog.CIVO_REGIONS, "Civo region")]
CivoNodeSize = Annotated[str, _member_of(catalog.CIVO_KUBE_SIZES, "Civo node size")]
VultrRegion = Annotated[str, _member_of(catalog.VULTR_REGIONS, "Vultr region")]
VultrNodePlan = Annotated[str, _member_of(catalog.VULTR_KUBE_PLANS, "Vultr node plan")]


# --- clusters -------------------------------------------------------------------------


class _CloudCluster(_Model):
    node_count: NodeCount = 3
    # Where the cluster's traffic leaves from. Left empty, it is read from the cloud
    # (node public addresses); set it when a NAT or egress gateway sits in front.
    egress_cidrs: list[Cidr] = Field(default_factory=list)


class CivoClusterSpec(_CloudCluster):
    provider: Literal["civo"]
    region: CivoRegion
    node_size: CivoNodeSize = "g4s.kube.medium"
    # Unset: Civo's default version, looked up once at creation and then left alone.
    kubernetes_version: str | None = None


class Autoscaling(_Model):
    min_nodes: NodeCount
    max_nodes: NodeCount

    @field_validator("max_nodes")
    @classmethod
    def _at_least_min(cls, max_nodes: int, info: ValidationInfo) -> int:
        min_nodes = info.data.get("min_nodes")
        if min_nodes is not None and max_nodes < min_nodes:
            raise ValueError(f"must be at least minNodes ({min_nodes})")
        return max_nodes


class VultrClusterSpec(_CloudCluster):
    provider: Literal["vultr"]
    region: VultrRegion
    node_size: VultrNodePlan = "vc2-2c-4gb"
    # Required: Vultr's SDK has no version lookup. List them with
    # `vultr-cli kubernetes versions` (API `GET /v2/kubernetes/versions`).
    kubernetes_version: Annotated[
        str,
        _shaped(
            r"^v1\.\d+\.\d+\+\d+$",
            lambda v: (
                f"{v!r} is not a VKE version such as 'v1.33.0+1' "
                "(`vultr-cli kubernetes versions` lists them)"
            ),
        ),
    ]
    autoscaling: Autoscaling | None = None


class ExistingClusterSpec(_Model):
    """A cluster Pulumi does not create; its kubeconfig is the secret `platform:mgmtKubeconfig`."""

    provider: Literal["existing"]
    region: str = "local"
    # Where the cluster's traffic leaves from; workload clusters admit these on their API.
    egress_cidrs: list[Cidr] = Field(default_factory=list)


MgmtClusterSpec = Annotated[
    CivoClusterSpec | VultrClusterSpec | ExistingClusterSpec, Field(discriminator="provider")
]


class _WorkloadFields(_Model):
    name: DnsLabel
    labels: dict[str, str] = Field(default_factory=dict)
    enabled: Flag = True
    # Change this to mint a new AWS access key for the cluster; the old key goes after.
    key_rotation: str = "1"

    @field_validator("labels")
    @classmethod
    def _labels_are_free(cls, labels: dict[str, str]) -> dict[str, str]:
        reserved = sorted(RESERVED_LABELS & labels.keys())
        if reserved:
            raise ValueError(f"label keys {reserved} are reserved; the platform sets them itself")
        return _valid_labels(labels)


class CivoWorkloadCluster(CivoClusterSpec, _WorkloadFields):
    pass


class VultrWorkloadCluster(VultrClusterSpec, _WorkloadFields):
    pass


ClusterConfig = CivoWorkloadCluster | VultrWorkloadCluster
_ClusterEntry = Annotated[ClusterConfig, Field(discriminator="provider")]


# --- database -------------------------------------------------------------------------

# A standard five-field cron schedule (minute hour day-of-month month day-of-week) with
# numbers, ranges, steps and lists, or one of the macros Kubernetes' CronJob controller
# accepts (robfig/cron ParseStandard, which kube-state-metrics parses it with too).
_CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
_CRON = re.compile(
    rf"^{_CRON_FIELD}( {_CRON_FIELD}){{4}}$|^@(hourly|daily|midnight|weekly|monthly)$"
)


def _cron(value: str) -> str:
    if not _CRON.match(value):
        raise ValueError(
            f"{value!r} is not a cron schedule: five fields (minute hour day month weekday) "
            "such as '17 2 * * *', or @hourly, @daily, @weekly, @monthly"
        )
    return value


class BackupConfig(_Model):
    """Every app database dumped on a schedule to object storage in AWS, kept for a while
    (docs/runbooks/restore-database.md)."""

    # When each app's database is dumped, in UTC.
    schedule: Annotated[str, AfterValidator(_cron)] = "17 2 * * *"
    # How long a dump is kept: the bucket's lifecycle rule deletes it after this many days.
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 14


class DatabaseConfig(_Model):
    name: DnsLabel
    region: CivoRegion
    engine: str
    version: str
    size: Annotated[str, _member_of(catalog.CIVO_DB_SIZES, "Civo database size")] = "g3.db.small"
    nodes: int = 1
    protect: Flag | None = None
    retain_on_delete: Flag | None = None
    allowed_cidrs: TrustedCidrs = Field(default_factory=list)
    # How many times each app's database password has been rotated; raise an app's count
    # by one to rotate it (docs/runbooks/rotate-credentials.md).
    rotations: dict[DnsLabel, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # Scheduled dumps of every app database; unset, none (a production stack warns).
    backups: BackupConfig | None = None
    # Gone: it gave apps a database but never its credentials. Kept only to say so.
    apps: SkipJsonSchema[list[str] | None] = Field(default=None, exclude=True)

    @field_validator("apps")
    @classmethod
    def _apps_removed(cls, apps: list[str] | None) -> None:
        if apps is not None:
            listed = ", ".join(apps) or "none"
            raise ValueError(
                "no longer supported: set `database: true` on each app that needs the "
                f"database (listed: {listed}) and remove this key"
            )

    @field_validator("engine")
    @classmethod
    def _offered_engine(cls, engine: str) -> str:
        if engine in catalog.CIVO_DB_DEPRECATED:
            raise ValueError(catalog.CIVO_DB_DEPRECATED[engine])
        if engine not in catalog.CIVO_DB_VERSIONS:
            raise ValueError(
                f"unknown engine {engine!r}; expected one of {', '.join(catalog.CIVO_DB_VERSIONS)}"
            )
        return engine

    @field_validator("nodes")
    @classmethod
    def _offered_nodes(cls, nodes: int) -> int:
        if nodes not in civo_limits.DATABASE_NODE_COUNTS:
            raise ValueError(
                f"Civo runs a database on 1, 3 or 5 nodes, not {nodes} "
                "(civo/docs database/getting-started.md: 2 or 4 additional nodes)"
            )
        return nodes

    @field_validator("version")
    @classmethod
    def _offered_version(cls, version: str, info: ValidationInfo) -> str:
        engine = info.data.get("engine")
        accepted = catalog.CIVO_DB_VERSIONS.get(engine or "", ())
        if engine and version not in accepted:
            raise ValueError(
                f"Civo does not offer {engine} {version!r}; expected one of {', '.join(accepted)}"
            )
        return version


# --- apps -----------------------------------------------------------------------------


class LabelRequirement(_Model):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    # Checked even when left out: `NotIn` without values is the mistake to catch.
    values: list[str] = Field(default_factory=list, validate_default=True)

    @field_validator("key")
    @classmethod
    def _valid_key(cls, key: str) -> str:
        problem = k8s_limits.label_key_problem(key)
        if problem:
            raise ValueError(problem)
        return key

    @field_validator("values")
    @classmethod
    def _values_fit_operator(cls, values: list[str], info: ValidationInfo) -> list[str]:
        problems = [
            k8s_limits.requirement_problem(info.data.get("operator", ""), values),
            *(k8s_limits.label_value_problem(v) for v in values),
        ]
        found = [p for p in problems if p]
        if found:
            raise ValueError("; ".join(found))
        return values

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values


class LabelSelector(_Model):
    """A Kubernetes label selector, the same one the ApplicationSet cluster generator gets."""

    match_labels: Annotated[dict[str, str], AfterValidator(_valid_labels)] = Field(
        default_factory=dict
    )
    match_expressions: list[LabelRequirement] = Field(default_factory=list)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels.items()) and all(
            req.matches(labels) for req in self.match_expressions
        )


class AppSource(_Model):
    repo_url: Annotated[
        str,
        _shaped(
            r"^(https://|git@|ssh://)\S+$",
            lambda v: f"{v!r} is not a git URL: start it with https://, git@ or ssh://",
        ),
    ]
    path: str | None = None
    revision: str = "HEAD"
    chart: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)


class ServicePort(_Model):
    name: DnsLabel
    port: Annotated[int, Field(ge=1, le=65535)]


SteeringPolicy = Literal[
    "off",
    "geo",
    "random",
    "dynamic_latency",
    "proximity",
    "least_outstanding_requests",
    "least_connections",
]
SessionAffinity = Literal["none", "cookie", "ip_cookie", "header"]


class MonitorConfig(_Model):
    expected_codes: Annotated[
        str,
        _shaped(
            r"^[1-5]([0-9]{2}|xx)$", lambda v: f"{v!r} is not an HTTP status such as '200' or '2xx'"
        ),
    ] = "200"
    # 60 s: the shortest a Free or Pro zone allows (infra.entitlements.cloudflare).
    interval: Annotated[int, Field(ge=5, le=3600)] = 60
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    timeout: Annotated[int, Field(ge=1, le=10)] = 5


# An HTTP header name (RFC 9110 token), or Cloudflare's `cookie:<name>,...` form.
HeaderName = Annotated[
    str, Field(pattern=r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+|cookie:[^,\s]+(,[^,\s]+)*)$")
]


class AppLoadBalancing(_Model):
    monitor: MonitorConfig | None = None
    steering_policy: SteeringPolicy | None = None
    session_affinity: SessionAffinity | None = None
    # What `sessionAffinity: header` keys sessions on (session_affinity_attributes.headers).
    session_affinity_headers: list[HeaderName] = Field(default_factory=list)


class AppConfig(_Model):
    name: DnsLabel
    source: AppSource
    namespace: DnsLabel | None = None
    placement: LabelSelector
    service: ServicePort
    public: Flag = False
    database: Flag = False
    health_check_path: Annotated[
        str,
        _shaped(r"^/\S*$", lambda v: f"{v!r} is not a path: start it with '/', as in '/{v}'"),
    ] = "/healthz"
    depends_on: list[DnsLabel] = Field(default_factory=list)
    load_balancing: AppLoadBalancing = Field(default_factory=AppLoadBalancing)
    # May create Services of type LoadBalancer or NodePort: the cloud gives each a public
    # load balancer with no firewall, so the admission policy refuses them otherwise.
    load_balancer_services: Flag = False

    @property
    def target_namespace(self) -> str:
        return self.namespace or self.name


# --- load balancing -------------------------------------------------------------------


# Cloudflare's health-monitor regions (terraform-provider-cloudflare v5.22.0
# internal/services/load_balancer_pool/schema.go L132-156); ALL_REGIONS is Enterprise only.
CloudflareRegion = Literal[
    "WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS"
]
CheckRegion = CloudflareRegion | Literal["ALL_REGIONS"]


class LoadBalancingConfig(_Model):
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    # Standard steering, which every plan has; the others need Traffic Steering.
    steering_policy: SteeringPolicy = "random"
    # Cluster names, most preferred first; clusters not listed follow in config order.
    region_preference: list[DnsLabel] = Field(default_factory=list)
    # Where pools are probed from. Unset: the Cloudflare regions of each app's clusters,
    # most preferred first, as many as the add-on allows (infra.entitlements.cloudflare).
    check_regions: list[CheckRegion] | None = None
    # With a proxied load balancer in front, origins admit 80/443 only from Cloudflare.
    origin_lockdown: Flag = True


# --- observability and alerting -------------------------------------------------------

_CPU = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$")
_MEBIBYTES = {"Mi": 1, "Gi": 1024}


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        raise ValueError(f"{value!r} is not a CPU quantity such as '500m' or '2'")
    return value


def _memory(value: str) -> str:
    if not re.match(r"^[1-9][0-9]*(Mi|Gi)$", value):
        raise ValueError(f"{value!r} is not a memory quantity such as '512Mi' or '4Gi'")
    return value


def mebibytes(memory: str) -> int:
    return int(memory[:-2]) * _MEBIBYTES[memory[-2:]]


def millicores(cpu: str) -> float:
    return float(cpu[:-1]) if cpu.endswith("m") else float(cpu) * 1000


Cpu = Annotated[str, AfterValidator(_cpu)]
Memory = Annotated[str, AfterValidator(_memory)]
# Whole GiB: the hub derives Prometheus's retentionSize from it.
VolumeSize = Annotated[str, Field(pattern=r"^[1-9][0-9]*Gi$")]


class ResourceAmounts(_Model):
    cpu: Cpu | None = None
    memory: Memory | None = None


class ComponentSizing(_Model):
    """One of the hub's stateful components: its volume, and its requests and limits."""

    storage: VolumeSize
    requests: ResourceAmounts
    # A memory limit is required: without one a runaway query takes the node's memory.
    limits: ResourceAmounts

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> ComponentSizing:
        if self.limits.memory is None:
            raise ValueError("limits.memory is required")
        pairs = (
            ("memory", self.requests.memory, self.limits.memory, mebibytes),
            ("cpu", self.requests.cpu, self.limits.cpu, millicores),
        )
        for key, request, limit, amount in pairs:
            if request is not None and limit is not None and amount(request) > amount(limit):
                raise ValueError(f"the {key} request {request!r} is above its limit {limit!r}")
        return self


class PrometheusSizing(ComponentSizing):
    # How long the hub keeps samples; it also stops at 85% of the volume (retentionSize).
    retention: Annotated[str, Field(pattern=r"^[1-9][0-9]*(h|d|w)$")] = "15d"


def _sizing(storage: str, cpu: str, memory: str, limit: str) -> dict[str, Any]:
    return {
        "storage": storage,
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"memory": limit},
    }


def _from_flag(value: Any) -> Any:
    """`observability: true` (or "true", as Pulumi hands config over) is `enabled: true`."""
    if isinstance(value, bool) or value in ("true", "false"):
        return {"enabled": value in (True, "true")}
    return value


class ObservabilityConfig(_Model):
    """Prometheus, Alertmanager and Grafana for all clusters; unset: on in prod; or true/false."""

    # Unset: on in production only.
    enabled: Flag | None = None
    prometheus: PrometheusSizing = Field(
        default_factory=lambda: PrometheusSizing(**_sizing("50Gi", "250m", "1536Mi", "3Gi"))
    )
    grafana: ComponentSizing = Field(
        default_factory=lambda: ComponentSizing(**_sizing("10Gi", "100m", "256Mi", "512Mi"))
    )
    alertmanager: ComponentSizing = Field(
        default_factory=lambda: ComponentSizing(**_sizing("2Gi", "50m", "64Mi", "256Mi"))
    )


Severity = Literal["critical", "warning", "info"]
# Receivers the platform defines itself: alerts routed nowhere, and the dead man's switch.
RESERVED_RECEIVERS = frozenset({"null", "dead-mans-switch"})
_EMAIL = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


class EmailReceiver(_Model):
    to: Annotated[str, Field(pattern=_EMAIL)]
    sender: Annotated[str, Field(pattern=_EMAIL)]
    # host:port of the SMTP server, e.g. smtp.example.com:587 (STARTTLS is required).
    smarthost: Annotated[str, Field(pattern=r"^[a-z0-9.-]+:[0-9]+$")]
    username: str
    password: SecretStr


class SlackReceiver(_Model):
    # The incoming-webhook URL, a credential.
    api_url: SecretStr
    channel: Annotated[str, Field(pattern=r"^[#@]?[a-z0-9._-]+$")]


class PagerDutyReceiver(_Model):
    # An Events API v2 integration key.
    routing_key: SecretStr


class WebhookReceiver(_Model):
    # Any URL that takes Alertmanager's webhook JSON; often carries a token, so a secret.
    url: SecretStr


class Receiver(_Model):
    name: DnsLabel
    email: EmailReceiver | None = None
    slack: SlackReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    webhook: WebhookReceiver | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_RECEIVERS:
            raise ValueError(f"{name!r} is a receiver the platform defines itself")
        return name

    @model_validator(mode="after")
    def _reaches_someone(self) -> Receiver:
        if not (self.email or self.slack or self.pagerduty or self.webhook):
            raise ValueError("set at least one of email, slack, pagerduty, webhook")
        return self


class AlertRoute(_Model):
    """Alerts matching every condition given go to `receiver`; the first route that
    matches wins unless it says `continue: true`."""

    receiver: DnsLabel
    severity: list[Severity] = Field(default_factory=list)
    # Cluster names, `mgmt` included.
    clusters: list[DnsLabel] = Field(default_factory=list)
    continue_: Flag = Field(default=False, alias="continue")

    @property
    def catches_all(self) -> bool:
        return not (self.severity or self.clusters or self.continue_)


class DeadMansSwitch(_Model):
    """An outside service that raises its own alarm when the hub's always-firing Watchdog
    alert stops arriving (healthchecks.io, Dead Man's Snitch, Cronitor, ...)."""

    # The URL Alertmanager calls every `interval`; it identifies the check, so a secret.
    url: SecretStr
    interval: Annotated[str, Field(pattern=r"^[1-9][0-9]*m$")] = "5m"


class AlertingConfig(_Model):
    """Where alerts go: receivers, routes by severity and cluster, a dead man's switch."""

    # Credentials are secrets: `pulumi config set --secret --path 'platform:alerting...'`.

    receivers: Annotated[list[Receiver], Field(min_length=1)]
    routes: list[AlertRoute] = Field(default_factory=list)
    # Alerts no route takes.
    default_receiver: DnsLabel
    dead_mans_switch: DeadMansSwitch


# --- the whole stack ------------------------------------------------------------------


CloudflarePlan = Literal["free", "pro", "business", "enterprise"]


class LoadBalancingAddOn(_Model):
    """The account's Load Balancing subscription, as bought. Every load-balancer setting
    is checked against it (infra.entitlements.cloudflare, each limit with its source)."""

    enabled: Flag = True
    # Endpoints (origins) it covers across the account: one per public app and cluster.
    endpoints: Annotated[int, Field(ge=1)] = 20
    # Health-monitor regions a pool may probe from: one unless more were bought.
    check_regions: Annotated[int, Field(ge=1, le=13)] = 1
    # Non-Enterprise accounts have 20 of each; an Enterprise contract states its own.
    pools: Annotated[int, Field(ge=1)] = 20
    load_balancers: Annotated[int, Field(ge=1)] = 20


class CloudflareAddOns(_Model):
    load_balancing: LoadBalancingAddOn = Field(default_factory=LoadBalancingAddOn)
    # Geo, dynamic and proximity steering, least outstanding requests and connections.
    traffic_steering: Flag = False


class CloudflareConfig(_Model):
    account_id: Annotated[str, AfterValidator(_hex32)]
    zone_id: Annotated[str, AfterValidator(_hex32)]
    # The zone's apex, as Cloudflare names it; unset, `platform:domain`. They must agree:
    # host names are one label below the domain, all Universal SSL covers.
    zone_name: Annotated[str, AfterValidator(_domain)] | None = None
    # Mint zone-scoped DNS tokens for cert-manager and external-dns; switch off only for
    # accounts whose token cannot create tokens.
    scoped_tokens: Flag = True
    # The zone's SSL/TLS mode, which the stack sets. "flexible" (and "off") are refused:
    # Cloudflare then calls origins over HTTP, and the origins' HTTP->HTTPS redirect
    # loops (https://developers.cloudflare.com/ssl/troubleshooting/too-many-redirects/).
    # Origins carry Let's Encrypt certificates, so "strict" works.
    ssl_mode: Literal["strict", "full"] = "strict"
    # The zone's plan, which sets the shortest monitor interval and more.
    plan: CloudflarePlan = "free"
    add_ons: CloudflareAddOns = Field(default_factory=CloudflareAddOns)


class CivoQuota(_Model):
    """The Civo account's quota (`civo quota show`, API GET /v2/quota); unset: unchecked."""

    instances: Annotated[int, Field(ge=0)] | None = None
    networks: Annotated[int, Field(ge=0)] | None = None
    firewalls: Annotated[int, Field(ge=0)] | None = None
    load_balancers: Annotated[int, Field(ge=0)] | None = None
    databases: Annotated[int, Field(ge=0)] | None = None


class CivoAccountConfig(_Model):
    # Stacks naming the same account share its quota (`platform plan --all-stacks` adds
    # them up); unset, every stack in the repository uses one account.
    name: Annotated[str, Field(min_length=1)] = "default"
    quota: CivoQuota = Field(default_factory=CivoQuota)


# --- delivery: what runs `pulumi preview` and `up` for the stack -----------------------


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(
            f"{value!r} is not an IAM role ARN such as "
            "'arn:aws:iam::123456789012:role/platform-deploy'"
        )
    return value


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
RunnerLabels = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class _DeliveryFields(_Model):
    # The Pulumi Cloud organization that holds the stack.
    organization: Annotated[str, Field(min_length=1)]
    # Where the runners (or agent pool) that run `preview` and `up` leave from: every
    # Kubernetes API and the database must admit it (rule runner-reaches-endpoints).
    egress_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    # Previews of pull requests run the branch's code with the stack's credentials,
    # which decrypt every secret of the stack: off unless the config turns them on.
    pull_request_previews: Flag = False


class GitHubActionsDelivery(_DeliveryFields):
    """`.github/workflows/`: previews on pull requests, `up` on pushes to main, a
    scheduled drift check, each on a self-hosted runner."""

    via: Literal["github-actions"]
    # The labels of the runner that runs this stack's `up` and drift checks (`runs-on`);
    # a GitHub-hosted runner leaves from addresses no firewall can list, so its labels
    # are refused.
    runner_labels: RunnerLabels
    # The runner of pull-request previews, which run the branch's code: required with
    # previews, and never one the apply runner's labels select (infra/delivery.py).
    preview_runner_labels: RunnerLabels | None = None
    # The GitHub repository holding the project and these workflows (`owner/name`): the
    # workflows need no name for it, but alerts link their runbooks to its README.
    # Unset: alerts carry no runbook link.
    repository: Annotated[str, Field(pattern=r"^[\w.-]+/[\w.-]+$")] | None = None

    @property
    def branch(self) -> str:
        """What is applied: apply.yml runs on pushes to main."""
        return "main"


class PulumiDeploymentsDelivery(_DeliveryFields):
    """Pulumi Deployments on a customer-managed agent pool; its settings are managed by
    the `deployments/` program, not by the stack itself."""

    via: Literal["pulumi-deployments"]
    repository: Annotated[
        str,
        _shaped(
            r"^[\w.-]+/[\w.-]+$",
            lambda v: f"{v!r} is not a repository as owner/name, such as 'example-org/platform'",
        ),
    ]
    branch: Annotated[str, Field(min_length=1)] = "main"
    # Required (checked with the other fields): Pulumi's hosted pool leaves from
    # addresses outside adminCidrs.
    agent_pool_id: Annotated[str, Field(min_length=1)] | None = None
    # The AWS role a deployment assumes with Pulumi's OIDC token; required (checked with
    # the other fields): Deployments gives a deployment no AWS credentials of its own.
    aws_role_arn: Annotated[str, AfterValidator(_role_arn)] | None = None
    # When Pulumi Cloud runs a refresh-preview and reports drift (UTC).
    drift_schedule: Annotated[str, AfterValidator(_cron)] = "0 5 * * *"


DeliveryConfig = Annotated[
    GitHubActionsDelivery | PulumiDeploymentsDelivery, Field(discriminator="via")
]


TrafficControllerName = Literal["envoy-gateway", "ingress-nginx"]


class ArgoCDConfig(_Model):
    """Who reaches Argo CD's UI and API on the management cluster's 80/443."""

    # admin: adminCidrs plus allowedCidrs. public: the whole internet (e.g. for a git
    # host's webhooks from addresses you cannot list), behind TLS and Argo CD's login.
    exposure: Literal["admin", "public"] = "admin"
    # More sources for `admin`, e.g. your git host's published webhook ranges.
    allowed_cidrs: list[Cidr] = Field(default_factory=list)


_KEY_NAME = _shaped(
    r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$",
    lambda v: f"{v!r} is not a key name: lowercase letters, digits and '-', at most 32",
)


class SealedSecretsConfig(_Model):
    """The environment's sealing keys, generated and kept by the stack, installed into the
    sealed-secrets controller of every cluster (docs/runbooks/rotate-credentials.md)."""

    # Key names; the key added last is the one new SealedSecrets are sealed with, the
    # others still decrypt. Add a name to rotate; remove one only after re-sealing.
    keys: Annotated[list[Annotated[str, _KEY_NAME]], Field(min_length=1)] = Field(
        default_factory=lambda: ["1"]
    )

    @field_validator("keys")
    @classmethod
    def _unique(cls, keys: list[str]) -> list[str]:
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"key names {repeated} appear more than once")
        return keys


class PlatformConfig(_Model):
    environment: DnsLabel
    domain: Annotated[str, AfterValidator(_domain)]
    # Let's Encrypt account contact: expiry and revocation notices go here.
    acme_email: Annotated[
        str,
        _shaped(
            r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
            lambda v: f"{v!r} is not an email address such as 'platform-team@example.com'",
        ),
    ]
    cloudflare: CloudflareConfig
    aws_region: Annotated[str, _member_of(catalog.AWS_REGIONS, "AWS region")]
    admin_cidrs: Annotated[TrustedCidrs, Field(min_length=1)]
    mgmt_cluster: MgmtClusterSpec
    traffic_controller: TrafficControllerName = "envoy-gateway"
    argocd: ArgoCDConfig = Field(default_factory=ArgoCDConfig)
    chart_versions: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    clusters: list[_ClusterEntry] = Field(default_factory=list)
    database: DatabaseConfig | None = None
    apps: list[AppConfig] = Field(default_factory=list)
    load_balancing: LoadBalancingConfig = Field(default_factory=LoadBalancingConfig)
    civo_account: CivoAccountConfig = Field(default_factory=CivoAccountConfig)
    drain: list[DnsLabel] = Field(default_factory=list)
    # Unset: nothing runs `pulumi up` for this stack but a person (see README, Delivery).
    delivery: DeliveryConfig | None = None
    sealed_secrets: SealedSecretsConfig = Field(default_factory=SealedSecretsConfig)
    # Metrics, dashboards and alerts: Prometheus and Grafana on the management cluster,
    # a Prometheus agent on every workload cluster. Unset: on in production only.
    observability: Annotated[ObservabilityConfig | None, BeforeValidator(_from_flag)] = None
    # Where alerts go; required in production when observability is on.
    alerting: AlertingConfig | None = None
    # OpenCost on every cluster, feeding the same Prometheus. Unset: as observability.
    cost: bool | None = None
    # Only for `mgmtCluster.provider: existing`; set with `pulumi config set --secret`.
    mgmt_kubeconfig: SecretStr | None = None

    @field_validator("chart_versions")
    @classmethod
    def _known_charts(cls, overrides: dict[str, str]) -> dict[str, str]:
        unknown = sorted(overrides.keys() - CHARTS.keys())
        if unknown:
            raise ValueError(f"unknown charts {unknown}; expected some of {sorted(CHARTS)}")
        return overrides

    @property
    def is_production(self) -> bool:
        return naming.is_production(self.environment)

    @property
    def observability_enabled(self) -> bool:
        enabled = self.observability.enabled if self.observability else None
        return self.is_production if enabled is None else enabled

    @property
    def hub_sizing(self) -> ObservabilityConfig:
        return self.observability or ObservabilityConfig()

    @property
    def cost_enabled(self) -> bool:
        return self.observability_enabled if self.cost is None else self.cost

    @property
    def enabled_clusters(self) -> list[ClusterConfig]:
        return [c for c in self.clusters if c.enabled]

    def database_protection(self) -> tuple[bool, bool]:
        """(protect, retain_on_delete) for the database: as configured, else on in prod."""
        database, default = self.database, self.is_production
        protect = database.protect if database and database.protect is not None else default
        retain = (
            database.retain_on_delete
            if database and database.retain_on_delete is not None
            else default
        )
        return protect, retain

    def monitor_for(self, app: AppConfig) -> MonitorConfig:
        return app.load_balancing.monitor or self.load_balancing.monitor

    def steering_for(self, app: AppConfig) -> SteeringPolicy:
        return app.load_balancing.steering_policy or self.load_balancing.steering_policy

    def affinity_for(self, app: AppConfig) -> SessionAffinity:
        """As configured, else cookies for database apps (a session stays on one cluster)."""
        return app.load_balancing.session_affinity or ("cookie" if app.database else "none")
