"""The platform, composed: stack config in, components wired, outputs out.

Everything environment-specific comes from `Pulumi.<stack>.yaml`; this file has no
per-environment branches.
"""

import pulumi

from infra.components.mgmt_cluster import MgmtCluster, MgmtClusterArgs
from infra.stackconfig import from_running_program

config = from_running_program()
cloudflare_token = (
    None
    if config.cloudflare.scoped_tokens
    else pulumi.Config("cloudflare").require_secret("apiToken")
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
        dns_token=cloudflare_token,
        kubeconfig=(
            pulumi.Output.secret(config.mgmt_kubeconfig.get_secret_value())
            if config.mgmt_kubeconfig
            else None
        ),
    ),
)

pulumi.export("argocdUrl", mgmt.argocd_url)
pulumi.export("argocdAdminPassword", mgmt.admin_password)
pulumi.export("mgmtKubeconfig", mgmt.kubeconfig)
