"""The platform, composed: stack config in, components wired, outputs out.

Everything environment-specific comes from `Pulumi.<stack>.yaml`; this file has no
per-environment branches.
"""

import pulumi
import pulumi_cloudflare as cloudflare

from infra.addons.argocd import ProjectScope
from infra.addons.baseline import ClusterSettings
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.components.app_deployment import AppDeployment, AppDeploymentArgs, AppTarget
from infra.components.global_load_balancer import GlobalLoadBalancer, GlobalLoadBalancerArgs
from infra.components.mgmt_cluster import MgmtCluster, MgmtClusterArgs
from infra.components.shared_database import SharedDatabase, SharedDatabaseArgs
from infra.components.workload_cluster import (
    ArgoCDTarget,
    WorkloadCluster,
    WorkloadClusterArgs,
)
from infra.dependencies import dependency_urls, preference_order
from infra.deployments import deployment_settings
from infra.placement import (
    application_selector,
    cluster_labels,
    clusters_using_database,
    database_apps,
    fronted_clusters,
    placement,
)
from infra.stackconfig import from_running_program

config = from_running_program()
# With scoped tokens (the default) each cluster mints its own zone-scoped DNS token.
dns_token = (
    None
    if config.cloudflare.scoped_tokens
    else pulumi.Config("cloudflare").require_secret("apiToken")
)

where = placement(config)
project = (
    ProjectScope(
        name=config.environment,
        source_repos=[app.source.repo_url for app in config.apps],
        destinations=[(c, app.target_namespace) for app in config.apps for c in where[app.name]],
    )
    if config.apps
    else None
)

settings = ClusterSettings(
    environment=config.environment,
    domain=config.domain,
    acme_email=config.acme_email,
    aws_region=config.aws_region,
    cloudflare_zone_id=config.cloudflare.zone_id,
    traffic_controller=config.traffic_controller,
    chart_versions=config.chart_versions,
    dns_token=dns_token,
)
mgmt = MgmtCluster(
    "mgmt",
    MgmtClusterArgs(
        settings=settings,
        cluster=config.mgmt_cluster,
        admin_cidrs=config.admin_cidrs,
        kubeconfig=(
            pulumi.Output.secret(config.mgmt_kubeconfig.get_secret_value())
            if config.mgmt_kubeconfig
            else None
        ),
        project=project,
    ),
)
argocd = ArgoCDTarget(
    provider=mgmt.k8s_provider,
    namespace=mgmt.argocd_namespace,
    ready=mgmt.argocd_release,
    namespace_ready=mgmt.argocd_namespace_ready,
    egress_cidrs=mgmt.egress_cidrs,
)

# Origin lockdown: clusters behind a proxied load balancer admit 80/443 only from
# Cloudflare, the admin CIDRs and the egress the config states for its clusters.
fronted = fronted_clusters(config)
cloudflare_ranges = cloudflare.get_ip_ranges_output().ipv4_cidrs if fronted else None
locked_web_sources = FirewallSource.of(
    [*config.admin_cidrs, *(c for cluster in config.enabled_clusters for c in cluster.egress_cidrs)]
)
clusters: dict[str, WorkloadCluster] = {}
for cluster in config.enabled_clusters:
    clusters[cluster.name] = WorkloadCluster(
        cluster.name,
        WorkloadClusterArgs(
            settings=settings,
            cluster=cluster,
            labels=cluster_labels(config, cluster),
            admin_cidrs=config.admin_cidrs,
            web_sources=locked_web_sources if cluster.name in fronted else EVERYWHERE,
            cloudflare_ranges=cloudflare_ranges if cluster.name in fronted else None,
            argocd=argocd,
        ),
    )

database = None
if config.database is not None:
    protect, retain_on_delete = config.database_protection()
    database = SharedDatabase(
        config.database.name,
        SharedDatabaseArgs(
            environment=config.environment,
            database=config.database,
            apps=database_apps(config),
            clients=[
                *FirewallSource.of([*config.admin_cidrs, *config.database.allowed_cidrs]),
                *(
                    FirewallSource(f"{name}-egress-{i}", cidr)
                    for name in clusters_using_database(config)
                    for i, cidr in enumerate(clusters[name].egress_cidrs)
                ),
            ],
            protect=protect,
            retain_on_delete=retain_on_delete,
        ),
    )
    pulumi.export("databaseHost", database.host)

apps = {
    app.name: AppDeployment(
        app.name,
        AppDeploymentArgs(
            app=app,
            domain=config.domain,
            project=config.environment,
            argocd=argocd,
            selector=application_selector(config, app).model_dump(
                by_alias=True, exclude_defaults=True
            ),
            targets={
                name: AppTarget(
                    context=clusters[name].addon_context,
                    traffic=clusters[name].traffic,
                    secret_store=clusters[name].secret_store,
                )
                for name in where[app.name]
            },
            dependency_urls=dependency_urls(config, app),
            database_secret_path=(
                database.app_secret_paths.get(app.name) if database and app.database else None
            ),
        ),
    )
    for app in config.apps
}

balancers = {
    app.name: GlobalLoadBalancer(
        f"{app.name}-global",
        GlobalLoadBalancerArgs(
            environment=config.environment,
            app=app.name,
            domain=config.domain,
            account_id=config.cloudflare.account_id,
            zone_id=config.cloudflare.zone_id,
            health_check_path=app.health_check_path,
            monitor=config.monitor_for(app),
            steering_policy=config.steering_for(app),
            session_affinity=config.affinity_for(app),
            clusters=preference_order(config, where[app.name]),
            drained=[c for c in config.drain if c in where[app.name]],
        ),
        opts=pulumi.ResourceOptions(depends_on=[apps[app.name]]),
    )
    for app in config.apps
    if app.public
}

if config.deployments is not None:
    deployment_settings(config.deployments)

pulumi.export("argocdUrl", mgmt.argocd_url)
pulumi.export("argocdAdminPassword", mgmt.admin_password)
pulumi.export("mgmtKubeconfig", mgmt.kubeconfig)
pulumi.export("clusters", {name: c.api_endpoint for name, c in clusters.items()})
pulumi.export("apps", {name: a.cluster_urls for name, a in apps.items()})
pulumi.export("failureDetection", {lb.hostname: lb.detection for lb in balancers.values()})
