"""Who can reach what: a reachability model computed from a plan, never asserted.

``sources`` names who might knock (the internet, any Cloudflare customer, this zone's
Cloudflare, `adminCidrs`, the runner, each cluster's and each app's pods) with the
addresses each stands for; ``plan_facts`` reads what decides admission out of a plan
(firewalls, load balancers and their firewalls, gateways, listeners, client TLS
validation, routes and their policies, NetworkPolicies, admission policies, Cloudflare
proxying and origin authentication); ``reach`` combines them into one row per endpoint;
``render`` prints the matrix (`platform exposure`) and the README's table; ``widening``
compares two plans for `platform diff` and `platform review`.
"""

from platform_cli.exposure.matrix import Endpoint, Matrix
from platform_cli.exposure.reach import matrix_of
from platform_cli.exposure.sources import Sources

__all__ = ["Endpoint", "Matrix", "Sources", "matrix_of"]
