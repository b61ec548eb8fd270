"""What every removal, move, resize and destroy must respect, checked on the steps `up`
takes (``platform_cli.lifecycle.order``): data is not deleted where it is meant to be
kept, nothing is deleted under what stays in the cloud, and no delete waits on a
finalizer whose owner is already gone. `platform diff` and `platform review` show what
they find (``Findings``); the lifecycle scenarios in tests/lifecycle assert on them."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from infra.edge import CIVO_FIREWALL_ID
from infra.rules.plan_rules import dig
from infra.runbooks import REMOVE_CLUSTER
from platform_cli.grouping import Located
from platform_cli.lifecycle.order import REMOVES, Graph, Order, Step, sits_in
from platform_cli.runner import Registration

# Types whose provider delete destroys data, with the code that does it.
DATA_BEARING: dict[str, str] = {
    # terraform-provider-civo v1.1.4 civo/database/resource_database.go Delete.
    "civo:index/database:Database": "the instance and every database in it",
    # cyrilgdn/terraform-provider-postgresql @ff936b9 resource_postgresql_database.go
    # L281-291: terminates every session and runs DROP DATABASE ... WITH ( FORCE ).
    "postgresql:index/database:Database": "DROP DATABASE ... WITH (FORCE)",
    # resource_postgresql_role.go L382-421: REASSIGN OWNED / DROP OWNED / DROP ROLE.
    "postgresql:index/role:Role": "DROP OWNED: what the role owns goes with it",
}
APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"
RELEASE = "kubernetes:helm.sh/v3:Release"
CIVO_FIREWALL = "civo:index/firewall:Firewall"
CIVO_CLUSTER = "civo:index/kubernetesCluster:KubernetesCluster"


def in_cloud(r: Registration) -> bool:
    """A cloud object: not a component, a provider, or a value kept only in the state
    (a generated password)."""
    return r.custom and not r.type.startswith(("pulumi:providers:", "random:"))


def data_deleted(order: Order) -> list[str]:
    """Data-bearing resources whose provider delete runs (or may run, before a stop)."""
    return [
        f"{s.resource.name}: {DATA_BEARING[s.resource.type]}"
        for s in order.started
        if s.verb in REMOVES and s.resource.type in DATA_BEARING
    ]


def _stays(order: Order) -> list[Step]:
    """Deleted from the state but left in the cloud: forgotten, refused, or deleted with
    something that itself stays."""
    steps = {s.urn: s for s in order.started}
    gone = {u for u, s in steps.items() if s.verb in REMOVES}

    def stays(step: Step) -> bool:
        if step.verb in ("forget", "refuse"):
            return True
        if step.verb == "with":
            owner = steps.get(step.resource.deleted_with or "")
            return owner is None or (owner.urn not in gone and stays(owner))
        return False

    kept = [s for s in order.started if stays(s)]
    return kept + order.failed + order.skipped


def deleted_under_kept(order: Order, old: Sequence[Registration]) -> list[str]:
    """Cloud objects deleted while something kept in the cloud still sits in them."""
    deleted = {s.urn: s for s in order.started if s.verb in REMOVES and in_cloud(s.resource)}
    found = []
    for kept in _stays(order):
        if not in_cloud(kept.resource):
            continue
        for dep in sorted(sits_in(kept.resource) & deleted.keys()):
            found.append(
                f"{deleted[dep].resource.name} is deleted while {kept.resource.name}, "
                "kept in the cloud, still uses it"
            )
    return found


def _finalizer_owners(app_set: Registration, graph: Graph) -> Iterator[Registration]:
    """What Argo CD needs to finalize an ApplicationSet's Applications: their AppProject
    (argo-cd v3.4.4 controller/appcontroller.go finalizeApplicationDeletion L1210 returns
    the project's NotFound) and Argo CD itself (the argo-cd release), on the same cluster."""
    project = dig(app_set.revealed_inputs, "spec", "template", "spec", "project")
    for other in graph.by_urn.values():
        if other.provider != app_set.provider:
            continue
        if other.type == APP_PROJECT and dig(other.revealed_inputs, "metadata", "name") == project:
            yield other
        if other.type == RELEASE and other.revealed_inputs.get("chart") == "argo-cd":
            yield other


def finalizer_waits(order: Order, old: Sequence[Registration]) -> list[str]:
    """Deletes that wait for a finalizer whose owner is deleted in the same round or
    before: the ApplicationSet's foreground delete (pulumi-kubernetes
    provider/pkg/metadata/overrides.go, "Foreground by default") waits for Applications
    that carry Argo CD's finalizer (argo-cd v3.4.4 applicationset/utils/utils.go L294-302)."""
    graph = Graph(old)
    deleted = {s.urn: s for s in order.started if s.verb in REMOVES}
    found = []
    for step in deleted.values():
        if step.resource.type != APPLICATION_SET:
            continue
        preserved = dig(step.resource.revealed_inputs, "spec", "syncPolicy")
        if isinstance(preserved, dict) and preserved.get("preserveResourcesOnDeletion") is True:
            continue  # no finalizer on its Applications
        for owner in _finalizer_owners(step.resource, graph):
            gone = deleted.get(owner.urn)
            if gone is not None and gone.level <= step.level:
                found.append(
                    f"{step.resource.name} waits for Argo CD to finalize its Applications, "
                    f"which needs {owner.name}; {owner.name} is deleted "
                    f"{'in the same round' if gone.level == step.level else 'before'}"
                )
    return found


def problems(order: Order, old: Sequence[Registration]) -> list[str]:
    """Every lifecycle problem in one `up`: a delete that fails or hangs, so `up` does not
    finish (deleting data may be intended: not here)."""
    return [*deleted_under_kept(order, old), *finalizer_waits(order, old)]


def _attaches(r: Registration, firewall: str) -> bool:
    """``r`` puts Civo's load-balancer firewall annotation, fed by ``firewall``, on a
    Service (an EnvoyProxy's or ingress-nginx's)."""
    fed = firewall in r.dependencies or any(
        firewall in urns for urns in r.property_dependencies.values()
    )
    return fed and CIVO_FIREWALL_ID in json.dumps(r.revealed_inputs)


def firewalls_still_in_use(order: Order, old: Sequence[Registration]) -> list[str]:
    """Civo load-balancer firewalls deleted in the same `up` as the Service that attached
    them, on a cluster that stays. The Service's load balancer goes only once Civo's
    controller has deleted it, after the Service is gone (civo-cloud-controller-manager
    v0.1.9 loadbalancer.go `EnsureLoadBalancerDeleted`, called as the Service's
    finalizer is handled); Pulumi does not wait for that. Civo refuses to delete a
    firewall in use (409, as for a cluster's: civo/terraform-provider-civo#160), and the
    provider does not retry an API error (v1.1.4 civo/firewall/resource_firewall.go
    L333-350)."""
    removed = {s.urn for s in order.ran + order.alongside if s.verb in REMOVES}
    found = []
    for firewall in (r for r in old if r.urn in removed and r.type == CIVO_FIREWALL):
        if any(
            r.type == CIVO_CLUSTER and r.parent == firewall.parent and r.urn in removed for r in old
        ):
            continue  # the whole cluster goes: not modelled here
        users = sorted(r.name for r in old if r.urn in removed and _attaches(r, firewall.urn))
        if users:
            found.append(
                f"{firewall.name} is deleted in the same `up` as {', '.join(users)}, whose "
                "cloud load balancer uses it and which Civo's controller deletes only after "
                "the Service is gone: Civo may refuse the firewall's delete while it is "
                "still in use (409); if `up` fails there, run `pulumi up` again once the "
                "load balancer is gone (a minute or two)"
            )
    return found


@dataclass(frozen=True)
class Findings:
    """What `platform diff` and `platform review` say about one `up`'s deletes."""

    # Deletes `up` cannot finish: they fail or hang (exit 3, as a refusal).
    problems: list[str] = field(default_factory=list)
    # Deletes that destroy data: maybe intended, always shown.
    data_deleted: list[str] = field(default_factory=list)
    # Deletes the cloud may refuse for a moment: the first `up` may fail, a rerun finishes.
    may_fail: list[str] = field(default_factory=list)
    # Account quotas `up` passes on its way (``platform_cli.lifecycle.quotas``): the
    # account refuses a create and `up` fails there (exit 3, as a refusal).
    over_quota: list[str] = field(default_factory=list)

    def caution(self) -> list[str]:
        """A Markdown CAUTION block, or nothing."""
        if not (self.problems or self.data_deleted or self.may_fail or self.over_quota):
            return []
        lines = ["> [!CAUTION]"]
        if self.over_quota:
            lines.append("> `pulumi up` goes over these account quotas on its way, and fails:")
            lines += [f"> - {line.removeprefix('error: ')}" for line in self.over_quota]
        if self.problems:
            lines.append("> `pulumi up` cannot finish these deletes:")
            lines += [f"> - {p}" for p in self.problems]
        if self.data_deleted:
            lines.append(
                "> `pulumi up` deletes data (back it up first, or keep it: README, Database credentials):"
            )
            lines += [f"> - `{d.split(':', 1)[0]}`:{d.split(':', 1)[1]}" for d in self.data_deleted]
        if self.may_fail:
            lines.append("> `pulumi up` may fail at these deletes; run it again:")
            lines += [f"> - {m}" for m in self.may_fail]
        return [*lines, ""]


def findings(order: Order, old: Sequence[Registration], over_quota: Sequence[str] = ()) -> Findings:
    return Findings(
        problems(order, old),
        data_deleted(order),
        firewalls_still_in_use(order, old),
        list(over_quota),
    )


ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def stranded_records(changes: Sequence[Located]) -> list[str]:
    """`error:` lines for a cluster removed in the same `up` as the routes its external-dns
    published: external-dns deletes a record only in a later loop of a running controller
    (external-dns chart 1.21.1 values.yaml L206-209 `interval: 1m`, templates/
    deployment.yaml L88-96), so the records stay, pointing at the released address."""
    gone_dns = {
        c.cluster
        for c in changes
        if c.kind == "remove"
        and c.resource.type == RELEASE
        and c.resource.revealed_inputs.get("chart") == "external-dns"
    }
    hosts: dict[str, list[str]] = {}
    for c in changes:
        if c.kind == "remove" and c.resource.type == ROUTE and c.cluster in gone_dns:
            found = dig(c.resource.revealed_inputs, "spec", "hostnames") or []
            hosts.setdefault(c.cluster, []).extend(str(h) for h in found)
    return [
        f"error: platform:clusters[{cluster}].enabled: removing cluster {cluster} in the same "
        f"`up` as its routes leaves their DNS records in the zone, pointing at an address "
        f"the cloud gives to someone else: {', '.join(sorted(names))}; first move its apps "
        "off it (placement) and apply, wait a minute for its external-dns to delete them, "
        f"then disable it (see {REMOVE_CLUSTER})"
        for cluster, names in sorted(hosts.items())
        if names
    ]
