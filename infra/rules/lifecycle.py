"""Rules for what happens after the first `up`: removals, moves and destroys. Each keeps
an order or a lifetime the cloud or a controller depends on, and cites where."""

from __future__ import annotations

from infra.rules.plan_rules import Findings, PlanRule, StackPlan, dig

APPLICATION_SET = "kubernetes:argoproj.io/v1alpha1:ApplicationSet"
APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject"


def _retained_keeps_what_it_sits_in(plan: StackPlan) -> Findings:
    for resource in plan.resources:
        if not resource.retain_on_delete:
            continue
        for key, urns in sorted(resource.property_dependencies.items()):
            if not key.lower().endswith("id"):
                continue  # a value it copies, not something it sits in
            for urn in urns:
                holder = plan.by_urn.get(urn)
                if holder is not None and not holder.retain_on_delete:
                    yield (
                        resource.name,
                        f"retained on delete, but {key} refers to {holder.name}, which is not: "
                        f"removing both deletes {holder.name} under what stays (Civo refuses "
                        "to delete a network a database still uses)",
                    )


def _project_outlives_application_sets(plan: StackPlan) -> Findings:
    projects = {
        (r.provider, dig(r.revealed_inputs, "metadata", "name")): r
        for r in plan.of_type(APP_PROJECT)
    }
    for app_set in plan.of_type(APPLICATION_SET):
        name = dig(app_set.revealed_inputs, "spec", "template", "spec", "project")
        project = projects.get((app_set.provider, name))
        if project is not None and project.urn not in plan.upstream(app_set):
            yield (
                app_set.name,
                f"does not wait for its AppProject {project.name}: both are deleted at once, "
                "and Argo CD cannot finalize an Application whose project is gone, so the "
                "delete hangs; add dependsOn",
            )


PLAN_RULES = [
    PlanRule(
        "retained-keeps-what-it-sits-in",
        "a resource retained on delete keeps what it refers to by id (network, firewall)",
        "civo/civogo v0.3.89 errors.go L584-586 database_network_delete_with_instance; "
        "https://www.pulumi.com/docs/iac/concepts/resources/options/retainondelete/",
        _retained_keeps_what_it_sits_in,
    ),
    PlanRule(
        "project-outlives-applicationsets",
        "every ApplicationSet waits for its AppProject, so the project is deleted last",
        "argoproj/argo-cd v3.4.4 controller/appcontroller.go finalizeApplicationDeletion "
        "L1210, applicationset/utils/utils.go L294-302",
        _project_outlives_application_sets,
    ),
]
