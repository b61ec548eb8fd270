"""Credentials the platform creates for its clusters and apps: per-cluster AWS and
Cloudflare identities, and JSON secrets in AWS Secrets Manager."""
