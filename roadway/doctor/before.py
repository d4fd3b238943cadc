"""Before the first deploy: what a stage's account must already have or allow. Each check reads only."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError
from promote_model.aws import outputs_of, parameters_of

from roadway.config import STAGE_NAMES, RoadwayConfig
from roadway.doctor.findings import CANNOT, OK, PROBLEM, Clinic, Finding
from roadway.doctor.quotas import LAMBDA_CONCURRENCY, Need, lambda_need, needs
from roadway.images import SKLEARN_REGISTRIES
from roadway.naming import BOOTSTRAP_QUALIFIER, BOOTSTRAP_ROLE_KINDS, bootstrap_roles
from roadway.road import CliError, stack_or_none

BOOTSTRAP_STACK = "CDKToolkit"
# The lowest bootstrap version the assembly's stacks and assets require (its manifest's
# requiresBootstrapStackVersion), and the version the pinned CDK CLI's own template writes; tests hold both
# equal to their sources (the synthesized manifest, node_modules/aws-cdk's bootstrap-template.yaml).
REQUIRED_BOOTSTRAP_VERSION = 6
PINNED_BOOTSTRAP_VERSION = 33
MODEL_MONITOR_DOCS = "docs/mlops.md, 'Watching prod for drift'"


def caller(clinic: Clinic) -> Iterator[Finding]:
    """Whose credentials these are: the wrong account stops the stage (every later answer would be another
    account's); a profile set to another region is said, since `aws` commands with it act there."""
    identity = clinic.ask("sts", "get_caller_identity")
    if identity["Account"] != clinic.account:
        raise CliError(
            f"{clinic.stage}: {clinic.road.credentials(clinic.stage)} reaches account {identity['Account']}, "
            f"not the config's {clinic.account} (stages.{clinic.stage}.account, aws_profile)"
        )
    yield Finding(clinic.stage, "caller", OK, f"{identity['Arn']} in account {clinic.account}")
    configured = clinic.road.profile_region(clinic.stage)
    if configured and configured != clinic.region:
        yield Finding(
            clinic.stage,
            "region",
            PROBLEM,
            f"{clinic.road.credentials(clinic.stage)} is set to {configured}, the road is in {clinic.region}: the "
            f"doctor and make deploy use {clinic.region}, but `aws` commands with this profile act in {configured} "
            f"(set region = {clinic.region} in the profile)",
        )


def bootstrap(clinic: Clinic) -> Iterator[Finding]:
    """The CDK bootstrap stack the deploy roles come from: present, recent enough for the assembly, and trusting
    no other stage's account (an administrator there could then deploy here, past every control of this one)."""
    profile = f" PROFILE={clinic.settings.aws_profile}" if clinic.settings.aws_profile else ""
    fix = f"make bootstrap STAGE={clinic.stage.capitalize()}{profile} (after make synth)"
    stack = stack_or_none(lambda: clinic.ask("cloudformation", "describe_stacks", StackName=BOOTSTRAP_STACK))
    if stack is None:
        yield Finding(clinic.stage, "bootstrap", PROBLEM, f"not bootstrapped in {clinic.region}: {fix}")
        return
    status = stack["StackStatus"]
    if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
        yield Finding(clinic.stage, "bootstrap", PROBLEM, f"{BOOTSTRAP_STACK} is {status}: {fix}")
        return
    parameters, outputs = parameters_of(stack), outputs_of(stack)
    qualifier = parameters.get("Qualifier", BOOTSTRAP_QUALIFIER)
    if qualifier != BOOTSTRAP_QUALIFIER:
        yield Finding(
            clinic.stage,
            "bootstrap",
            PROBLEM,
            f"{BOOTSTRAP_STACK} has qualifier {qualifier}; the assembly's roles and assets use {BOOTSTRAP_QUALIFIER}: "
            f"{fix}",
        )
        return
    version = int(outputs.get("BootstrapVersion", "0") or 0)
    if version < REQUIRED_BOOTSTRAP_VERSION:
        yield Finding(
            clinic.stage,
            "bootstrap",
            PROBLEM,
            f"{BOOTSTRAP_STACK} version {version}; the assembly needs {REQUIRED_BOOTSTRAP_VERSION} or later: {fix}",
        )
        return
    trusted = re.findall(r"\d{12}", parameters.get("TrustedAccounts", ""))  # a CommaDelimitedList's accounts
    stages = {clinic.config.stage(s).account: s for s in STAGE_NAMES if s != clinic.stage}
    others = [f"{stages[a]} ({a})" for a in trusted if a in stages]
    if others:
        yield Finding(
            clinic.stage,
            "bootstrap",
            PROBLEM,
            f"{BOOTSTRAP_STACK} trusts {', '.join(others)} to deploy here: that account's administrator could change "
            f"{clinic.stage} past its own approvals. Bootstrap again without that --trust: {fix}",
        )
        return
    detail = f"{BOOTSTRAP_STACK} version {version} (the assembly needs {REQUIRED_BOOTSTRAP_VERSION}"
    detail += ")" if version >= PINNED_BOOTSTRAP_VERSION else f"; the pinned CLI writes {PINNED_BOOTSTRAP_VERSION})"
    if trusted:
        detail += f"; also trusts {', '.join(trusted)} to deploy (a central deploy account, as the README allows)"
    yield Finding(clinic.stage, "bootstrap", OK, detail)


def region(clinic: Clinic) -> Iterator[Finding]:
    """The road's region is enabled in this account, and SageMaker's images are served there (roadway/images.py,
    which config validation already holds the region to)."""
    (found,) = clinic.ask("ec2", "describe_regions", RegionNames=[clinic.region], AllRegions=True)["Regions"]
    if found.get("OptInStatus") == "not-opted-in":
        yield Finding(
            clinic.stage,
            "region",
            PROBLEM,
            f"{clinic.region} is not enabled in this account: aws account enable-region --region-name {clinic.region}",
        )
        return
    registry = SKLEARN_REGISTRIES[clinic.region]
    yield Finding(
        clinic.stage, "region", OK, f"{clinic.region} is enabled; SageMaker's scikit-learn images there: {registry}"
    )


def quotas(clinic: Clinic) -> Iterator[Finding]:
    """Every SageMaker quota the config implies, against the account's applied values (AWS's defaults where the
    account has none of its own)."""
    wanted = needs(clinic.config, clinic.stage)
    if not wanted:
        return
    known = {
        q["QuotaName"]: q
        for q in clinic.pages("service-quotas", "list_aws_default_service_quotas", "Quotas", ServiceCode="sagemaker")
    }
    known.update(
        {
            q["QuotaName"]: q
            for q in clinic.pages("service-quotas", "list_service_quotas", "Quotas", ServiceCode="sagemaker")
        }
    )
    for need in wanted:
        yield _quota(clinic, need, known.get(need.quota))


def _quota(clinic: Clinic, need: Need, quota: dict[str, Any] | None) -> Finding:
    check = f"quota {need.quota}"
    if quota is None:
        return Finding(
            clinic.stage, check, CANNOT, f"Service Quotas lists no such sagemaker quota in {clinic.region} ({need.why})"
        )
    value = int(quota.get("Value", 0))
    if value >= need.amount:
        return Finding(clinic.stage, check, OK, f"{value} (needs {need.amount}: {need.why})")
    return Finding(
        clinic.stage,
        check,
        PROBLEM,
        f"{value}, needs {need.amount} ({need.why}): aws service-quotas request-service-quota-increase "
        f"--service-code sagemaker --quota-code {quota['QuotaCode']} --desired-value {need.amount}",
    )


def lambda_concurrency(clinic: Clinic) -> Iterator[Finding]:
    """Roadway reserves no concurrency (a new account's 10 refuse any reservation), but its functions share the
    account's unreserved pool: it must hold what they run at once."""
    need = lambda_need(clinic.config, clinic.stage)
    limits = clinic.ask("lambda", "get_account_settings")["AccountLimit"]
    unreserved = int(limits.get("UnreservedConcurrentExecutions", limits.get("ConcurrentExecutions", 0)))
    total = int(limits.get("ConcurrentExecutions", 0))
    why = "the promotion work queue, the rollback recorder and the drift jobs at once"
    if unreserved >= need:
        yield Finding(
            clinic.stage, "lambda concurrency", OK, f"{unreserved} unreserved of {total} (needs {need}: {why})"
        )
        return
    yield Finding(
        clinic.stage,
        "lambda concurrency",
        PROBLEM,
        f"{unreserved} unreserved of {total}, needs {need} ({why}): request more '{LAMBDA_CONCURRENCY}' in Service "
        "Quotas (lambda)",
    )


def monitoring(clinic: Clinic) -> Iterator[Finding]:
    """Model Monitor takes no new AWS customers, and no API says whether an account may still use it."""
    engines = {
        project.name: at.serving.monitoring.engine
        for project in clinic.config.projects
        if (at := project.stage(clinic.stage)) is not None and at.serving.monitoring is not None
    }
    monitored = sorted(name for name, engine in engines.items() if engine == "model-monitor")
    if monitored:
        yield Finding(
            clinic.stage,
            "model monitor",
            CANNOT,
            f"{', '.join(monitored)} chose engine model-monitor; whether this account may use Model Monitor is not "
            f"answered by any API (it takes no new customers): see {MODEL_MONITOR_DOCS}",
        )
    ours = sorted(name for name, engine in engines.items() if engine == "roadway")
    if ours:
        yield Finding(
            clinic.stage, "drift watch", OK, f"Roadway's drift job watches {', '.join(ours)}: no Model Monitor needed"
        )


def identity(clinic: Clinic) -> Iterator[Finding]:
    """The permission sets' half of four eyes: each approver or on-call role this account holds may assume the
    stage's role and set its source identity (iam:SimulatePrincipalPolicy on those roles)."""
    settings = clinic.settings
    targets = [(p, clinic.names.approver_role(clinic.stage)) for p in settings.approvers]
    targets += [(p, clinic.names.break_glass_role(clinic.stage)) for p in settings.break_glass]
    for pattern, role_name in targets:
        yield from _may_assume(clinic, pattern, role_name)
    if targets:
        attribute = (
            f"the session tag {clinic.config.identity.tag}"
            if clinic.config.identity.binding == "session-tag"
            else "the source identity"
        )
        yield Finding(
            clinic.stage,
            "identity attribute",
            CANNOT,
            f"whether your identity provider asserts {attribute} as each person's Roadway name is set where it is "
            "configured (Identity Center's attributes for access control, or the SAML/OIDC mapping), not in this "
            "account: `roadway approve` refused with AccessDenied is the sign",
        )


def _may_assume(clinic: Clinic, pattern: str, role_name: str) -> Iterator[Finding]:
    check = f"identity {role_name}"
    if not pattern.startswith(f"arn:aws:iam::{clinic.account}:role/"):
        yield Finding(clinic.stage, check, CANNOT, f"{pattern} is not a role of this account")
        return
    prefix = _fixed_path(pattern.split(":role", 1)[1])
    roles = [
        r["Arn"]
        for r in clinic.pages("iam", "list_roles", "Roles", PathPrefix=prefix)
        if fnmatch.fnmatchcase(r["Arn"], pattern)
    ]
    if not roles:
        yield Finding(
            clinic.stage,
            check,
            PROBLEM,
            f"no role here matches {pattern}: provision the permission set to account {clinic.account} (nobody can "
            f"assume {role_name} until then)",
        )
        return
    target = clinic.names.role_arn(clinic.account, role_name)
    for role in roles:
        results = clinic.ask(
            "iam",
            "simulate_principal_policy",
            PolicySourceArn=role,
            ActionNames=["sts:AssumeRole", "sts:SetSourceIdentity"],
            ResourceArns=[target],
            ContextEntries=simulated_person(clinic.config),
        )["EvaluationResults"]
        denied = [r["EvalActionName"] for r in results if r["EvalDecision"] != "allowed"]
        missing = sorted({key for r in results for key in r.get("MissingContextValues", [])})
        if denied:
            lacking = f" (the simulator lacked {', '.join(missing)})" if missing else ""
            yield Finding(
                clinic.stage,
                check,
                PROBLEM,
                f"{role.rsplit('/', 1)[-1]} may not {' or '.join(denied)} on {role_name}{lacking}: give its "
                "permission set the policy in cdk.out/identity-setup/ (docs/platform-engineer.md, 'Identity set-up')",
            )
        else:
            yield Finding(
                clinic.stage, check, OK, f"{role.rsplit('/', 1)[-1]} may assume it and set its source identity"
            )


SIMULATED_PERSON = "roadway-doctor"


def simulated_person(config: RoadwayConfig) -> list[dict[str, Any]]:
    """The request a person makes when they approve, for IAM's simulator: their identity provider asserts their
    name (the session tag, or the source identity the binding names) and they set the same name as the source
    identity. Without these keys the simulator would deny what the identity set-up allows only for one's own name."""
    asserted = config.identity.own_name.removeprefix("${").removesuffix("}")
    return [
        {"ContextKeyName": key, "ContextKeyValues": [SIMULATED_PERSON], "ContextKeyType": "string"}
        for key in dict.fromkeys((asserted, "sts:SourceIdentity"))
    ]


def _fixed_path(path: str) -> str:
    """The role path a pattern's roles all share: up to the last ``/`` before its first wildcard."""
    wildcards = [path.index(c) for c in "*?" if c in path]
    return path[: path.rfind("/", 0, min(wildcards, default=len(path))) + 1] or "/"


def code_repositories(clinic: Clinic) -> Iterator[Finding]:
    """A team's CodeCommit repository must exist in dev (Roadway creates none, and CodeCommit takes no new
    customers: an account that never used it cannot create one)."""
    if clinic.stage != "dev":
        return
    for team in clinic.config.teams:
        repository = team.repository()
        if repository is None:
            continue
        name = repository[1]
        try:
            clinic.ask("codecommit", "get_repository", repositoryName=name)
        except ClientError as error:
            if "DoesNotExist" not in error.response.get("Error", {}).get("Code", ""):
                raise
            yield Finding(
                clinic.stage,
                f"repository {name}",
                PROBLEM,
                f"team {team.name}'s code_repository does not exist in {clinic.account}: create it, or leave "
                "code_repository empty (docs/platform-engineer.md, 'A team's code repository')",
            )
            continue
        yield Finding(clinic.stage, f"repository {name}", OK, f"team {team.name}'s repository exists")


def _bootstrap_roles(clinic: Clinic, boundary: str | None, path: str | None) -> Finding:
    """Whether each bootstrap role carries the boundary and sits under the path (the stacks name them by their
    pathed ARNs): a default `cdk bootstrap` bounds at most the execution role, and puts none under a path."""
    wrong: list[str] = []
    for name in bootstrap_roles(clinic.account, clinic.region):
        try:
            role = clinic.ask("iam", "get_role", RoleName=name)["Role"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            wrong.append(f"{name} does not exist")
            continue
        bound = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary is not None and bound != boundary:
            wrong.append(f"{name} is bounded by {bound or 'nothing'}")
        elif path is not None and role.get("Path") != path:
            wrong.append(f"{name} is at path {role.get('Path')}")
    if wrong:
        more = f" and {len(wrong) - 1} more" if len(wrong) > 1 else ""
        profile = f" PROFILE={clinic.settings.aws_profile}" if clinic.settings.aws_profile else ""
        return Finding(
            clinic.stage,
            "bootstrap roles",
            PROBLEM,
            f"{wrong[0]}{more}, and config iam demands every role bounded and pathed: make bootstrap-template, then "
            f"make bootstrap STAGE={clinic.stage.capitalize()}{profile} "
            "BOOTSTRAP_TEMPLATE=build/bootstrap/roadway-bootstrap.yaml",
        )
    return Finding(
        clinic.stage,
        "bootstrap roles",
        OK,
        f"the {len(BOOTSTRAP_ROLE_KINDS)} bootstrap roles carry what config iam demands",
    )


def _deployed_elsewhere(clinic: Clinic, path: str) -> Iterator[Finding]:
    """A road deployed before ``iam.role_path`` was set: a role's path is create-only and its name fixed, so
    CloudFormation cannot move it, and every stack's update would roll back. The promoter role, which every stage
    has, tells."""
    name = clinic.names.promoter_role(clinic.stage)
    try:
        role = clinic.ask("iam", "get_role", RoleName=name)["Role"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        return  # not deployed yet: the path is taken at creation
    if role.get("Path") != path:
        yield Finding(
            clinic.stage,
            "role path",
            PROBLEM,
            f"{name} was deployed at path {role.get('Path')}, and iam.role_path is {path}: a role's path cannot "
            "change (create-only, and the road's roles keep fixed names), so every stack's update would roll back; "
            "deploy the governed road to new accounts, or leave iam.role_path as the road was deployed",
        )


def organization(clinic: Clinic) -> Iterator[Finding]:
    """A governed road's demands (config ``iam``): IAM refuses a role whose boundary policy does not exist, so the
    organization's policy must be in this account before the bootstrap, and the bootstrap's own roles must carry
    it; whether Studio takes execution roles under a path no API says before a domain has used one."""
    arn = clinic.config.iam.boundary_arn(clinic.account)
    path = clinic.config.iam.role_path
    if arn is not None or path is not None:
        yield _bootstrap_roles(clinic, arn, path)
    if path is not None:
        yield from _deployed_elsewhere(clinic, path)
    if arn is not None:
        try:
            clinic.ask("iam", "get_policy", PolicyArn=arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            yield Finding(
                clinic.stage,
                "permissions boundary",
                PROBLEM,
                f"{arn} does not exist in {clinic.account}: every role the road creates names it "
                "(iam.permissions_boundary), and IAM refuses them all until it does; create it before the bootstrap",
            )
        else:
            yield Finding(clinic.stage, "permissions boundary", OK, f"{arn} exists: every role of the road names it")
    if clinic.config.iam.role_path is not None and clinic.stage == "dev":
        yield Finding(
            clinic.stage,
            "studio role path",
            CANNOT,
            f"whether SageMaker Studio takes execution roles under the path {clinic.config.iam.role_path} "
            "(iam.role_path) is verified only on AWS: no API answers it before a domain uses one; a failed deploy "
            "of the Studio stack's profiles, or apps that will not start, is the sign (docs/platform-engineer.md)",
        )


CHECKS = (bootstrap, region, quotas, lambda_concurrency, monitoring, identity, code_repositories, organization)
