"""Multi-region, multi-cloud GitOps Kubernetes platform, as a Pulumi program."""
