"""Where backups live: one S3 bucket per environment, in AWS, away from the database.

Why S3 and not a Civo object store in another region, or Civo's own database backups:

- A Civo API key has no scopes (README, credentials): whoever holds `civo:token` can
  delete the database and a Civo object store alike, and a Civo object store credential
  reads, writes and deletes everything in its store. In AWS the jobs' key may only put
  objects below each app's prefix: it cannot list, read, overwrite what it cannot name,
  or delete, so a leaked job key cannot destroy a backup.
- Retention is the bucket's own lifecycle rule, run by S3 whether or not any job runs.
- Civo's database backups (civogo v0.3.89 database_backup.go, `CreateDatabaseBackup`
  with a schedule) have no resource in pulumi-civo 2.4.8, snapshot the whole instance in
  the same account, and restore only the whole instance through Civo's API: one app's
  database cannot be brought back to a point without rolling back every other app.

The bucket is protected in production like the database, and Pulumi never empties it
(`force_destroy` stays false: deleting a bucket that holds objects fails, and leaves it
with its public-access block and lifecycle rule, which go only with it). It follows the
database's `protect` and `retainOnDelete`: a bucket that outlived a deleted database
would hold the same name a re-created stack asks for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra import naming
from infra.outputs import secret

# PutObject covers a multipart upload's create, parts and completion; the CLI aborts an
# upload that fails (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html,
# "Multipart upload API and permissions").
WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
# Parts of an upload that never completed are removed after a day.
ABANDONED_UPLOAD_DAYS = 1


def writer_policy(bucket: str, apps: Sequence[str]) -> str:
    """Put objects below each app's prefix, and nothing else: no list, read or delete."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PutAppDumps",
                    "Effect": "Allow",
                    "Action": WRITE_ACTIONS,
                    "Resource": [
                        f"arn:aws:s3:::{bucket}/{naming.backup_prefix(app)}*"
                        for app in sorted(apps)
                    ],
                }
            ],
        },
        indent=2,
    )


@dataclass(frozen=True)
class BackupStorage:
    bucket: pulumi.Output[str]
    region: str
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]
    # What the jobs wait for: the bucket, its rules and the writer's permissions.
    ready: Sequence[pulumi.Resource]


def backup_storage(
    name: str,
    *,
    environment: str,
    region: str,
    apps: Sequence[str],
    retention_days: int,
    protect: bool,
    retain_on_delete: bool,
    parent: pulumi.Resource,
) -> BackupStorage:
    child = pulumi.ResourceOptions(parent=parent)
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    bucket_name = account.account_id.apply(lambda a: naming.backup_bucket(environment, a))
    bucket = aws.s3.Bucket(
        f"{name}-bucket",
        bucket=bucket_name,
        force_destroy=False,
        tags={"environment": environment, "managed-by": "pulumi"},
        opts=pulumi.ResourceOptions(
            parent=parent, protect=protect, retain_on_delete=retain_on_delete
        ),
    )
    # Kept with the bucket, as the database keeps its network and firewall: a retained
    # bucket whose public-access block went would be open to a bucket policy, and one
    # whose lifecycle rule went would keep every dump for ever. For the same reason they
    # go only with the bucket (AWS deletes a bucket's settings with it): deleted first as
    # its dependants, they would be gone when the delete of a bucket holding dumps fails.
    after_bucket = pulumi.ResourceOptions(
        parent=parent,
        depends_on=[bucket],
        retain_on_delete=retain_on_delete,
        deleted_with=bucket,
    )
    private = aws.s3.BucketPublicAccessBlock(
        f"{name}-bucket-private",
        bucket=bucket_name,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=after_bucket,
    )
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-bucket-retention",
        bucket=bucket_name,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-dumps",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                    days=retention_days
                ),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABANDONED_UPLOAD_DAYS
                    )
                ),
            )
        ],
        opts=after_bucket,
    )
    user = aws.iam.User(
        f"{name}-writer",
        name=naming.backup_writer_user(environment),
        path="/platform/",
        tags={"environment": environment, "managed-by": "pulumi"},
        opts=child,
    )
    policy = aws.iam.UserPolicy(
        f"{name}-writer",
        user=user.name,
        policy=bucket_name.apply(lambda b: writer_policy(b, apps)),
        opts=child,
    )
    key = aws.iam.AccessKey(f"{name}-writer", user=user.name, opts=child)
    return BackupStorage(
        bucket=bucket_name,
        region=region,
        access_key_id=key.id,
        secret_access_key=secret(key.secret),
        ready=[bucket, private, lifecycle, policy],
    )
