"""This zone's own client certificate for Authenticated Origin Pulls.

With zone-level AOP on and a certificate the stack uploaded, Cloudflare presents that
certificate on every connection it makes to an origin of this zone; the origins' Envoy
(or ingress-nginx) requires a client certificate signed by the CA made here. Cloudflare's
shared AOP certificate would prove only "some Cloudflare zone": any customer's Worker has
it (https://developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull/).

An upload is not presented at once: it is `pending_deployment` for a few minutes, and
terraform-provider-cloudflare v5.22.0 `authenticated_origin_pulls_certificate` Create
returns right after its POST (resource.go `Create`, no wait). So the zone setting, and
through it everything on the origins that requires the certificate, waits here until
the data source (a GET of the certificate, data_source.go `Read`, on every run) reports
it `active`; past ``WAIT`` `up` stops, nothing on the origins changed, and the next `up`
waits again.

The origins trust the CA, not the leaf, so replacing the leaf (`pulumi up --replace` on
`origin-pulls-certificate`) needs no change on the clusters. Cloudflare's order for a
zone certificate without downtime is: upload the new one, wait until it is active, then
delete the old (https://developers.cloudflare.com/ssl/origin-configuration/
authenticated-origin-pull/set-up/manage-certificates/). Pulumi creates the replacement
first and deletes the old one only after the program has run to its end (pulumi/pulumi
pkg/resource/deploy/deployment_executor.go: deletes run once the program is done, and
never after a program error), and the program ends only once the setting registered,
that is once the new certificate is active: so the wait here is what keeps Cloudflare's
order. Replacing the CA is not covered: the origins would refuse the old leaf at once.

terraform-provider-cloudflare v5.22.0: `authenticated_origin_pulls_certificate` replaces
on `zone_id` or `certificate` and has no update (resource.go `Update` is empty);
`authenticated_origin_pulls_settings` updates `enabled` in place, and its Delete is a
no-op, so removing it leaves AOP on. Both need the API token's "SSL and Certificates
Write" (schema.go `Scopes`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_tls as tls

# Ten years for the CA the origins trust; five for the leaf Cloudflare presents.
CA_HOURS = 10 * 365 * 24
LEAF_HOURS = 5 * 365 * 24
# Cloudflare deploys an upload in a few minutes; how long `up` waits, and how often it asks.
WAIT_SECONDS = 20 * 60
POLL_SECONDS = 15
ACTIVE = "active"
# Statuses that never turn `active` (terraform-provider-cloudflare v5.22.0
# authenticated_origin_pulls_certificate/schema.go `status`).
NEVER_ACTIVE = frozenset(
    {"deployment_timed_out", "pending_deletion", "deleted", "deletion_timed_out"}
)


class CertificateNotActiveError(RuntimeError):
    pass


def until_active(zone_id: str) -> Callable[[str], Awaitable[str]]:
    """Waits until Cloudflare reports the uploaded certificate ``active`` and returns its
    status; fails the run, before anything requires the certificate, when it does not get
    there. A preview reads the status once and does not wait: it warns of a pending upload and fails on a dead one."""

    async def wait(certificate_id: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            status = await _status(zone_id, certificate_id)
            if status == ACTIVE:
                return status
            if status in NEVER_ACTIVE or time.monotonic() >= deadline:
                raise CertificateNotActiveError(_not_active(certificate_id, status))
            if pulumi.runtime.is_dry_run():
                # A preview does not wait, but says that `up` will.
                pulumi.log.warn(
                    f"Cloudflare reports the zone's origin-pull certificate {certificate_id} "
                    f"{status!r}: `pulumi up` waits up to {WAIT_SECONDS // 60} minutes for "
                    "it to be active before the zone setting and the origins require it"
                )
                return status
            await asyncio.sleep(POLL_SECONDS)

    return wait


async def _status(zone_id: str, certificate_id: str) -> str:
    try:
        found = await cloudflare.get_authenticated_origin_pulls_certificate_output(
            certificate_id=certificate_id, zone_id=zone_id
        ).future()
    except Exception as failed:
        # A 404 here is an upload deleted outside Pulumi (the dashboard, the API): the
        # resource's own read drops it from the state on a refresh (terraform-provider-
        # cloudflare v5.22.0 resource.go Read, 404 -> RemoveResource), and `up` uploads anew.
        raise CertificateNotActiveError(
            f"reading the zone's origin-pull certificate {certificate_id} failed ({failed}); "
            "if Cloudflare no longer has it (deleted outside Pulumi), run `pulumi refresh "
            "--target <urn of origin-pulls-upload>` so the state forgets it, then `pulumi up` "
            "uploads a new one and waits for it"
        ) from failed
    return found.status if found is not None else ""


def _not_active(certificate_id: str, status: str) -> str:
    if status in NEVER_ACTIVE:
        return (
            f"Cloudflare reports the zone's origin-pull certificate {certificate_id} "
            f"{status!r}: it will never be presented; upload another with `pulumi up "
            "--replace` on origin-pulls-certificate (a new leaf, so a new upload). The zone "
            "setting and the origins were left as they were."
        )
    return (
        f"Cloudflare still reports the zone's origin-pull certificate {certificate_id} "
        f"{status!r} after {WAIT_SECONDS // 60} minutes: the zone setting and the origins "
        "were left as they were; run `pulumi up` again, it waits for `active` once more"
    )


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
    active: pulumi.Output[str] = upload.id.apply(until_active(zone_id))
    settings = cloudflare.AuthenticatedOriginPullsSettings(
        "origin-pulls",
        zone_id=zone_id,
        # Registered, and so enabled, only once the upload is active; everything on the
        # origins that requires the certificate waits for this resource.
        enabled=active.apply(lambda _: True),
        opts=pulumi.ResourceOptions(depends_on=[upload]),
    )
    return OriginPulls(ca_certificate=ca.cert_pem, ready=settings)
