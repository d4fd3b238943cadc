"""Every name the promotion function shares with another part of the road, declared once (stdlib only).

The CDK app writes what the function reads: its environment variables, the serving stack's parameters and
outputs, the promotion stack's outputs, the events its rules match. The operator's CLI reads what the function
writes: lineage keys, ledger outcomes, the copies' prefix. Each side imports its names from here (the import
rules in pyproject.toml let the CDK app import nothing else of the runtime), and tests/test_contract.py holds the
synthesized templates to it.
"""

from __future__ import annotations


class Env:
    """Names of the function's environment variables."""

    PROJECTS = "PROJECTS"  # JSON: each model package group this function serves -> its serving stack here ("" in dev)
    STAGE = "STAGE"
    ACCOUNT = "ACCOUNT_ID"
    LEDGER_TABLE = "LEDGER_TABLE_NAME"
    ALARM_TOPIC = "ALARM_TOPIC_ARN"
    # The first stage only: JSON, "*" -> the pattern of a project's pipeline role (with {group}), and any group
    # whose role the pattern does not name -> its role (a package registered by another project's pipeline is not
    # sealed).
    PIPELINE_ROLES = "PIPELINE_ROLES"
    PIPELINE_NAME = "PIPELINE_NAME"  # the first stage only: a project's pipeline, with {group}
    # Receiving stages only.
    SOURCE_STAGE = "SOURCE_STAGE"
    SOURCE_ACCOUNT = "SOURCE_ACCOUNT_ID"
    SOURCE_READER_ROLE = "SOURCE_READER_ROLE_ARN"  # with {group} where the event's group goes
    SOURCE_PROMOTION_STACK = "SOURCE_PROMOTION_STACK"
    SERVING_DEPLOY_ROLE = "SERVING_DEPLOY_ROLE_ARN"
    ARRIVAL_STATUS = "ARRIVAL_STATUS"
    APPROVER_ROLE = "APPROVER_ROLE_NAME"
    REGISTRAR_ROLE = "REGISTRAR_ROLE_NAME"
    IMAGE_ACCOUNTS = "IMAGE_ACCOUNTS"
    BREAK_GLASS_ROLE = "BREAK_GLASS_ROLE_NAME"
    # The Roadway names of the road's approvers (comma-separated): an approval by any other name is refused, so the
    # approver's name and the author's are always in the one namespace the four-eyes check compares.
    APPROVER_NAMES = "APPROVER_NAMES"
    # The source's pipeline of a project, with {group}, when the source is the first stage ("" otherwise): its runs'
    # authorship is checked (promote_model/authorship.py).
    SOURCE_PIPELINE = "SOURCE_PIPELINE_NAME"
    MULTIPART_THRESHOLD = "MULTIPART_THRESHOLD_BYTES"

    EVERY_STAGE = (PROJECTS, STAGE, ACCOUNT, LEDGER_TABLE, ALARM_TOPIC)
    FIRST = (PIPELINE_ROLES, PIPELINE_NAME)
    RECEIVING = (
        SOURCE_STAGE,
        SOURCE_ACCOUNT,
        SOURCE_READER_ROLE,
        SOURCE_PROMOTION_STACK,
        SERVING_DEPLOY_ROLE,
        ARRIVAL_STATUS,
        APPROVER_ROLE,
        REGISTRAR_ROLE,
        IMAGE_ACCOUNTS,
        BREAK_GLASS_ROLE,
        APPROVER_NAMES,
        SOURCE_PIPELINE,
    )


# Placeholders the stack writes into patterns (through roadway/naming.py) and the function fills in.
# {group}: in SOURCE_READER_ROLE, SOURCE_PIPELINE, PIPELINE_ROLES, PIPELINE_NAME and the first EvidencePrefix.
GROUP_PLACEHOLDER = "{group}"
EVERY_GROUP = "*"  # in PIPELINE_ROLES: the pattern that names every project's pipeline role but exceptions
STACK_PLACEHOLDER = "{stack}"  # in SERVING_DEPLOY_ROLE


class Event:
    """The EventBridge events the function's rules match (source, detail-type)."""

    SAGEMAKER = "aws.sagemaker"
    PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
    CLOUDFORMATION = "aws.cloudformation"
    STACK_STATUS_CHANGE = "CloudFormation Stack Status Change"
    ROLLED_BACK = "UPDATE_ROLLBACK_COMPLETE"  # the stack status a serving rollback ends in


class Parameter:
    """The serving stack's parameters, which promotion sets (the rest of the stack stays as deployed)."""

    MODEL_PACKAGE = "ModelPackageArn"
    BASELINE_CONSTRAINTS = "BaselineConstraintsUri"
    BASELINE_STATISTICS = "BaselineStatisticsUri"


# Each baseline parameter, and where in a package's DriftCheckBaselines its URI is.
BASELINE_PARAMETERS = {
    Parameter.BASELINE_CONSTRAINTS: ("ModelDataQuality", "Constraints"),
    Parameter.BASELINE_STATISTICS: ("ModelDataQuality", "Statistics"),
}


class Output:
    """Stack outputs the function (and the CLI) read."""

    LEDGER_TABLE = "LedgerTableName"  # the promotion stack's; a receiving stage reads its source's
    ARTIFACT_BUCKET = "ArtifactBucketName"  # the promotion and serving stacks'
    EVIDENCE_PREFIX = "EvidencePrefix"  # the promotion stack's: where its stage's evidence lies (see below)
    GATE = "PromotionGate"  # the serving stack's: its project's gate in that stage (JSON of gate.Gate's fields)
    DRIFT_REPORTS = "DriftReports"  # the serving stack's, when Roadway's drift job watches it
    DEAD_LETTERS = "DeadLetterQueueUrl"  # the promotion stack's (and a watched serving stack's drift job's)
    WORK_DEAD_LETTERS = "WorkDeadLetterQueueUrl"  # the promotion stack's: events its function gave up on
    QUEUES_OF_DEAD_LETTERS = (DEAD_LETTERS, WORK_DEAD_LETTERS)  # `roadway doctor` expects each of these empty


# The promotion function's SQS event source runs at most this many at once (one message group per project), so
# promotions never take a new account's whole Lambda concurrency of 10; `roadway doctor` checks the account has it.
WORK_CONCURRENCY = 5

# What a receiving function reads from its source's promotion stack (through the reader role).
SOURCE_OUTPUTS = (Output.LEDGER_TABLE, Output.ARTIFACT_BUCKET, Output.EVIDENCE_PREFIX)

# Evidence: the prefixes of an artifact bucket that one role alone may write (the bucket policy denies everyone
# else). In the first stage each project's pipeline jobs write under ``pipelines/<group>/<run>/``; in every later
# stage its own promoter writes the copies under ``promoted/<source account>/...``.
PIPELINE_PREFIX = "pipelines"
PROMOTED_PREFIX = "promoted"


def promoted_prefix(source_account: str, group: str) -> str:
    """Where a receiving stage keeps the copies of ``group``'s packages from ``source_account``: the promoter writes
    here and the group's endpoint role reads only here (one spelling for both)."""
    return f"{PROMOTED_PREFIX}/{source_account}/{group}"


def evidence_prefix(first_stage: bool) -> str:
    """The prefix a stage announces (its promotion stack's EvidencePrefix output); the first stage's names the
    group by :data:`GROUP_PLACEHOLDER`, which :func:`evidence_of` fills in."""
    return f"{PIPELINE_PREFIX}/{GROUP_PLACEHOLDER}" if first_stage else PROMOTED_PREFIX


class Lineage:
    """Keys of a promoted package's CustomerMetadataProperties: where it came from and who let it through."""

    ORIGIN_ARN = "roadway:origin-arn"
    SOURCE_ARN = "roadway:source-arn"
    SOURCE_ACCOUNT = "roadway:source-account"
    SOURCE_STAGE = "roadway:source-stage"
    SOURCE_VERSION = "roadway:source-version"
    APPROVED_BY = "roadway:approved-by"
    APPROVED_AT = "roadway:approved-at"
    CREATED_BY = "roadway:created-by"  # the model's author, for people (the seal holds it for checks)
    RMSE_LOG = "roadway:rmse-log"
    TRAINING_DATA = "roadway:training-data"  # written at registration (model_code spells it too; a test holds both)
    DIGEST = "roadway:sha256:"  # + an artifact's name: its SHA-256 as the first stage sealed it


# A promoted package's description starts with this, then the source package's ARN (how a retry finds it).
PROMOTED_MARKER = "roadway:promoted-from "


class LedgerOutcome:
    """The ledger's outcomes (its ``outcome`` field)."""

    PROMOTED = "promoted"
    REFUSED = "refused"
    FAILED = "failed"
    SEALED = "sealed"
    SEAL_REFUSED = "seal-refused"  # no seal, ever: the next stage refuses the package with this record's reason
    BREAK_GLASS = "break-glass"
    ROLLED_BACK = "rolled-back"

    # Once per package: a second "sealed" would bless a change, a re-delivered event adds no second "promoted".
    ONCE = (PROMOTED, REFUSED, SEALED, SEAL_REFUSED, BREAK_GLASS)


# The function's logs and metrics (Powertools): the service on every log line and metric, the metrics' namespace,
# and the one dimension besides the service that every metric carries (low cardinality: alarms name it).
SERVICE = "roadway-promotion"
METRICS_NAMESPACE = "Roadway/Promotion"
STAGE_DIMENSION = "Stage"


class Metric:
    """One count per outcome, by stage: what a dashboard shows and an alarm watches."""

    PROMOTED = "Promoted"
    REFUSED = "Refused"
    FAILED = "Failed"
    ROLLED_BACK = "RolledBack"
