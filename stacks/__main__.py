"""The platform, composed: stack config in, components wired, outputs out.

Everything environment-specific comes from `Pulumi.<stack>.yaml`; this file has no
per-environment branches.
"""

import pulumi

from infra.addons.argocd import ProjectScope
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.components.app_deployment import AppDeployment, AppDeploymentArgs, AppTarget
from infra.components.mgmt_cluster import MgmtCluster, MgmtClusterArgs
from infra.components.shared_database import SharedDatabase, SharedDatabaseArgs
from infra.components.workload_cluster import (
    ArgoCDTarget,
    WorkloadCluster,
    WorkloadClusterArgs,
)
from infra.dependencies import dependency_urls
from infra.placement import (
    application_selector,
    cluster_labels,
    clusters_using_database,
    database_apps,
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

mgmt = MgmtCluster(
    "mgmt",
    MgmtClusterArgs(
        environment=config.environment,
        domain=config.domain,
        cluster=config.mgmt_cluster,
        admin_cidrs=config.admin_cidrs,
        acme_email=config.acme_email,
        aws_region=config.aws_region,
        cloudflare_zone_id=config.cloudflare.zone_id,
        traffic_controller=config.traffic_controller,
        chart_versions=config.chart_versions,
        dns_token=dns_token,
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
    egress_cidrs=mgmt.egress_cidrs,
)

clusters = {
    cluster.name: WorkloadCluster(
        cluster.name,
        WorkloadClusterArgs(
            environment=config.environment,
            domain=config.domain,
            cluster=cluster,
            labels=cluster_labels(config, cluster),
            admin_cidrs=config.admin_cidrs,
            web_sources=EVERYWHERE,
            acme_email=config.acme_email,
            aws_region=config.aws_region,
            cloudflare_zone_id=config.cloudflare.zone_id,
            argocd=argocd,
            traffic_controller=config.traffic_controller,
            chart_versions=config.chart_versions,
            dns_token=dns_token,
        ),
    )
    for cluster in config.enabled_clusters
}

database = None
if config.database is not None:
    production = config.is_production
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
            protect=production if config.database.protect is None else config.database.protect,
            retain_on_delete=(
                production
                if config.database.retain_on_delete is None
                else config.database.retain_on_delete
            ),
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

pulumi.export("argocdUrl", mgmt.argocd_url)
pulumi.export("argocdAdminPassword", mgmt.admin_password)
pulumi.export("mgmtKubeconfig", mgmt.kubeconfig)
pulumi.export("clusters", {name: c.api_endpoint for name, c in clusters.items()})
pulumi.export("apps", {name: a.cluster_urls for name, a in apps.items()})
