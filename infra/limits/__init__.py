"""Limits on names and values that a cloud, an API server or a database enforces, each
beside the source that states it, so validation refuses at plan time what `pulumi up`
would be refused: Kubernetes label and selector syntax (``kubernetes``), AWS IAM and
Secrets Manager sizes (``aws``), PostgreSQL's reserved names (``postgresql``) and what
Civo offers a database (``civo``).

These modules know nothing of the config; ``infra.config`` and ``infra.validation`` call
them with the values to judge.
"""
