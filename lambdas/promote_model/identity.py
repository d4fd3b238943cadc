"""Four eyes: who created a package and who approved it, as the registry says, and whether they differ.

"Who" is the person, not the role. SageMaker records a ``UserContext`` for both (``CreatedBy``,
``LastModifiedBy``): a Studio user's profile name, or an IAM identity whose ``SourceIdentity`` names the person
(Studio sets it to the profile name with ``ExecutionRoleIdentityConfig: USER_PROFILE_NAME``; the approver role's
trust requires one). A package registered by a pipeline is the work of whoever started the pipeline execution
named in ``MetadataProperties.GeneratedBy``. Anything that cannot be pinned to a person is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_NAME = 128  # a name is evidence, not payload: the ledger and lineage carry at most this much of it
_PIPELINE_EXECUTION = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:pipeline/[^/]+/execution/[^/]+$")


def bounded(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def person(context: Any) -> str | None:
    """The person a SageMaker ``UserContext`` names, or None when it names only a role (or nothing)."""
    if not isinstance(context, dict):
        return None
    profile = context.get("UserProfileName")
    if isinstance(profile, str) and profile.strip():
        return bounded(profile.strip())
    identity = context.get("IamIdentity")
    source = identity.get("SourceIdentity") if isinstance(identity, dict) else None
    if isinstance(source, str) and source.strip():
        return bounded(source.strip())
    return None


def session_arn(context: Any) -> str:
    identity = context.get("IamIdentity") if isinstance(context, dict) else None
    arn = identity.get("Arn") if isinstance(identity, dict) else None
    return arn if isinstance(arn, str) else ""


@dataclass(frozen=True)
class FourEyes:
    author: str | None
    approver: str | None
    reason: str  # empty when the check passed

    @property
    def passed(self) -> bool:
        return not self.reason


def role_of(context: Any, account: str) -> str | None:
    """The role whose session ``context`` names, in ``account``; None when it names no role session there."""
    return session_role(session_arn(context), account)


def session_role(arn: str, account: str) -> str | None:
    """The role of a role session's ARN (``arn:aws:sts::<account>:assumed-role/<role>/<session>``) in ``account``:
    its name, without a path, which a session's ARN never carries."""
    match = re.match(rf"^arn:aws[a-z-]*:sts::{re.escape(account)}:assumed-role/([^/]+)/[^/]+$", arn)
    return match.group(1) if match else None


def another_projects_pipeline(
    package: dict[str, Any], account: str, group: str, pipeline_roles: dict[str, str], pipelines: dict[str, str]
) -> str:
    """Why ``package`` is not its project's own work (one line), or "": another project's pipeline role registered
    it, or it says another pipeline generated it. A project's packages come from its own pipeline, or from a member
    of its team (whom IAM alone lets register into its group: the team policy)."""
    role = role_of(package.get("CreatedBy"), account)
    own_role = pipeline_roles.get(group)
    if role is not None and role != own_role:
        owner = next((g for g, r in sorted(pipeline_roles.items()) if r == role), None)
        if owner is not None:
            own = f"{group}'s packages come from {own_role}"
            return f"registered in {group} by {role}, the pipeline of project {owner}; {own}"
    generated = (package.get("MetadataProperties") or {}).get("GeneratedBy")
    own = pipelines.get(group)
    if own and isinstance(generated, str) and _PIPELINE_EXECUTION.match(generated):
        name = generated.split(":pipeline/", 1)[1].split("/", 1)[0]
        if name != own:
            owner = next((g for g, p in sorted(pipelines.items()) if p == name), None)
            whose = f", the pipeline of project {owner}" if owner else ""
            return f"registered in {group} from a run of {name}{whose}; {group}'s packages come from {own}"
    return ""


def through_role(context: Any, account: str, role_name: str) -> str | None:
    """The person behind ``context`` if it is a session of ``role_name`` in ``account`` carrying their name."""
    if role_of(context, account) != role_name:
        return None
    return person(context)


def check(
    package: dict[str, Any],
    *,
    approver_role_name: str,
    registrar_role_name: str,
    pipeline_starter: Callable[[str], Any],
    sealed_author: str | None = None,
    approver_names: frozenset[str] | None = None,
) -> FourEyes:
    """Pass only when author and approver are known people, differ, and the approval came through the approver
    role of the package's own account.

    The author is the registry's ``CreatedBy``; for a pipeline-registered package, whoever started the execution
    (``pipeline_starter`` describes it); for a package the promotion registered here (``registrar_role_name``),
    the author that promotion sealed with it (``sealed_author``, from the ledger): not the lineage's
    ``roadway:created-by``, which an approver of that stage could rewrite while approving. ``approver_names``:
    the road's approvers' Roadway names; any other is refused, because a name the identity provider spells
    differently (``ana.garcia@…`` for ``ana-garcia``) would let an author approve their own package unnoticed.
    """
    account = (str(package.get("ModelPackageArn", "")).split(":")[4:5] or [""])[0]
    created_by = package.get("CreatedBy")
    author = person(created_by)
    generated_by = (package.get("MetadataProperties") or {}).get("GeneratedBy")
    if author is None and isinstance(generated_by, str) and _PIPELINE_EXECUTION.match(generated_by):
        author = person(pipeline_starter(generated_by))
    if author is None and role_of(created_by, account) == registrar_role_name:
        author = bounded(sealed_author) if sealed_author and sealed_author.strip() else None
    approved_by = package.get("LastModifiedBy")
    approver = person(approved_by)
    if author is None:
        return FourEyes(None, approver, "the package's author is unknown (no user profile or source identity)")
    if approver is None:
        return FourEyes(author, None, "the approver is unknown (no user profile or source identity)")
    if role_of(approved_by, account) != approver_role_name:
        where = session_arn(approved_by) or f"user profile {approver}"
        return FourEyes(author, approver, f"approved outside the approver role {approver_role_name} (by {where})")
    if approver_names is not None and approver.casefold() not in {name.casefold() for name in approver_names}:
        return FourEyes(
            author,
            approver,
            f"the approver {approver} is not one of the road's approvers (identity.approver_names); the identity "
            "provider must assert the person's Roadway name",
        )
    if author.casefold() == approver.casefold():
        return FourEyes(author, approver, f"approved by its own author {author}; a second person must approve")
    return FourEyes(author, approver, "")
