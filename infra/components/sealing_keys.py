"""The environment's sealing keys, generated once by the stack and kept in its state as
Pulumi secrets, so no cluster owns them (infra.addons.sealed_secrets installs them).

hashicorp/terraform-provider-tls (read at d72d90e1, the nearest readable commit to the
609226f53114 that pulumi-tls 5.6.2 bridges): a PrivateKey's Read and Update do nothing and
every input replaces it (internal/provider/resource_private_key.go L52-90, L265-277), and
its Delete only forgets it: a key removed from the program is gone for good, so keys are
protected in production. `private_key_pem` of an RSA key is PKCS#1 "RSA PRIVATE KEY"
(L206-211), which the controller parses (pkg/controller/keys.go readKey). The certificate
is the public half kubeseal fetches; it is valid for ten years like the controller's own
(cmd/controller/main.go `--key-ttl`), and renewing it only re-signs the same key.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_tls as tls

from infra.addons.sealed_secrets import SealingKey

# The controller's own keys: RSA 4096 (cmd/controller/main.go `--key-size`).
KEY_BITS = 4096
VALID_HOURS = 10 * 365 * 24


def sealing_keys(environment: str, names: Sequence[str], *, protect: bool) -> list[SealingKey]:
    keys = []
    for name in names:
        private = tls.PrivateKey(
            f"sealing-key-{name}",
            algorithm="RSA",
            rsa_bits=KEY_BITS,
            opts=pulumi.ResourceOptions(protect=protect),
        )
        certificate = tls.SelfSignedCert(
            f"sealing-key-{name}",
            private_key_pem=private.private_key_pem,
            validity_period_hours=VALID_HOURS,
            allowed_uses=["key_encipherment", "data_encipherment"],
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=f"sealed-secrets {environment} {name}",
            ),
            opts=pulumi.ResourceOptions(protect=protect),
        )
        keys.append(SealingKey(name, private.private_key_pem, certificate.cert_pem))
    return keys
