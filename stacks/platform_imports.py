"""The platform's shared resources, as the other stacks of a stage see them: by named export."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from roadway.config import StageName
from roadway.naming import Exported, Names


@dataclass(frozen=True)
class PlatformImports:
    """Imported by the names PlatformStack exports (not CDK's hashed ones), so finding ids stay readable."""

    artifact_bucket: s3.IBucket
    data_bucket: s3.IBucket
    artifact_key: kms.IKey
    data_key: kms.IKey
    ops_key: kms.IKey
    alarm_topic: sns.ITopic

    @classmethod
    def of(cls, scope: Construct, names: Names, stage: StageName) -> PlatformImports:
        def imported(what: str) -> str:
            return Fn.import_value(names.export(stage, what))

        return cls(
            artifact_bucket=s3.Bucket.from_bucket_arn(scope, "ArtifactBucket", imported(Exported.ARTIFACT_BUCKET)),
            data_bucket=s3.Bucket.from_bucket_arn(scope, "DataBucket", imported(Exported.DATA_BUCKET)),
            artifact_key=kms.Key.from_key_arn(scope, "ArtifactKey", imported(Exported.ARTIFACT_KEY)),
            data_key=kms.Key.from_key_arn(scope, "DataKey", imported(Exported.DATA_KEY)),
            ops_key=kms.Key.from_key_arn(scope, "OpsKey", imported(Exported.OPS_KEY)),
            alarm_topic=sns.Topic.from_topic_arn(scope, "AlarmTopic", imported(Exported.ALARM_TOPIC)),
        )
