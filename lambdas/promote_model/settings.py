"""The promotion function's settings, and the one spelling of every environment variable that carries them.

The CDK stack writes these variables (stacks/promotion_stack.py imports :class:`Env`) and this module reads them:
one declaration serves both sides, and a test checks that the function's template sets exactly what is read.

Every stage's function keeps its own ledger and seals its own registrations. A stage with a previous stage also
*receives*: it takes approved packages from the previous account, through a read-only reader role there, into
its own registry and serving stack. Only such a stage has the ``SOURCE_*`` and serving variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from promote_model.gate import Gate


class Env:
    """Names of the environment variables (stdlib only: the CDK app imports this too)."""

    GROUP = "MODEL_PACKAGE_GROUP_NAME"
    STAGE = "STAGE"
    ACCOUNT = "ACCOUNT_ID"
    LEDGER_TABLE = "LEDGER_TABLE_NAME"
    ALARM_TOPIC = "ALARM_TOPIC_ARN"
    # Receiving stages only.
    SOURCE_STAGE = "SOURCE_STAGE"
    SOURCE_ACCOUNT = "SOURCE_ACCOUNT_ID"
    SOURCE_READER_ROLE = "SOURCE_READER_ROLE_ARN"
    SOURCE_PROMOTION_STACK = "SOURCE_PROMOTION_STACK"
    SERVING_STACK = "SERVING_STACK_NAME"
    SERVING_DEPLOY_ROLE = "SERVING_DEPLOY_ROLE_ARN"
    ARRIVAL_STATUS = "ARRIVAL_STATUS"
    APPROVER_ROLE = "APPROVER_ROLE_NAME"
    REGISTRAR_ROLE = "REGISTRAR_ROLE_NAME"
    IMAGE_ACCOUNTS = "IMAGE_ACCOUNTS"
    BREAK_GLASS_ROLE = "BREAK_GLASS_ROLE_NAME"
    GATE_RMSE_LOG_MAX = "GATE_RMSE_LOG_MAX"
    GATE_MAX_REGRESSION_PCT = "GATE_MAX_REGRESSION_PCT"
    MULTIPART_THRESHOLD = "MULTIPART_THRESHOLD_BYTES"

    EVERY_STAGE = (GROUP, STAGE, ACCOUNT, LEDGER_TABLE, ALARM_TOPIC)
    RECEIVING = (
        SOURCE_STAGE,
        SOURCE_ACCOUNT,
        SOURCE_READER_ROLE,
        SOURCE_PROMOTION_STACK,
        SERVING_STACK,
        SERVING_DEPLOY_ROLE,
        ARRIVAL_STATUS,
        APPROVER_ROLE,
        REGISTRAR_ROLE,
        IMAGE_ACCOUNTS,
        BREAK_GLASS_ROLE,
        GATE_RMSE_LOG_MAX,
        GATE_MAX_REGRESSION_PCT,
    )


class ConfigurationError(Exception):
    """The function's environment is incomplete or unreadable (a deployment fault, not an event's)."""


@dataclass(frozen=True)
class Source:
    """Where a receiving stage takes packages from, and how it lets them in."""

    stage: str
    account: str
    reader_role_arn: str  # read-only, in the source account; trusts this stage's promoter role only
    promotion_stack: str  # the source's promotion stack: its LedgerTableName output names where seals are
    approver_role_name: str  # approvals count only through this role of the source account
    registrar_role_name: str  # packages this source role registered came from the stage before the source


@dataclass(frozen=True)
class Settings:
    group: str
    stage: str
    account: str
    ledger_table: str
    alarm_topic_arn: str
    source: Source | None = None
    serving_stack: str = ""
    deploy_role_arn: str = ""
    arrival_status: str = "PendingManualApproval"
    image_accounts: frozenset[str] = frozenset()
    break_glass_role_name: str = ""  # a rejection through this role withdraws the served package
    gate: Gate = field(default_factory=Gate)
    multipart_threshold: int = 64 * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        try:
            source = None
            if env.get(Env.SOURCE_STAGE):
                source = Source(
                    stage=env[Env.SOURCE_STAGE],
                    account=env[Env.SOURCE_ACCOUNT],
                    reader_role_arn=env[Env.SOURCE_READER_ROLE],
                    promotion_stack=env[Env.SOURCE_PROMOTION_STACK],
                    approver_role_name=env[Env.APPROVER_ROLE],
                    registrar_role_name=env[Env.REGISTRAR_ROLE],
                )
            return cls(
                group=env[Env.GROUP],
                stage=env[Env.STAGE],
                account=env[Env.ACCOUNT],
                ledger_table=env[Env.LEDGER_TABLE],
                alarm_topic_arn=env[Env.ALARM_TOPIC],
                source=source,
                serving_stack=env[Env.SERVING_STACK] if source else "",
                deploy_role_arn=env[Env.SERVING_DEPLOY_ROLE] if source else "",
                arrival_status=env[Env.ARRIVAL_STATUS] if source else "PendingManualApproval",
                image_accounts=frozenset(a for a in env.get(Env.IMAGE_ACCOUNTS, "").split(",") if a),
                break_glass_role_name=env[Env.BREAK_GLASS_ROLE] if source else "",
                gate=Gate.from_env(env),
                multipart_threshold=int(env.get(Env.MULTIPART_THRESHOLD) or 64 * 1024 * 1024),
            )
        except KeyError as missing:
            raise ConfigurationError(f"environment variable {missing.args[0]} is not set") from None
        except ValueError as error:
            raise ConfigurationError(f"a GATE_ or size variable is not a number: {error}") from None
