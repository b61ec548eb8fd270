"""Stack config in, a validated config and its placement out, or every problem at once.

Structural problems (types, unknown keys, region and size codes) come from the pydantic
models in ``infra.config``; problems that relate one part of the config to another
(duplicate names, dependencies, placement) come from the checks here. Either way a caller
gets one ``ConfigError`` listing every problem with its field path.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from infra import naming
from infra.access import PLATFORM_NAMESPACES
from infra.config import (
    NAMESPACE,
    PATTERN_MEANINGS,
    AppConfig,
    PlatformConfig,
    VultrClusterSpec,
)
from infra.config_paths import did_you_mean, known_keys, with_item_names
from infra.delivery import delivery_problems
from infra.entitlements import cloudflare as cloudflare_entitlements
from infra.limits import aws, postgresql
from infra.limits import kubernetes as k8s_limits
from infra.observability_checks import observability_problems
from infra.placement import Placement

# Keys that earlier versions read, and where their setting lives now.
MOVED_KEYS: dict[tuple[int | str, ...], str] = {
    ("deployments",): "; it moved to platform:delivery, with `via: pulumi-deployments` and "
    "`egressCidrs` (README, Delivery)",
    ("loadBalancing", "planLimits"): "; state the zone's plan in platform:cloudflare.plan (it "
    "sets the shortest monitor interval) and the Load Balancing add-on in "
    "platform:cloudflare.addOns.loadBalancing (endpoints, pools, checkRegions)",
}


class Problem(NamedTuple):
    path: str
    message: str

    def __str__(self) -> str:
        return f"error: {self.path}: {self.message}"


class ConfigError(Exception):
    """Every problem found in a stack config, each naming its field path."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigWarning(UserWarning):
    """A config that works but that a platform engineer should reconsider."""


@dataclass(frozen=True)
class ValidConfig:
    """A stack's config that passed every check, and where its apps run."""

    config: PlatformConfig
    placement: Placement


# pydantic puts the chosen branch of a discriminated union in an error's location; the
# user wrote no such key. Each union's tags, by the key the union sits under (an int: a
# list item).
_CLUSTER_TAGS = frozenset({"civo", "vultr", "existing"})
_DELIVERY_TAGS = frozenset({"github-actions", "pulumi-deployments"})


def _path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    previous: int | str | None = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif (
            item in _CLUSTER_TAGS and (isinstance(previous, int) or previous == "mgmtCluster")
        ) or (item in _DELIVERY_TAGS and previous == "delivery"):
            pass  # pydantic's discriminated-union branch, not a user-visible key
        else:
            parts.append(("." if parts else "") + item)
        previous = item
    return "".join(parts) or "(root)"


# An unknown key's message lists the keys it could have been, up to this many.
_LISTED_KEYS = 12


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    """What an unknown key may have been meant as, and where it belongs."""
    key = str(loc[-1])
    if ":" in key:
        where = _path(loc[:-1])
        return (
            f"a stack setting inside {NAMESPACE}:{where}; move it out, to two spaces' indent "
            "under 'config:'"
        )
    keys = known_keys(PlatformConfig, loc)
    hint = MOVED_KEYS.get(loc) or did_you_mean(key, keys)
    if hint:
        return "unknown key" + hint
    tag = next((t for t in loc if t in _CLUSTER_TAGS), None)
    others = sorted(
        other
        for other in _CLUSTER_TAGS - {tag}
        if tag is not None and key in known_keys(PlatformConfig, _retagged(loc, tag, other))
    )
    text = "unknown key"
    if tag is not None and others:
        text += f" for a {tag} cluster (only {' and '.join(others)} clusters have it)"
    if len(keys) <= _LISTED_KEYS:
        return f"{text}; the keys here are {', '.join(keys)}"
    return f"{text}; see the README's Config reference for the keys here"


def _retagged(loc: tuple[int | str, ...], tag: str, other: str) -> tuple[int | str, ...]:
    return tuple(other if item == tag else item for item in loc)


def _as_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _problem(error: ErrorDetails) -> Problem:
    path = _path(tuple(error["loc"]))
    message = error["msg"].removeprefix("Value error, ")
    ctx = error.get("ctx", {})
    # The union's tag key, as pydantic quotes it: "'provider'", "'via'".
    tag_key = str(ctx.get("discriminator", "'provider'")).strip("'")
    given = error.get("input")
    if error["type"] == "union_tag_invalid":
        path += f".{tag_key}"
        message = (
            f"unknown {tag_key} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
        )
    elif error["type"] == "union_tag_not_found":
        path += f".{tag_key}"
        message = "Field required"
    elif error["type"] == "extra_forbidden":
        message = _unknown_key(tuple(error["loc"]))
    elif error["type"] == "string_type" and isinstance(given, int | float):
        # YAML reads `17`, `2` or an all-digit id as a number (`true` and `yes` as booleans).
        kind = "a boolean" if isinstance(given, bool) else "a number"
        text = _as_text(given)
        message = f'YAML reads {text} as {kind}, and this key takes text: quote it, "{text}"'
    elif error["type"] in ("bool_type", "bool_parsing"):
        message += "; write true or false, unquoted"
    elif error["type"] == "string_pattern_mismatch" and str(ctx.get("pattern")) in PATTERN_MEANINGS:
        message = PATTERN_MEANINGS[str(ctx["pattern"])](str(given))
    return Problem(f"{NAMESPACE}:{path}", message)


def _named(problems: Iterable[Problem], raw: Mapping[str, Any]) -> ConfigError:
    """Every problem, its list indices followed by the item's name as written."""
    prefix = f"{NAMESPACE}:"
    return ConfigError(
        Problem(prefix + with_item_names(p.path.removeprefix(prefix), dict(raw)), p.message)
        if p.path.startswith(prefix)
        else p
        for p in problems
    )


def load(raw: Mapping[str, Any], aws_provider_region: str | None = None) -> ValidConfig:
    """Validate the ``platform:`` namespace (keys without the prefix).

    ``aws_provider_region`` is the stack's ``aws:region``: the AWS provider creates the
    secrets there, so it must be the region the clusters read them from.
    """
    try:
        config = PlatformConfig.model_validate(dict(raw))
    except ValidationError as err:
        raise _named((_problem(e) for e in err.errors()), raw) from None
    placement = Placement.of(config)
    problems = [
        Problem(f"{NAMESPACE}:{path}", message)
        for path, message in cross_check_problems(config, placement)
    ]
    if aws_provider_region is not None and aws_provider_region != config.aws_region:
        problems.append(
            Problem(
                f"{NAMESPACE}:awsRegion",
                f"{config.aws_region!r} differs from aws:region {aws_provider_region!r}; "
                "the secrets must live where the clusters read them",
            )
        )
    if problems:
        raise _named(problems, raw)
    _warn_unprotected_production_database(config)
    _warn_unbacked_database(config)
    if config.traffic_controller == "ingress-nginx":
        warnings.warn(
            "platform:trafficController: ingress-nginx was retired upstream in March 2026 and "
            "gets no more security fixes; prefer envoy-gateway",
            ConfigWarning,
            stacklevel=2,
        )
    if config.alerting is None and config.observability_enabled:
        warnings.warn(
            "platform:alerting is not set: the hub's alerts, the Watchdog included, reach nobody",
            ConfigWarning,
            stacklevel=2,
        )
    if config.alerting is not None and not config.observability_enabled:
        warnings.warn(
            "platform:alerting is unused while observability is off: alerts come from the "
            "metrics hub",
            ConfigWarning,
            stacklevel=2,
        )
    if not config.cloudflare.scoped_tokens:
        warnings.warn(
            "platform:cloudflare.scopedTokens is false: cert-manager and external-dns get the "
            "token Pulumi runs with, not a zone-scoped DNS token",
            ConfigWarning,
            stacklevel=2,
        )
    return ValidConfig(config, placement)


def _warn_unbacked_database(config: PlatformConfig) -> None:
    if config.database is None or not any(a.database for a in config.apps):
        return
    if config.database.backups is None and config.is_production:
        warnings.warn(
            f"platform:database.backups is not set in production stack {config.environment!r}: "
            "the live instance is the only copy of every app's data",
            ConfigWarning,
            stacklevel=3,
        )
    elif config.database.backups is not None and not config.observability_enabled:
        warnings.warn(
            "platform:database.backups without platform:observability: no alert fires when "
            "a backup fails or stops",
            ConfigWarning,
            stacklevel=3,
        )


def _warn_unprotected_production_database(config: PlatformConfig) -> None:
    if config.database is None or not config.is_production:
        return
    for key, value in (
        ("platform:database.protect", config.database.protect),
        ("platform:database.retainOnDelete", config.database.retain_on_delete),
    ):
        if value is False:
            warnings.warn(
                f"{key} is false in production stack "
                f"{config.environment!r}: removing the database or an app's database "
                "would delete its data",
                ConfigWarning,
                stacklevel=3,
            )


def _duplicates(names: list[str]) -> set[str]:
    return {name for name, count in Counter(names).items() if count > 1}


def _cycle_from(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return [*path, start]
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def _argocd_labels(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """Cluster labels that would overwrite Argo CD's own on the cluster Secret."""
    for i, cluster in enumerate(config.clusters):
        for key in cluster.labels:
            if problem := k8s_limits.argocd_label_problem(key):
                yield f"clusters[{i}].labels.{key}", problem


def cross_check_problems(config: PlatformConfig, placement: Placement) -> Iterator[tuple[str, str]]:
    """Problems that relate one part of the config to another, each with its field path."""
    cluster_names = [c.name for c in config.clusters]
    enabled = {c.name for c in config.enabled_clusters}
    for name in _duplicates(cluster_names):
        for i in [i for i, n in enumerate(cluster_names) if n == name][1:]:
            yield f"clusters[{i}].name", f"duplicate cluster name {name!r}"
    for i, name in enumerate(cluster_names):
        if name == naming.MGMT_CLUSTER:
            yield (
                f"clusters[{i}].name",
                f"{name!r} is the management cluster's name; its cloud names, IAM user and "
                "DNS records would collide with the management cluster's; rename the cluster",
            )

    yield from _argocd_labels(config)

    existing = config.mgmt_cluster.provider == "existing"
    if existing and config.mgmt_kubeconfig is None:
        yield (
            "mgmtKubeconfig",
            "required when mgmtCluster.provider is 'existing' "
            "(pulumi config set --secret platform:mgmtKubeconfig < kubeconfig.yaml)",
        )
    if not existing and config.mgmt_kubeconfig is not None:
        yield "mgmtKubeconfig", "only used when mgmtCluster.provider is 'existing'; remove it"
    if existing and enabled and not config.mgmt_cluster.egress_cidrs:
        yield (
            "mgmtCluster.egressCidrs",
            "required with workload clusters: their Kubernetes APIs admit only adminCidrs "
            "and these, so Argo CD could not reach them",
        )

    if config.argocd.exposure == "public" and config.argocd.allowed_cidrs:
        yield "argocd.allowedCidrs", "only used with exposure 'admin'; 'public' admits everyone"

    yield from _autoscaled_egress_problems(config, placement)
    yield from _autoscaler_limit_problems(config)
    yield from _host_name_problems(config, placement)
    yield from observability_problems(config)

    for key in ("drain", "loadBalancing.regionPreference"):
        names = config.drain if key == "drain" else config.load_balancing.region_preference
        for i, name in enumerate(names):
            if name in cluster_names and name not in enabled:
                yield (
                    f"{key}[{i}]",
                    f"{name!r} is disabled (enabled: false), so no pool has it; "
                    f"remove it from {key.rsplit('.', 1)[-1]}",
                )
            elif name not in enabled:
                yield (
                    f"{key}[{i}]",
                    f"{name!r} is not an enabled cluster" + did_you_mean(name, sorted(enabled)),
                )

    yield from _app_problems(config, placement, enabled)
    yield from delivery_problems(config)


def _autoscaled_egress_problems(
    config: PlatformConfig, placement: Placement
) -> Iterator[tuple[str, str]]:
    """An autoscaled pool's node addresses come and go; where its egress is admitted
    somewhere (the workload APIs, the database, the metrics hub), it must be stated."""
    mgmt = config.mgmt_cluster
    autoscaled = isinstance(mgmt, VultrClusterSpec) and mgmt.autoscaling is not None
    if autoscaled and not mgmt.egress_cidrs and config.enabled_clusters:
        yield "mgmtCluster.egressCidrs", _AUTOSCALED_EGRESS
    # The hub's own load balancer admits its writers' egress only, whatever Argo CD's
    # exposure (infra.components.mgmt_cluster: the metrics gateway).
    writes_to_hub = config.observability_enabled
    for i, cluster in enumerate(config.clusters):
        if (
            isinstance(cluster, VultrClusterSpec)
            and cluster.autoscaling
            and not cluster.egress_cidrs
            and cluster.enabled
            and (writes_to_hub or cluster.name in placement.database_clients)
        ):
            yield f"clusters[{i}].egressCidrs", _AUTOSCALED_EGRESS


def _autoscaler_limit_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    """A pool's nodeCount outside its autoscaler's limits: the pool is created at
    nodeCount, then the autoscaler moves it within the limits, so the config says two
    sizes at once (and the estimate would count the wrong one)."""
    pools = [("mgmtCluster", config.mgmt_cluster)] + [
        (f"clusters[{i}]", c) for i, c in enumerate(config.clusters)
    ]
    for where, pool in pools:
        if not isinstance(pool, VultrClusterSpec) or pool.autoscaling is None:
            continue
        low, high = pool.autoscaling.min_nodes, pool.autoscaling.max_nodes
        if low <= pool.node_count <= high:
            continue
        above = pool.node_count > high
        side, limit = (
            ("above", "autoscaling.maxNodes") if above else ("below", "autoscaling.minNodes")
        )
        yield (
            f"{where}.nodeCount",
            f"{pool.node_count} is {side} {limit} "
            f"({high if side == 'above' else low}): the autoscaler keeps the pool within "
            f"{low}-{high} nodes, and nodeCount only sizes it at creation; set nodeCount "
            f"within {low}-{high}, or change the limits",
        )


def _host_name_problems(config: PlatformConfig, placement: Placement) -> Iterator[tuple[str, str]]:
    zone = config.cloudflare.zone_name
    if zone is not None and zone != config.domain:
        yield (
            "domain",
            f"{config.domain!r} is not the Cloudflare zone's apex {zone!r} "
            "(cloudflare.zoneName): proxied host names one label below the domain would be "
            "deeper than Universal SSL covers; give the environment a zone of its own",
        )
    # Whose each host name is: the platform's own, then each app's.
    hosts: dict[str, str] = {naming.argocd_host(config.domain): "Argo CD's"}
    if config.observability_enabled:
        hosts[naming.grafana_host(config.domain)] = "Grafana's"
        hosts[naming.metrics_write_host(naming.MGMT_CLUSTER, config.domain)] = (
            "the metrics hub's, where workload clusters write their metrics"
        )
    for i, app in enumerate(config.apps):
        names = [naming.app_host(app.name, config.domain)] if app.public else []
        names += [naming.app_cluster_host(app.name, c, config.domain) for c in placement[app.name]]
        for host in names:
            label = host.split(".", 1)[0]
            if len(label) > 63:
                yield (
                    f"apps[{i}].name",
                    f"host name {host!r}: {label!r} is over 63 characters; shorten the app name",
                )
            mine = f"already taken by app {app.name!r}"
            owner = hosts.setdefault(host, mine)
            if owner != mine:
                yield f"apps[{i}].name", f"host name {host!r} is {owner}; rename the app"


_AUTOSCALED_EGRESS = (
    "required with autoscaling: the workload APIs, the database or the metrics hub admit "
    "this cluster's egress, and the nodes the autoscaler adds have addresses no plan can look up; "
    "put a NAT or egress gateway in front and list its addresses"
)


def _app_problems(
    config: PlatformConfig, placement: Placement, enabled: set[str]
) -> Iterator[tuple[str, str]]:
    app_names = [a.name for a in config.apps]
    known = set(app_names)
    for name in _duplicates(app_names):
        for i in [i for i, n in enumerate(app_names) if n == name][1:]:
            yield f"apps[{i}].name", f"duplicate app name {name!r}"

    edges = {a.name: a.depends_on for a in config.apps}
    for i, app in enumerate(config.apps):
        where = f"apps[{i}]"
        for j, dep in enumerate(app.depends_on):
            if dep not in known:
                yield (
                    f"{where}.dependsOn[{j}]",
                    f"unknown app {dep!r}" + did_you_mean(dep, sorted(known)),
                )
        cycle = _cycle_from(app.name, edges)
        if cycle:
            yield f"{where}.dependsOn", "dependency cycle " + " -> ".join(cycle)
        if not placement[app.name]:
            yield f"{where}.placement", f"matches no enabled cluster (enabled: {sorted(enabled)})"
        if app.database and config.database is None:
            yield f"{where}.database", "needs the shared database, but platform:database is not set"
        yield from _credential_problems(where, app)
    yield from _shared_namespaces(config, placement)
    if config.database is not None:
        database_apps = sorted(placement.database_apps)
        for name in config.database.rotations:
            if name not in database_apps:
                yield (
                    f"database.rotations.{name}",
                    f"{name!r} is not a database app (apps with `database: true`: "
                    f"{', '.join(database_apps) or 'none'})" + did_you_mean(name, database_apps),
                )
    yield from _backup_problems(config)
    yield from cloudflare_entitlements.problems(config, placement)
    yield from _drain_problems(config, placement)
    yield from _account_name_problems(config, placement)


# The CronJob controller refuses a CronJob name over 52 characters (it appends 11 to name
# each Job: kubernetes pkg/apis/batch/validation/validation.go ValidateCronJobCreate).
MAX_BACKED_UP_APP_NAME = 52


def _backup_problems(config: PlatformConfig) -> Iterator[tuple[str, str]]:
    if config.database is None or config.database.backups is None:
        return
    longest = (
        naming.MAX_BUCKET_NAME - len(naming.BACKUP_BUCKET_SUFFIX) - naming.AWS_ACCOUNT_ID_LENGTH
    )
    if len(config.environment) > longest:
        yield (
            "database.backups",
            f"the backup bucket's name {naming.backup_bucket(config.environment, '<account>')!r} "
            f"would exceed S3's 63 characters: an environment of at most {longest} characters",
        )
    for i, app in enumerate(config.apps):
        if app.database and len(app.name) > MAX_BACKED_UP_APP_NAME:
            yield (
                f"apps[{i}].name",
                f"a backed-up database app's name has at most {MAX_BACKED_UP_APP_NAME} "
                "characters: it names the app's backup CronJob",
            )


# PostgreSQL truncates names to 63 bytes; the alternate login adds `_alt`.
MAX_DATABASE_APP_NAME = 59


def _credential_problems(where: str, app: AppConfig) -> Iterator[tuple[str, str]]:
    """Names that would hand an app credentials that are not its own."""
    if app.target_namespace in PLATFORM_NAMESPACES:
        yield (
            f"{where}.namespace" if app.namespace else f"{where}.name",
            f"namespace {app.target_namespace!r} belongs to the platform; "
            "an app there would share its credentials",
        )
    if app.database and app.name == "admin":
        yield f"{where}.name", "'admin' names the database's admin credentials; rename the app"
    if app.database and len(app.name) > MAX_DATABASE_APP_NAME:
        yield (
            f"{where}.name",
            f"a database app's name has at most {MAX_DATABASE_APP_NAME} characters: its "
            "alternate login `<name>_alt` must fit PostgreSQL's 63",
        )
    reserved = postgresql.app_name_problem(app.name) if app.database else None
    if reserved:
        yield f"{where}.name", reserved


def _drain_problems(config: PlatformConfig, placement: Placement) -> Iterator[tuple[str, str]]:
    drained = set(config.drain)
    for app in config.apps:
        placed = placement[app.name]
        if app.public and placed and drained >= set(placed):
            yield "drain", f"drains every cluster of public app {app.name!r} ({', '.join(placed)})"


def _account_name_problems(
    config: PlatformConfig, placement: Placement
) -> Iterator[tuple[str, str]]:
    """Names and sizes AWS refuses (infra.limits.aws, with the source)."""
    readers = [("environment", naming.MGMT_CLUSTER)] + [
        (f"clusters[{i}].name", c.name) for i, c in enumerate(config.clusters) if c.enabled
    ]
    for path, cluster in readers:
        user = naming.secret_reader_user(config.environment, cluster)
        if len(user) > aws.IAM_USER_NAME_MAX:
            yield (
                path,
                f"the cluster's IAM user name {user!r} is {len(user)} characters, more than "
                f"the {aws.IAM_USER_NAME_MAX} IAM allows ({aws.IAM_QUOTAS_SOURCE}); "
                "shorten the cluster or environment name",
            )
    for i, app in enumerate(config.apps):
        tags = len(naming.secret_tags(config.environment, placement[app.name]))
        if app.name in placement.database_apps and tags > aws.SECRET_TAGS_MAX:
            yield (
                f"apps[{i}].placement",
                f"places the database app on {len(placement[app.name])} clusters: its secret "
                f"would carry {tags} tags (one per reading cluster), more than the "
                f"{aws.SECRET_TAGS_MAX} Secrets Manager allows ({aws.SECRET_TAGS_SOURCE})",
            )


def _shared_namespaces(config: PlatformConfig, placement: Placement) -> Iterator[tuple[str, str]]:
    """Two apps in one namespace on one cluster would each claim that namespace."""
    owner: dict[tuple[str, str], str] = {}
    for i, app in enumerate(config.apps):
        for cluster in placement[app.name]:
            key = (cluster, app.target_namespace)
            if owner.get(key, app.name) != app.name:
                yield (
                    f"apps[{i}].namespace",
                    f"namespace {app.target_namespace!r} on cluster {cluster!r} "
                    f"already belongs to app {owner[key]!r}",
                )
            else:
                owner[key] = app.name
