"""Database backups: every app database dumped on a schedule by a CronJob on the management
cluster, with the app's own login, into an S3 bucket in AWS (another cloud than the
database's), kept for the configured retention, and an alert when a dump fails or stops.

storage.py  the bucket, its lifecycle and the write-only identity the jobs upload with
jobs.py     the namespace, its network policy, the credentials and one CronJob per app
scripts.py  what the jobs run
alerts.py   the PrometheusRule group that pages on a failed or missing backup
component.py  DatabaseBackups, the ComponentResource that puts them together
"""
