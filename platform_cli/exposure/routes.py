"""Web endpoints: who gets through a cloud load balancer, a listener's client TLS
validation and a route's own policy, to each host a gateway or ingress-nginx serves.

A request reaches an origin when it gets through the address rules in front of the
cloud load balancer (its firewall), the listener's client TLS validation, and the
route's policy (client addresses, credentials); a name this zone's Cloudflare proxies is
reached by anyone who can reach Cloudflare, once Cloudflare reaches the origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import platform_cli.exposure.plan_facts as pf
from infra import edge, naming
from infra.addons import ingress_nginx as nginx
from infra.rules.edge_rules import auth_tls_refusal
from infra.rules.plan_rules import dig
from platform_cli.exposure.matrix import Endpoint
from platform_cli.exposure.plan_facts import Plan, meta
from platform_cli.exposure.sources import ZONE, Sources
from platform_cli.runner import Registration


@dataclass(frozen=True)
class Listener:
    """What stands between a source and a route: the load balancer's address rules on
    443, client TLS validation, and whether the client's address survives to Envoy."""

    direct: frozenset[str]
    # Who the load balancer admits on each port, before TLS: what a port scan finds open.
    ports: Mapping[str, frozenset[str]]
    zone_only_tls: bool
    client_tls_unmet: bool
    # The proxy protocol carries the TCP peer's address through the load balancer.
    peer_address: bool
    # The original client behind Cloudflare, from a header only Cloudflare can set.
    cloudflare_client_address: bool
    note: str = ""


def _admitted(sources: Sources, rules: Mapping[str, list[str]] | None, port: str) -> frozenset[str]:
    if rules is None:
        return frozenset(sources.names)
    return frozenset(sources.admitted_by(rules.get(port, [])))


def _gateway_listener(
    plan: Plan, sources: Sources, cluster: str, gateway: Registration, zone_cert: bool
) -> Listener:
    spec = gateway.revealed_inputs.get("spec") or {}
    proxy_name = dig(spec, "infrastructure", "parametersRef", "name")
    if proxy_name is None:
        klass = plan.named(cluster, pf.GATEWAY_CLASS, str(spec.get("gatewayClassName")), None)
        proxy_name = dig(klass.revealed_inputs if klass else {}, "spec", "parametersRef", "name")
    proxy = plan.named(cluster, pf.ENVOY_PROXY, str(proxy_name), None)
    annotations: Mapping[str, str] = (
        dig(proxy.revealed_inputs, "spec", "provider", "kubernetes", "envoyService", "annotations")
        or {}
        if proxy
        else {}
    )
    note = ""
    if annotations.get(edge.EXPOSURE) == "unmanaged":
        note = "the platform does not own this cluster's load balancers"
    rules = pf.load_balancer_rules(plan, proxy, "spec", annotations) if proxy else None
    policy = _client_policy(plan, cluster, meta(gateway).get("name"))
    validation = dig(policy, "tls", "clientValidation")
    listener_ports = [str(int(lst.get("port", 0))) for lst in spec.get("listeners") or []]
    return Listener(
        direct=_admitted(sources, rules, "443"),
        ports={port: _admitted(sources, rules, port) for port in listener_ports},
        zone_only_tls=bool(validation) and zone_cert,
        client_tls_unmet=bool(validation) and not zone_cert,
        peer_address=dig(policy, "proxyProtocol") is not None
        and edge.proxy_protocol_enabled(annotations),
        cloudflare_client_address=dig(policy, "clientIPDetection", "customHeader", "name")
        == "CF-Connecting-IP",
        note=note,
    )


def _client_policy(plan: Plan, cluster: str, gateway: Any) -> dict[str, Any]:
    for policy in plan.on(cluster, pf.CLIENT_TRAFFIC_POLICY):
        spec = policy.revealed_inputs.get("spec") or {}
        if any(
            t.get("kind") == "Gateway" and t.get("name") == gateway
            for t in spec.get("targetRefs") or []
        ):
            return dict(spec)
    return {}


def _direct(listener: Listener, allowed: frozenset[str] | None) -> frozenset[str]:
    """Who reaches the origin itself: the load balancer's address rules, then client TLS
    validation, then a client-address policy, which sees the real client only when the
    load balancer passes its address on (the proxy protocol)."""
    direct = set(listener.direct)
    if listener.zone_only_tls:
        direct &= {ZONE}
    elif listener.client_tls_unmet:
        direct = set()
    if allowed is not None:
        zone = {ZONE} & direct if listener.cloudflare_client_address else set()
        direct = (direct & allowed if listener.peer_address else set()) | zone
    return frozenset(direct)


def _published(
    sources: Sources, origin: frozenset[str], allowed: frozenset[str] | None, listener: Listener
) -> frozenset[str]:
    """Who reaches a name this zone's Cloudflare proxies: anyone Cloudflare serves, once
    the zone reaches the origin; a client-address policy sees them by the address
    Cloudflare reports in `CF-Connecting-IP`."""
    if ZONE not in origin:
        return frozenset()
    if allowed is None:
        return frozenset(sources.names)
    return allowed if listener.cloudflare_client_address else frozenset()


def _security_policy(plan: Plan, cluster: str, route: Registration) -> dict[str, Any]:
    name, namespace = meta(route).get("name"), meta(route).get("namespace")
    for policy in plan.on(cluster, pf.SECURITY_POLICY):
        spec = policy.revealed_inputs.get("spec") or {}
        if meta(policy).get("namespace") != namespace:
            continue
        if any(
            t.get("kind") == "HTTPRoute" and t.get("name") == name
            for t in spec.get("targetRefs") or []
        ):
            return dict(spec)
    return {}


def _allowed(sources: Sources, spec: Mapping[str, Any]) -> frozenset[str] | None:
    authorization = spec.get("authorization")
    if not authorization or authorization.get("defaultAction") != "Deny":
        return None
    cidrs = [
        c
        for rule in authorization.get("rules") or []
        if rule.get("action") == "Allow"
        for c in dig(rule, "principal", "clientCIDRs") or []
    ]
    return frozenset(sources.admitted_by(cidrs))


def _holders(plan: Plan, cluster: str, namespace: Any, secret_name: Any) -> str:
    """The clusters that hold the credential a basic-auth Secret checks: every other
    Secret fed by the same generated password."""
    secret = plan.named(cluster, pf.SECRET, str(secret_name), str(namespace))
    if secret is None:
        return "nobody (no such Secret)"
    passwords = set(secret.property_dependencies.get("stringData", []))
    holders = sorted(
        {
            plan.cluster(other)
            for other in plan.of_type(pf.SECRET)
            if other is not secret
            and passwords & set(other.property_dependencies.get("stringData", []))
        }
    )
    return ", ".join(holders) or "nobody"


def _load_balancer_rows(cluster: str, owner: str, listener: Listener) -> list[Endpoint]:
    """The cloud load balancer's open ports, before any TLS or route check."""
    return [
        Endpoint(
            f"{cluster} load balancer ({owner}) :{port}",
            cluster,
            reach,
            note="TCP: its firewall only" + (f"; {listener.note}" if listener.note else ""),
        )
        for port, reach in sorted(listener.ports.items())
    ]


def _paths(paths: list[str]) -> str:
    if paths == ["/"]:
        return ""
    return paths[0] if len(paths) == 1 else f" [{', '.join(paths)}]"


def _joined(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _client_address(listener: Listener, origin: frozenset[str]) -> str:
    """Whether Envoy sees who the client is: the proxy protocol carries the TCP peer
    through the load balancer, and behind Cloudflare the visitor is in its header."""
    kept = listener.peer_address and (ZONE not in origin or listener.cloudflare_client_address)
    return "client address kept" if kept else "client address lost at the load balancer"


def envoy_routes(
    plan: Plan, sources: Sources, cluster: str, proxied_records: set[str], zone_cert: bool
) -> list[Endpoint]:
    found = []
    for gateway in plan.on(cluster, pf.GATEWAY):
        listener = _gateway_listener(plan, sources, cluster, gateway, zone_cert)
        gateway_name = meta(gateway).get("name")
        found += _load_balancer_rows(cluster, f"gateway {gateway_name}", listener)
        for route in plan.on(cluster, pf.HTTP_ROUTE):
            parents = (route.revealed_inputs.get("spec") or {}).get("parentRefs") or []
            if not any(
                p.get("name") == gateway_name and p.get("sectionName") != "http" for p in parents
            ):
                continue
            policy = _security_policy(plan, cluster, route)
            credential = ""
            if dig(policy, "basicAuth", "users", "name"):
                credential = _holders(
                    plan,
                    cluster,
                    meta(route).get("namespace"),
                    dig(policy, "basicAuth", "users", "name"),
                )
            served = Served(route, listener, _allowed(sources, policy), credential)
            found += _route_rows(served, cluster, sources, proxied_records, pf.route_paths(route))
    return found


@dataclass(frozen=True)
class Served:
    """One route behind one listener, with the route's own client-address policy."""

    route: Registration
    listener: Listener
    allowed: frozenset[str] | None
    credential: str = ""


def _route_rows(
    served: Served, cluster: str, sources: Sources, proxied: set[str], paths: list[str]
) -> list[Endpoint]:
    """Each host's origin row, and for a name published proxied the row of that name as
    the internet reaches it through Cloudflare."""
    listener = served.listener
    origin = _direct(listener, served.allowed)
    rows = []
    for host in pf.route_hosts(served.route):
        url = naming.https_url(host) + _paths(paths)
        endpoint = Endpoint(
            f"{url} (origin)",
            cluster,
            origin,
            credential=served.credential,
            note=_joined(listener.note, _client_address(listener, origin)),
            namespace=str(meta(served.route).get("namespace")),
        )
        rows.append(endpoint)
        if host in proxied:
            published = _published(sources, origin, served.allowed, listener)
            rows.append(
                replace(endpoint, name=f"{url} (through Cloudflare)", reached_by=published, note="")
            )
    return rows


def nginx_routes(
    plan: Plan, sources: Sources, cluster: str, proxied_records: set[str], zone_cert: bool
) -> list[Endpoint]:
    release = next(
        (r for r in plan.on(cluster, pf.RELEASE) if r.name == f"{cluster}-ingress-nginx"), None
    )
    if release is None:
        return []
    controller = dig(release.revealed_inputs, "values", "controller") or {}
    annotations = dig(controller, "service", "annotations") or {}
    rules = pf.load_balancer_rules(plan, release, "values", annotations)
    settings = controller.get("config") or {}
    found = _load_balancer_rows(
        cluster,
        "ingress-nginx",
        Listener(
            direct=frozenset(),
            ports={p: _admitted(sources, rules, p) for p in pf.WEB_PORTS},
            zone_only_tls=False,
            client_tls_unmet=False,
            peer_address=False,
            cloudflare_client_address=False,
        ),
    )
    for ingress in plan.on(cluster, pf.INGRESS):
        marks = meta(ingress).get("annotations") or {}
        allow = marks.get(nginx.ALLOWED_SOURCES)
        refusal = _unreadable_ca(plan, cluster, ingress, settings)
        listener = Listener(
            direct=frozenset() if refusal else _admitted(sources, rules, "443"),
            ports={p: _admitted(sources, rules, p) for p in pf.WEB_PORTS},
            zone_only_tls=bool(marks.get(nginx.CLIENT_CA)) and zone_cert,
            client_tls_unmet=bool(marks.get(nginx.CLIENT_CA)) and not zone_cert,
            peer_address=settings.get("use-proxy-protocol") == "true"
            and edge.proxy_protocol_enabled(annotations),
            cloudflare_client_address=settings.get("forwarded-for-header") == "CF-Connecting-IP",
            note=f"answers 403 to everyone: {refusal}" if refusal else "",
        )
        allowed = frozenset(sources.admitted_by(allow.split(","))) if allow else None
        found += _route_rows(
            Served(ingress, listener, allowed), cluster, sources, proxied_records, ["/"]
        )
    return found


def _unreadable_ca(
    plan: Plan, cluster: str, ingress: Registration, settings: Mapping[str, Any]
) -> str | None:
    """Why ingress-nginx cannot use the client CA an Ingress names (it then serves the
    host `return 403;`): in a namespace the controller may not read from, or no such
    Secret in the plan."""
    secret = (meta(ingress).get("annotations") or {}).get(nginx.CLIENT_CA)
    if secret is None:
        return None
    namespace = str(meta(ingress).get("namespace"))
    refusal = auth_tls_refusal(namespace, str(secret), settings)
    if refusal is not None:
        return refusal
    secret_namespace, name = str(secret).split("/")
    if plan.named(cluster, pf.SECRET, name, secret_namespace or namespace) is None:
        return f"{nginx.CLIENT_CA} names {secret!r}, which the plan does not create"
    return None
