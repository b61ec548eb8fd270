"""Helm-installed add-ons, one module each."""
