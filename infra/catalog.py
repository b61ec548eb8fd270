"""What each cloud offers: region, size and engine codes the config is checked against.

Each list names its source. A code missing here is rejected at `platform plan`
time rather than at `pulumi up`; when a cloud adds a region, add it here with the
source that shows it.
"""

from dataclasses import dataclass

# Civo regions. Source: the `civo region ls` listing in the civo/cli README (LON1, NYC1,
# FRA1, PHX1). MUM1 and SVG1 appear only in user config and an old civogo test fixture,
# so they are left out until a Civo source lists them.
CIVO_REGIONS: dict[str, str] = {
    "LON1": "London, United Kingdom",
    "FRA1": "Frankfurt, Germany",
    "NYC1": "New York, United States",
    "PHX1": "Phoenix, United States",
}

# Civo Kubernetes node sizes. Source: `civo size ls` in the civo/cli README; the
# kubernetes size type in terraform-provider-civo examples/data-sources/civo_size.
CIVO_KUBE_SIZES: dict[str, str] = {
    "g4s.kube.xsmall": "standard, 1 vCPU, 1 GiB",
    "g4s.kube.small": "standard, 1 vCPU, 2 GiB",
    "g4s.kube.medium": "standard, 2 vCPU, 4 GiB",
    "g4s.kube.large": "standard, 4 vCPU, 8 GiB",
    **{
        f"g4{kind}.kube.{size}": f"{label}, {size}"
        for kind, label in (("p", "performance"), ("c", "CPU-optimised"), ("m", "RAM-optimised"))
        for size in ("small", "medium", "large", "xlarge")
    },
}

# Civo managed database sizes. Source: civo/cli README (`civo database size`), civogo
# database_test.go.
CIVO_DB_SIZES: dict[str, str] = {
    "g3.db.xsmall": "1 vCPU, 2 GiB, 20 GB",
    "g3.db.small": "2 vCPU, 4 GiB, 40 GB",
    "g3.db.medium": "4 vCPU, 8 GiB, 80 GB",
    "g3.db.large": "6 vCPU, 16 GiB, 160 GB",
    "g3.db.xlarge": "8 vCPU, 32 GiB, 320 GB",
    "g3.db.2xlarge": "10 vCPU, 64 GiB, 640 GB",
}

# Database software Civo accepts, by our engine name: the API name and the versions.
# Source: civo/cli cmd/database (2025-11-26): PostgreSQL is the only engine it creates,
# sent as "PostgreSQL"; 14 is deprecated in favour of 17; MySQL is deprecated.
# `platform preflight` also checks the version against Civo's offer before creation.
CIVO_DB_SOFTWARE: dict[str, str] = {"postgresql": "PostgreSQL"}
CIVO_DB_VERSIONS: dict[str, tuple[str, ...]] = {"postgresql": ("17",)}
CIVO_DB_DEPRECATED: dict[str, str] = {
    "mysql": "Civo has deprecated MySQL and creates no new MySQL databases; use postgresql",
}

# Vultr regions. Source: region ids used in Vultr's own repositories (vultr/govultr,
# vultr/vultr-cli, vultr/terraform-provider-vultr tests and docs). Vultr has more
# regions; add one here with the source that shows its id.
VULTR_REGIONS: dict[str, str] = {
    "ams": "Amsterdam",
    "atl": "Atlanta",
    "dfw": "Dallas",
    "ewr": "New Jersey",
    "lax": "Los Angeles",
    "mel": "Melbourne",
    "mia": "Miami",
    "ord": "Chicago",
    "sea": "Seattle",
    "sjc": "Silicon Valley",
    "yto": "Toronto",
}


# Where each region is, for Cloudflare steering: a pool's coordinates (proximity
# steering) are the region's city (the names above, latitude and longitude to two
# places), and its Cloudflare region (geo steering, health-monitor regions) is the one
# Cloudflare's Region API maps that country or state to. The API reference's example for
# WNAM lists Arizona, California, Colorado, Hawaii, Minnesota, Missouri, Nevada, Oregon,
# Texas, Utah and Washington, and Alberta and British Columbia; other US states and
# Canadian provinces are ENAM; the European cities here are Western Europe (WEU)
# (https://developers.cloudflare.com/api/resources/load_balancers/subresources/regions/methods/get/;
# region codes: https://developers.cloudflare.com/load-balancing/reference/region-mapping-api/).
@dataclass(frozen=True)
class Site:
    city: str
    latitude: float
    longitude: float
    cloudflare_region: str


SITES: dict[str, Site] = {
    "LON1": Site("London", 51.51, -0.13, "WEU"),
    "FRA1": Site("Frankfurt", 50.11, 8.68, "WEU"),
    "NYC1": Site("New York", 40.71, -74.01, "ENAM"),
    "PHX1": Site("Phoenix", 33.45, -112.07, "WNAM"),
    "ams": Site("Amsterdam", 52.37, 4.90, "WEU"),
    "atl": Site("Atlanta", 33.75, -84.39, "ENAM"),
    "dfw": Site("Dallas", 32.78, -96.80, "WNAM"),
    "ewr": Site("Newark", 40.74, -74.17, "ENAM"),
    "lax": Site("Los Angeles", 34.05, -118.24, "WNAM"),
    "mel": Site("Melbourne", -37.81, 144.96, "OC"),
    "mia": Site("Miami", 25.76, -80.19, "ENAM"),
    "ord": Site("Chicago", 41.88, -87.63, "ENAM"),
    "sea": Site("Seattle", 47.61, -122.33, "WNAM"),
    "sjc": Site("San Jose", 37.34, -121.89, "WNAM"),
    "yto": Site("Toronto", 43.65, -79.38, "ENAM"),
}

# Vultr Kubernetes Engine node plans (at least 1 vCPU and 2 GB). Source: VKE examples in
# vultr/terraform-provider-vultr and vultr/vultr-cli.
VULTR_KUBE_PLANS: dict[str, str] = {
    "vc2-1c-2gb": "1 vCPU, 2 GiB",
    "vc2-2c-4gb": "2 vCPU, 4 GiB",
    "vc2-4c-8gb": "4 vCPU, 8 GiB",
    "vhf-8c-32gb": "8 vCPU, 32 GiB, high frequency",
}

# AWS commercial regions with Secrets Manager. Source: AWS General Reference,
# "AWS Secrets Manager endpoints and quotas".
AWS_REGIONS: frozenset[str] = frozenset(
    (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "af-south-1",
        "ap-east-1",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-south-1",
        "eu-south-2",
        "eu-north-1",
        "il-central-1",
        "me-south-1",
        "me-central-1",
        "sa-east-1",
    )
)
