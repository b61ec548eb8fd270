"""This zone's own client certificate for Authenticated Origin Pulls.

With zone-level AOP on and a certificate the stack uploaded, Cloudflare presents that
certificate on every connection it makes to an origin of this zone; the origins' Envoy
(or ingress-nginx) requires a client certificate signed by the CA made here. Cloudflare's
shared AOP certificate would prove only "some Cloudflare zone": any customer's Worker has
it (https://developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull/).

The origins trust the CA, not the leaf, so replacing the leaf (`pulumi up --replace` on
`origin-pulls-certificate`) needs no change on the clusters: Pulumi uploads the new one
before deleting the old, Cloudflare's documented order for a zone certificate without
downtime.

terraform-provider-cloudflare v5.22.0: `authenticated_origin_pulls_certificate` replaces
on `zone_id` or `certificate` and has no update (resource.go `Update` is empty), and the
upload starts `pending_deployment` for a few minutes; `authenticated_origin_pulls_settings`
updates `enabled` in place, and its Delete is a no-op, so removing it leaves AOP on.
Both need the API token's "SSL and Certificates Write" (schema.go `Scopes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_tls as tls

# Ten years for the CA the origins trust; five for the leaf Cloudflare presents.
CA_HOURS = 10 * 365 * 24
LEAF_HOURS = 5 * 365 * 24


@dataclass(frozen=True)
class OriginPulls:
    ca_certificate: pulumi.Output[str]
    # AOP is on for the zone, with this stack's certificate.
    ready: pulumi.Resource


def zone_origin_pulls(environment: str, zone_id: str) -> OriginPulls:
    ca_key = tls.PrivateKey("origin-pulls-ca-key", algorithm="RSA", rsa_bits=2048)
    ca = tls.SelfSignedCert(
        "origin-pulls-ca",
        private_key_pem=ca_key.private_key_pem,
        is_ca_certificate=True,
        validity_period_hours=CA_HOURS,
        allowed_uses=["cert_signing", "crl_signing"],
        subject=tls.SelfSignedCertSubjectArgs(
            common_name=f"platform {environment} origin pulls CA"
        ),
    )
    key = tls.PrivateKey("origin-pulls-key", algorithm="RSA", rsa_bits=2048)
    request = tls.CertRequest(
        "origin-pulls-request",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(
            common_name=f"platform {environment} Cloudflare origin pulls"
        ),
    )
    leaf = tls.LocallySignedCert(
        "origin-pulls-certificate",
        cert_request_pem=request.cert_request_pem,
        ca_private_key_pem=ca_key.private_key_pem,
        ca_cert_pem=ca.cert_pem,
        validity_period_hours=LEAF_HOURS,
        allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
    )
    upload = cloudflare.AuthenticatedOriginPullsCertificate(
        "origin-pulls-upload",
        zone_id=zone_id,
        certificate=leaf.cert_pem,
        private_key=key.private_key_pem,
    )
    settings = cloudflare.AuthenticatedOriginPullsSettings(
        "origin-pulls",
        zone_id=zone_id,
        enabled=True,
        opts=pulumi.ResourceOptions(depends_on=[upload]),
    )
    return OriginPulls(ca_certificate=ca.cert_pem, ready=settings)
