"""The promotion function's settings, read from the environment variables contract.py names.

The CDK stack writes these variables and this module reads them, both by the names in contract.py (:class:`Env`);
a test checks that the function's template sets exactly what is read.

Every stage's function keeps its own ledger and seals its own registrations. A stage with a previous stage also
*receives*: it takes approved packages from the previous account, through a read-only reader role there, into
its own registry and serving stack. Only such a stage has the ``SOURCE_*`` and serving variables.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace

from promote_model.contract import EVERY_GROUP, GROUP_PLACEHOLDER, STACK_PLACEHOLDER, Env
from promote_model.errors import PromotionError
from promote_model.observe import log


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
    approver_names: frozenset[str] = frozenset()  # an approval by a name outside it is refused
    pipeline_name: str = ""  # the project's pipeline there, when the source is the first stage (authorship)


@dataclass(frozen=True)
class Settings:
    """The function's settings; ``group``, ``serving_stack`` and the source's reader role are one project's, set by
    :meth:`for_group` once the event names its group (``projects`` maps every group served to its stack)."""

    stage: str
    account: str
    ledger_table: str
    alarm_topic_arn: str
    projects: dict[str, str] = field(default_factory=dict)
    group: str = ""
    source: Source | None = None
    serving_stack: str = ""
    deploy_role_arn: str = ""
    arrival_status: str = "PendingManualApproval"
    image_accounts: frozenset[str] = frozenset()
    break_glass_role_name: str = ""  # a rejection through this role withdraws the served package
    multipart_threshold: int = 64 * 1024 * 1024
    pipeline_roles: dict[str, str] = field(default_factory=dict)  # the first stage: see Env.PIPELINE_ROLES
    pipeline_name: str = ""  # the first stage: see Env.PIPELINE_NAME

    def pipelines_by_group(self) -> dict[str, str]:
        """Each project's pipeline (the first stage only; empty elsewhere). SageMaker lower-cases pipeline ARNs."""
        if not self.pipeline_name:
            return {}
        return {g: self.pipeline_name.replace(GROUP_PLACEHOLDER, g).lower() for g in self.projects}

    def pipeline_roles_by_group(self) -> dict[str, str]:
        """Each project's pipeline role (the first stage only; empty elsewhere)."""
        if not self.pipeline_roles:
            return {}
        pattern = self.pipeline_roles.get(EVERY_GROUP, "")
        return {g: self.pipeline_roles.get(g) or pattern.replace(GROUP_PLACEHOLDER, g) for g in self.projects}

    def for_group(self, group: str) -> Settings:
        """This function's settings for one project; KeyError when it serves no such group."""
        stack = self.projects[group]
        source = self.source
        if source is not None:
            source = replace(
                source,
                reader_role_arn=source.reader_role_arn.replace(GROUP_PLACEHOLDER, group),
                pipeline_name=source.pipeline_name.replace(GROUP_PLACEHOLDER, group).lower(),
            )
        deployer = self.deploy_role_arn.replace(STACK_PLACEHOLDER, stack) if stack else ""
        return replace(self, group=group, serving_stack=stack, source=source, deploy_role_arn=deployer)

    def for_stack(self, stack_name: str) -> Settings | None:
        """The settings of the project whose serving stack is ``stack_name``; None when it is no project's."""
        group = next((group for group, stack in self.projects.items() if stack and stack == stack_name), None)
        return None if group is None else self.for_group(group)

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
                    approver_names=frozenset(name for name in env[Env.APPROVER_NAMES].split(",") if name),
                    pipeline_name=env[Env.SOURCE_PIPELINE],
                )
            projects = _groups_to_names(env, Env.PROJECTS, "stacks")
            pipeline_roles = (
                _groups_to_names(env, Env.PIPELINE_ROLES, "pipeline roles") if Env.PIPELINE_ROLES in env else {}
            )
            return cls(
                stage=env[Env.STAGE],
                account=env[Env.ACCOUNT],
                ledger_table=env[Env.LEDGER_TABLE],
                alarm_topic_arn=env[Env.ALARM_TOPIC],
                projects=projects,
                source=source,
                deploy_role_arn=env[Env.SERVING_DEPLOY_ROLE] if source else "",
                arrival_status=env[Env.ARRIVAL_STATUS] if source else "PendingManualApproval",
                image_accounts=frozenset(a for a in env.get(Env.IMAGE_ACCOUNTS, "").split(",") if a),
                break_glass_role_name=env[Env.BREAK_GLASS_ROLE] if source else "",
                multipart_threshold=int(env.get(Env.MULTIPART_THRESHOLD) or 64 * 1024 * 1024),
                pipeline_roles=pipeline_roles,
                pipeline_name=env.get(Env.PIPELINE_NAME, ""),
            )
        except KeyError as missing:
            raise ConfigurationError(f"environment variable {missing.args[0]} is not set") from None
        except ValueError as error:
            raise ConfigurationError(f"a size variable is not a number: {error}") from None


def _groups_to_names(env: dict[str, str], variable: str, what: str) -> dict[str, str]:
    """A JSON object of model package groups to names (``what``), or ConfigurationError naming ``variable``."""
    try:
        value = json.loads(env[variable])
    except json.JSONDecodeError:
        raise ConfigurationError(f"{variable} is not JSON") from None
    if (
        not isinstance(value, dict)
        or not value
        or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in value.items())
    ):
        raise ConfigurationError(f"{variable} is not a JSON object of model package groups to {what}")
    return value


def of_this_function() -> Settings:
    """This function's settings, from its environment; a deployment fault is one failed step, its variable named
    (as the ledger and the dead-letter queue show any step)."""
    try:
        return Settings.from_env()
    except ConfigurationError as error:
        log("failed", step="configuration", reason=str(error))
        raise PromotionError("configuration", str(error)) from None
