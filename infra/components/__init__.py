"""The platform's ComponentResources, type tokens `platform:index:<Name>`."""
