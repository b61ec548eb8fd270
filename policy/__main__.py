"""CrossGuard policy pack: `pulumi preview --policy-pack policy`.

The checks live in `infra.rules`, shared with the tests that run them offline.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from infra.rules import GUARDRAILS, Guardrail

LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def as_policy(rail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rail.check(args.resource_type, args.props, args.opts.protect):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rail.name,
        description=rail.description,
        enforcement_level=LEVELS[rail.enforcement],
        validate=validate,
    )


PolicyPack(name="platform-guardrails", policies=[as_policy(rail) for rail in GUARDRAILS])
