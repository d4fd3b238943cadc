"""The shared base of every account: network, keys, buckets and the model registry."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct
from drift_monitor.contract import REPORTS_PREFIX
from promote_model.contract import PIPELINE_PREFIX, PROMOTED_PREFIX

from roadway.config import Project, ServingConfig, StageName
from roadway.images import image_accounts
from roadway.naming import Exported, Names
from roadway.stage_view import StageView
from stacks import service_paths
from stacks.constructs.foundation.encryption_key import EncryptionKey, through
from stacks.constructs.foundation.isolated_network import IsolatedNetwork
from stacks.constructs.foundation.log_archive_bucket import LogArchiveBucket
from stacks.constructs.foundation.secure_bucket import SecureBucket
from stacks.constructs.foundation.spend_alerts import SpendAlerts
from stacks.constructs.promotion.approver_role import WITHDRAWAL, ApproverRole
from stacks.constructs.promotion.model_registry import ModelRegistry
from stacks.constructs.serving.model_endpoint import CAPTURE_PREFIX

# Reading or removing a captured request, or any version of it.
CAPTURE_READS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:RestoreObject",
    # What replication reads as: a replication rule an administrator adds copies nothing of the captures.
    "s3:GetObjectVersionForReplication",
]
# Writing or removing an object, or any version of it, under the evidence prefix.
EVIDENCE_WRITES = [
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:RestoreObject",
]


def deny_all_but(
    sid: str, actions: list[str], resource: str, principals: list[str], operator: str = "ArnNotLike"
) -> iam.PolicyStatement:
    """A bucket-policy Deny of ``actions`` to every principal but ``principals`` (ARNs or patterns): it binds the
    account's administrators too. With no principals, nobody may."""
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=actions,
        resources=[resource],
        conditions={operator: {"aws:PrincipalArn": principals if len(principals) != 1 else principals[0]}}
        if principals
        else None,
    )


class PlatformStack(Stack):
    """What one account needs before any model arrives; stateful, so it changes rarely."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        view: StageView,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._keys_and_alarms(view)
        self._spend(view)
        self._network_and_buckets(view)
        self._registries(view)
        self._evidence(view)
        self._approvers(view)
        self._exports(view)

    def _keys_and_alarms(self, view: StageView) -> None:
        """The stage's three keys, and its alarm topic (encrypted under the ops key)."""
        stage, stage_config = view.stage, view.settings
        self.data_key = EncryptionKey(self, "DataKey", purpose=f"data, Studio storage and captures of {stage}")
        self.artifact_key = EncryptionKey(self, "ArtifactKey", purpose=f"model artifacts of {stage}")
        self.ops_key = EncryptionKey(self, "OpsKey", purpose=f"alarms, notifications and dead letters of {stage}")
        # Who delivers through the ops key (stacks/service_paths.py): alarms into the topic, rules into the
        # promoter's queues, Logs into Roadway's log groups. Budgets' row is SpendAlerts'.
        for sid, path in (
            ("CloudWatchAlarmsPublishEncrypted", service_paths.ALARMS_THROUGH_KEY),
            ("EventBridgeRulesSendEncrypted", service_paths.RULES_THROUGH_KEY),
            ("CloudWatchLogsEncryptsRoadwayLogs", service_paths.LOGS_THROUGH_KEY),
        ):
            self.ops_key.add_to_resource_policy(path.statement(sid, ["*"], region=self.region, account=self.account))
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Roadway {stage} alarms",
            master_key=self.ops_key,
            enforce_ssl=True,
        )
        for email in stage_config.alarm_emails:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(email))
        self.alarm_topic.add_to_resource_policy(
            service_paths.ALARMS_TO_TOPIC.statement(
                "CloudWatchAlarmsPublish", [self.alarm_topic.topic_arn], region=self.region, account=self.account
            )
        )

    def _spend(self, view: StageView) -> None:
        """Spend: the account's, and each team's where it spends: in dev (its notebooks and jobs), and in
        test and prod where it owns a project (its serving stacks carry its tag)."""
        config, stage, names, stage_config = view.config, view.stage, view.names, view.settings
        team_budgets = [
            (team, config.budget_emails(team.name))
            for team in config.teams
            if team.monthly_budget_usd and (stage == "dev" or config.projects_of(team.name))
        ]
        if stage_config.monthly_budget_usd or team_budgets:
            self.spend = SpendAlerts(
                self,
                "Spend",
                names=names,
                stage=stage,
                account_budget_usd=stage_config.monthly_budget_usd,
                teams=team_budgets,
                topic=self.alarm_topic,
                topic_key=self.ops_key,
            )

    def _network_and_buckets(self, view: StageView) -> None:
        """The log archive, the isolated network, the artifact and data buckets (and the guard on captures)."""
        config, stage, names, stage_config = view.config, view.stage, view.names, view.settings
        self.log_archive = LogArchiveBucket(self, "LogArchive")
        self.network = IsolatedNetwork(
            self,
            "Network",
            cidr=stage_config.vpc_cidr,
            availability_zones=config.availability_zones,
            log_archive=self.log_archive,
            with_studio=stage == "dev",
            with_git=stage == "dev" and any(team.code_repository for team in config.teams),
            with_models=stage != "dev",
            prefix_lists=config.prefix_lists,
            # This account and its neighbours on the road: the only accounts whose principals act here and
            # whose buckets and tables are written from here (dev never names prod).
            road_accounts=view.neighbourhood_accounts,
            image_accounts=image_accounts(config.region),
        )

        self.artifact_bucket = SecureBucket(
            self,
            "ArtifactBucket",
            key=self.artifact_key,
            access_logs=self.log_archive,
            purpose="artifacts",
            noncurrent_version_days=config.buckets.noncurrent_version_days,
        )
        self.data_bucket = SecureBucket(
            self,
            "DataBucket",
            key=self.data_key,
            access_logs=self.log_archive,
            purpose="data",
            noncurrent_version_days=config.buckets.noncurrent_version_days,
        )

        capturing = [
            (project, serving)
            for project in config.projects
            if (serving := project.stage(stage)) is not None and serving.serving.data_capture_percent
        ]
        if capturing:
            self._guard_captures(names, stage, [(project, at.serving) for project, at in capturing])

    def _registries(self, view: StageView) -> None:
        """Each project's group, the same name in every account."""
        config, names = view.config, view.names
        # The original project's keeps its logical ID.
        self.registries = {
            project.name: ModelRegistry(
                self,
                "Registry" if project.original else f"Registry-{project.name}",
                group_name=names.model(project).model_package_group,
                group_arn=names.model(project).model_package_group_arn(self.account),
                packages_arn=names.model(project).model_packages_arn(self.account),
            )
            for project in config.projects
        }

    def _evidence(self, view: StageView) -> None:
        """Who alone writes the evidence, and the next stage's read of the sealed artifacts."""
        config, stage, names, next_stage = view.config, view.stage, view.names, view.next
        # Evidence: one role alone writes each project's evidence (dev: the project's pipeline jobs, each under its
        # own folder; later stages: their own promoter, which writes the copies it takes in).
        first = view.first
        self.evidence_prefix = PIPELINE_PREFIX if first else PROMOTED_PREFIX
        writers = (
            [names.model(project).pipeline_job_role() for project in config.projects]
            if first
            else [names.promoter_role(stage)]
        )
        self._only_writers_of_evidence([names.role_arn(self.account, writer) for writer in writers])
        if next_stage:
            # The next account's promoter copies the sealed artifacts with its own credentials (it pulls).
            next_account = view.next_account
            assert next_account is not None
            self._let_next_stage_read_artifacts(
                next_account, names.role_arn(next_account, names.promoter_role(next_stage))
            )

    def _approvers(self, view: StageView) -> None:
        """The approver role (and break-glass where the stage serves)."""
        config, stage, names, stage_config, next_stage = view.config, view.stage, view.names, view.settings, view.next
        every = names.every_model()
        self.approver: ApproverRole | None = None
        if next_stage:
            # Approving here promotes to the next stage: only the configured approvers, never an author.
            self.approver = ApproverRole(
                self,
                "Approver",
                role_name=names.approver_role(stage),
                approvers=stage_config.approver_accounts,
                own_name=config.identity.own_name,
                group_arn=every.model_package_group_arn(self.account),
                packages_arn=every.model_packages_arn(self.account),
                decides_on=[names.model(project).model_packages_arn(self.account) for project in config.projects],
            )
            CfnOutput(self, "ApproverRoleArn", value=self.approver.role.role_arn)
        self.break_glass: ApproverRole | None = None
        if stage != "dev":
            # When no approver is available: withdraw what this stage serves, by name, recorded and paged.
            self.break_glass = ApproverRole(
                self,
                "BreakGlass",
                role_name=names.break_glass_role(stage),
                approvers=stage_config.break_glass_accounts,
                own_name=config.identity.own_name,
                group_arn=every.model_package_group_arn(self.account),
                packages_arn=every.model_packages_arn(self.account),
                decides_on=[names.model(project).model_packages_arn(self.account) for project in config.projects],
                decisions=WITHDRAWAL,
                description="Roadway: emergency withdrawal of the served package (recorded and alarmed)",
            )
            CfnOutput(self, "BreakGlassRoleArn", value=self.break_glass.role.role_arn)

    def _exports(self, view: StageView) -> None:
        """What the stage's other stacks and the CLI read of the platform."""
        stage, names = view.stage, view.names
        self._export(names, stage, Exported.ARTIFACT_BUCKET, self.artifact_bucket.bucket_arn)
        self._export(names, stage, Exported.DATA_BUCKET, self.data_bucket.bucket_arn)
        self._export(names, stage, Exported.ARTIFACT_KEY, self.artifact_key.key_arn)
        self._export(names, stage, Exported.DATA_KEY, self.data_key.key_arn)
        self._export(names, stage, Exported.ALARM_TOPIC, self.alarm_topic.topic_arn)
        self._export(names, stage, Exported.OPS_KEY, self.ops_key.key_arn)
        CfnOutput(self, "ArtifactBucketName", value=self.artifact_bucket.bucket_name)
        CfnOutput(self, "DataBucketName", value=self.data_bucket.bucket_name)
        # The pipeline CLI's --subnet values: the only subnets where the stage's jobs may run.
        CfnOutput(self, "JobSubnetIds", value=Fn.join(",", list(self.network.subnet_ids)))

    def _export(self, names: Names, stage: StageName, what: str, value: str) -> None:
        """Stacks of this stage import by these names (see :meth:`Names.export`), never by CDK's hashes."""
        CfnOutput(self, f"Export-{what}", value=value, export_name=names.export(stage, what))

    def _guard_captures(self, names: Names, stage: StageName, capturing: list[tuple[Project, ServingConfig]]) -> None:
        """Captured requests are personal data: they expire, only endpoints write them, and only the drift job
        (or Model Monitor's job) and the owning team read or delete them; a bucket-policy Deny binds everyone else,
        administrators included.

        Each endpoint captures under ``data-capture/<endpoint>/``. The Deny names each capturing project's endpoint
        and watching roles exactly (a pattern would admit a role an administrator creates to match it; each role's
        own policy holds it to its endpoint's prefix); a team's readers are held to their own projects' prefixes
        by a Deny of their own."""
        readers = sorted({reader for _, serving in capturing for reader in serving.capture_readers})
        jobs, endpoint_roles = [], []
        endpoints_of: dict[str, list[str]] = {}  # a team's reader -> the endpoints of its projects
        for project, serving in capturing:
            model = names.model(project)
            endpoint = model.endpoint(stage)
            self.data_bucket.add_lifecycle_rule(
                id="CapturedRequestsExpire" if project.original else f"CapturedRequestsExpire-{project.name}",
                prefix=f"{CAPTURE_PREFIX}/{endpoint}/",
                expiration=Duration.days(serving.capture_retention_days),
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
            endpoint_roles.append(names.role_arn(self.account, model.serving_role(stage)))
            if serving.monitoring is not None:
                jobs.append(names.role_arn(self.account, model.watch_role(stage, serving.monitoring.engine)))
            for reader in serving.capture_readers:
                endpoints_of.setdefault(reader, []).append(endpoint)
        captures = self.data_bucket.arn_for_objects(f"{CAPTURE_PREFIX}/*")
        self.data_bucket.add_to_resource_policy(
            deny_all_but("OnlyTheWatchAndTheTeamReadCaptures", CAPTURE_READS, captures, [*jobs, *readers])
        )
        self.data_bucket.add_to_resource_policy(
            deny_all_but(
                "OnlyTheEndpointAndTheTeamWriteCaptures", ["s3:PutObject"], captures, [*endpoint_roles, *readers]
            )
        )
        # A team's reader touches, in this bucket (captures and drift reports), only its own projects' objects:
        # one Deny per set of projects, naming the readers that share it.
        readers_of: dict[tuple[str, ...], list[str]] = {}
        for reader, endpoints in endpoints_of.items():
            readers_of.setdefault(tuple(endpoints), []).append(reader)
        for index, (endpoints, principals) in enumerate(sorted(readers_of.items())):
            self.data_bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"ReadersTouchOnlyTheirProjectsObjects{index}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=[*CAPTURE_READS, "s3:PutObject"],
                    not_resources=[
                        self.data_bucket.arn_for_objects(f"{prefix}/{endpoint}/*")
                        for endpoint in endpoints
                        for prefix in (CAPTURE_PREFIX, REPORTS_PREFIX)
                    ],
                    conditions={"ArnLike": {"aws:PrincipalArn": principals if len(principals) > 1 else principals[0]}},
                )
            )

    def _only_writers_of_evidence(self, writer_arns: list[str]) -> None:
        """Nobody but ``writer_arns`` writes or deletes under the evidence prefix: not a data scientist, not an
        approver, not an administrator of this account (a bucket-policy Deny binds them all). Each writer's own
        policy holds it to its project's folder."""
        evidence = self.artifact_bucket.arn_for_objects(f"{self.evidence_prefix}/*")
        self.artifact_bucket.add_to_resource_policy(
            deny_all_but("OnlyOneWriterOfEvidence", EVIDENCE_WRITES, evidence, writer_arns, "ArnNotEquals")
        )

    def _let_next_stage_read_artifacts(self, account: str, role_arn: str) -> None:
        """The next account's promoter copies artifacts out of this bucket: read-only, that one role, via S3 only.

        Its registry reads go through this stage's reader role (PromotionSource), not a group policy."""
        principal = iam.AccountPrincipal(account)
        self.artifact_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NextStagePromotionCopiesArtifacts",
                principals=[principal],
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging"],
                # The evidence only: what the next stage copies is what one role alone wrote here.
                resources=[self.artifact_bucket.arn_for_objects(f"{self.evidence_prefix}/*")],
                conditions={"ArnEquals": {"aws:PrincipalArn": role_arn}},
            )
        )
        self.artifact_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NextStagePromotionDecryptsArtifacts",
                principals=[principal],
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
                conditions={"ArnEquals": {"aws:PrincipalArn": role_arn}, **through("s3", self)},
            )
        )
