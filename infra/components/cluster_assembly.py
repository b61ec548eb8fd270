"""A cluster, assembled: the backend's cluster, its own credentials, and the add-ons every
cluster gets, in the order they need each other.

traffic controller (brings the Gateway API CRDs) -> cert-manager -> issuers -> the
wildcard certificate; external-dns after the route CRDs; External Secrets with the
cluster's own AWS key; sealed-secrets; the weekly kube-bench CronJob. MgmtCluster and WorkloadCluster both build on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi

from infra.access import ClusterAccess
from infra.addons.base import AddonContext
from infra.addons.cert_manager import CertManager
from infra.addons.envoy_gateway import EnvoyGateway
from infra.addons.external_dns import ExternalDns
from infra.addons.external_secrets import ExternalSecrets
from infra.addons.ingress_nginx import IngressNginx
from infra.addons.kube_bench import KubeBench
from infra.addons.reloader import Reloader
from infra.addons.sealed_secrets import SealedSecrets, SealingKey
from infra.addons.traffic import ClientPolicy, TrafficController
from infra.clusters import ClusterHandle, ClusterRequest, create_cluster
from infra.components.contracts import ClusterSettings
from infra.config import TrafficControllerName
from infra.credentials.cluster_identity import (
    AwsAccessKey,
    aws_secret_reader,
    cloudflare_dns_token,
)


@dataclass(frozen=True)
class BaselineArgs:
    traffic_controller: TrafficControllerName
    dns_token: pulumi.Input[str]
    # The Cloudflare zone external-dns writes to, by id (see infra.addons.external_dns).
    dns_zone_id: str
    acme_email: str
    # Names the wildcard certificate covers, and the names external-dns may own.
    certificate_names: Sequence[str]
    dns_domain_filters: Sequence[str]
    aws_region: str
    aws_key: AwsAccessKey
    # Annotations for the traffic controller's LoadBalancer Service (infra.edge).
    load_balancer_annotations: pulumi.Input[Mapping[str, str]]
    # Namespaces the secret store serves.
    secret_namespaces: Sequence[str] = ()
    sealing_keys: Sequence[SealingKey] = ()
    # What the front door asks of clients (this zone's client certificate).
    client_policy: ClientPolicy | None = None


@dataclass(frozen=True)
class Baseline:
    traffic: TrafficController
    cert_manager: CertManager
    secrets: ExternalSecrets
    ready: Sequence[pulumi.Resource]


def install_baseline(ctx: AddonContext, args: BaselineArgs) -> Baseline:
    annotations = args.load_balancer_annotations
    traffic: TrafficController = (
        EnvoyGateway(ctx, annotations, args.client_policy)
        if args.traffic_controller == "envoy-gateway"
        else IngressNginx(ctx, annotations, args.client_policy)
    )
    cert_manager = CertManager(
        ctx,
        args.dns_token,
        args.acme_email,
        depends_on=[traffic.installed],
        # Only Envoy Gateway's chart brings the Gateway API CRDs cert-manager then needs.
        gateway_api=traffic.kind == "envoy-gateway",
    )
    certificate = cert_manager.certificate(
        ctx,
        traffic.certificate_secret,
        traffic.certificate_namespace,
        list(args.certificate_names),
        depends_on=[traffic.installed],
    )
    sources = ["gateway-httproute"] if traffic.kind == "envoy-gateway" else ["ingress"]
    dns = ExternalDns(
        ctx,
        cloudflare_token=args.dns_token,
        zone_id=args.dns_zone_id,
        domain_filters=args.dns_domain_filters,
        sources=sources,
        depends_on=[traffic.installed],
    )
    secrets = ExternalSecrets(
        ctx,
        args.aws_region,
        args.aws_key.access_key_id,
        args.aws_key.secret_access_key,
        args.secret_namespaces,
    )
    sealed = SealedSecrets(ctx, args.sealing_keys)
    # Where database credentials arrive, workloads restart when they change.
    if args.secret_namespaces:
        Reloader(ctx)
    return Baseline(
        traffic=traffic,
        cert_manager=cert_manager,
        secrets=secrets,
        ready=[certificate, dns.release, secrets.store, sealed.release],
    )


@dataclass(frozen=True)
class AssembledCluster:
    handle: ClusterHandle
    context: AddonContext
    baseline: Baseline


def assemble_cluster(
    request: ClusterRequest,
    settings: ClusterSettings,
    *,
    certificate_names: Sequence[str],
    dns_domain_filters: Sequence[str],
    key_rotation: str,
    parent: pulumi.Resource,
    access: ClusterAccess | None = None,
    client_policy: ClientPolicy | None = None,
) -> AssembledCluster:
    """A cluster from its backend, its own credentials, and the baseline add-ons on it."""
    name = request.name
    access = access or ClusterAccess()
    handle = create_cluster(request, parent=parent)
    ctx = AddonContext(
        cluster=name,
        environment=settings.environment,
        domain=settings.domain,
        chart_versions=settings.chart_versions or {},
        provider=handle.k8s_provider,
        parent=parent,
    )
    baseline = install_baseline(
        ctx,
        BaselineArgs(
            traffic_controller=settings.traffic_controller,
            dns_token=settings.dns_token
            or cloudflare_dns_token(
                name, settings.environment, settings.cloudflare_zone_id, parent
            ),
            dns_zone_id=settings.cloudflare_zone_id,
            acme_email=settings.acme_email,
            certificate_names=certificate_names,
            dns_domain_filters=dns_domain_filters,
            aws_region=settings.aws_region,
            aws_key=aws_secret_reader(
                name,
                settings.environment,
                settings.aws_region,
                key_rotation,
                parent=parent,
            ),
            secret_namespaces=access.secret_namespaces,
            load_balancer_annotations=handle.load_balancer_annotations,
            sealing_keys=settings.sealing_keys,
            client_policy=replace(
                client_policy or ClientPolicy(), proxy_protocol=handle.sends_proxy_protocol
            ),
        ),
    )
    KubeBench(ctx, handle.provider_name)
    return AssembledCluster(handle, ctx, baseline)
