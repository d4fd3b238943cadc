"""Before the first deploy: each check on the moto road, moto answering where it implements the call and a
recorded AWS answer (validated by botocore's Stubber against the service model) where it does not: Service Quotas'
SageMaker quotas, Lambda's account settings and IAM's policy simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from devtools.variants import with_second_project
from roadway.doctor import after, before
from roadway.doctor.findings import CANNOT, OK, PROBLEM, Clinic
from roadway.naming import BOOTSTRAP_QUALIFIER
from roadway.road import CliError
from roadway.road import Road as CliRoad
from stacks.bootstrap_template import governed, roles_of
from tests.moto_road import Road
from tests.roadway.doctor.helpers import BOOTSTRAP_TEMPLATE, bootstrap, lines, recorded, substituted

Clinics = Callable[[str], Clinic]


def test_the_caller_is_the_stages_account(clinic: Clinics) -> None:
    ((check, verdict, detail),) = lines(clinic("prod"), before.caller)
    assert (check, verdict) == ("caller", OK) and "666666666666" in detail


def test_credentials_of_another_account_stop_the_stage_with_one_line(clinic: Clinics) -> None:
    prod = clinic("prod")
    recorded(
        prod,
        "sts",
        [
            (
                "get_caller_identity",
                {"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/x", "UserId": "x"},
            )
        ],
    )
    with pytest.raises(
        CliError, match=r"^prod: role roadway-doctor reaches account 999999999999, not the config's 666666666666"
    ):
        lines(prod, before.caller)


def test_a_profile_set_to_another_region_is_a_problem(clinic: Clinics, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    found = lines(clinic("prod"), before.caller)
    assert found[1][:2] == ("region", PROBLEM) and "is set to eu-central-1, the road is in us-east-2" in found[1][2]


def test_bootstrap_from_the_pinned_template_is_ok(clinic: Clinics) -> None:
    dev = clinic("dev")
    bootstrap(dev)
    ((check, verdict, detail),) = lines(dev, before.bootstrap)
    assert (check, verdict) == ("bootstrap", OK) and "version 33" in detail


def test_no_bootstrap_an_old_one_and_another_stages_trust_are_problems(clinic: Clinics) -> None:
    test, prod, dev = clinic("test"), clinic("prod"), clinic("dev")
    ((_, verdict, detail),) = lines(test, before.bootstrap)
    assert verdict == PROBLEM and "make bootstrap STAGE=Test PROFILE=roadway-test (after make synth)" in detail
    bootstrap(test, version="5")
    ((_, verdict, detail),) = lines(test, before.bootstrap)
    assert verdict == PROBLEM and "version 5; the assembly needs 6 or later" in detail
    bootstrap(prod, TrustedAccounts="444444444444,777777777777")  # dev's account, and a CI account
    ((_, verdict, detail),) = lines(prod, before.bootstrap)
    assert verdict == PROBLEM and "trusts dev (444444444444) to deploy here" in detail
    bootstrap(dev, TrustedAccounts="777777777777")  # only a central deploy account: what the README allows
    ((_, verdict, detail),) = lines(dev, before.bootstrap)
    assert verdict == OK and "also trusts 777777777777" in detail


def test_a_bootstrap_with_another_qualifier_is_a_problem(clinic: Clinics) -> None:
    dev = clinic("dev")
    bootstrap(dev, Qualifier="custom")
    ((_, verdict, detail),) = lines(dev, before.bootstrap)
    assert verdict == PROBLEM and "qualifier custom" in detail


def test_the_region_is_enabled_and_a_disabled_one_is_a_problem(clinic: Clinics) -> None:
    assert lines(clinic("dev"), before.region)[0][1] == OK
    test = clinic("test")
    recorded(
        test, "ec2", [("describe_regions", {"Regions": [{"RegionName": "us-east-2", "OptInStatus": "not-opted-in"}]})]
    )
    ((_, verdict, detail),) = lines(test, before.region)
    assert verdict == PROBLEM and "aws account enable-region --region-name us-east-2" in detail


def quota(name: str, code: str, value: float) -> dict[str, object]:
    """One quota as Service Quotas lists it."""
    return {
        "ServiceCode": "sagemaker",
        "ServiceName": "Amazon SageMaker",
        "QuotaArn": f"arn:aws:servicequotas:us-east-2:666666666666:sagemaker/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def test_prods_endpoint_quota_must_hold_a_blue_green_deployment_at_max_capacity(clinic: Clinics) -> None:
    prod = clinic("prod")
    recorded(
        prod,
        "service-quotas",
        [
            ("list_aws_default_service_quotas", {"Quotas": [quota("ml.m5.large for endpoint usage", "L-614B09FD", 0)]}),
            # The account's applied value, on the second page: it wins over the default.
            (
                "list_service_quotas",
                {"Quotas": [quota("ml.m5.xlarge for endpoint usage", "L-2F737F8D", 4)], "NextToken": "2"},
            ),
            ("list_service_quotas", {"Quotas": [quota("ml.m5.large for endpoint usage", "L-614B09FD", 4)]}),
        ],
    )
    ((check, verdict, detail),) = lines(prod, before.quotas)
    assert (check, verdict) == ("quota ml.m5.large for endpoint usage", PROBLEM)
    assert detail.startswith("4, needs 8 (house-price: 2 x max_capacity 4 during a blue/green deployment)")
    assert "--service-code sagemaker --quota-code L-614B09FD --desired-value 8" in detail


def test_a_quota_this_region_does_not_list_cannot_be_checked_and_enough_is_ok(clinic: Clinics) -> None:
    test = clinic("test")
    name = "Maximum total concurrency that can be allocated across all serverless endpoints"
    recorded(
        test,
        "service-quotas",
        [
            ("list_aws_default_service_quotas", {"Quotas": [quota(name, "L-96300102", 10)]}),
            ("list_service_quotas", {"Quotas": []}),
        ],
    )
    ((_, verdict, detail),) = lines(test, before.quotas)
    assert verdict == OK and detail.startswith("10 (needs 5")
    prod = clinic("prod")
    recorded(
        prod,
        "service-quotas",
        [("list_aws_default_service_quotas", {"Quotas": []}), ("list_service_quotas", {"Quotas": []})],
    )
    ((_, verdict, detail),) = lines(prod, before.quotas)
    assert verdict == CANNOT and "Service Quotas lists no such sagemaker quota in us-east-2" in detail


def test_a_refused_read_is_cannot_check_not_a_problem(clinic: Clinics) -> None:
    dev = clinic("dev")
    recorded(dev, "lambda", [("get_account_settings", "AccessDeniedException")])
    assert lines(dev, before.lambda_concurrency) == [
        ("lambda concurrency", CANNOT, "these credentials may not call lambda:GetAccountSettings")
    ]


@pytest.mark.parametrize(("unreserved", "verdict"), [(10, OK), (5, PROBLEM)])
def test_lambda_concurrency_holds_what_the_stages_functions_run_at_once(
    clinic: Clinics, unreserved: int, verdict: str
) -> None:
    prod = clinic("prod")  # the work queue's 5, the rollback recorder, one drift job: 7
    settings = {"AccountLimit": {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": unreserved}}
    recorded(prod, "lambda", [("get_account_settings", settings)])
    ((_, found, detail),) = lines(prod, before.lambda_concurrency)
    assert found == verdict and f"{unreserved} unreserved of 10" in detail and "needs 7" in detail


def test_model_monitor_cannot_be_checked_and_roadways_job_needs_nothing(clinic: Clinics) -> None:
    ((check, verdict, _),) = lines(clinic("prod"), before.monitoring)
    assert (check, verdict) == ("drift watch", OK)
    assert lines(clinic("dev"), before.monitoring) == []


def roles(*names: str) -> dict[str, object]:
    """IAM's list of roles under Identity Center's path."""
    from datetime import UTC, datetime

    path = "/aws-reserved/sso.amazonaws.com/us-east-2/"
    return {
        "Roles": [
            {
                "Path": path,
                "RoleName": name,
                "RoleId": "AROAEXAMPLEEXAMPLE01",
                "Arn": f"arn:aws:iam::555555555555:role{path}{name}",
                "CreateDate": datetime(2026, 1, 1, tzinfo=UTC),
            }
            for name in names
        ]
    }


def simulated(**decisions: str) -> dict[str, object]:
    return {
        "EvaluationResults": [
            {"EvalActionName": action, "EvalResourceName": "*", "EvalDecision": decision}
            for action, decision in decisions.items()
        ]
    }


def test_each_permission_set_may_assume_the_stages_role_and_set_its_source_identity(clinic: Clinics) -> None:
    test = clinic("test")  # approvers and on-call
    recorded(
        test,
        "iam",
        [
            (
                "list_roles",
                roles("AWSReservedSSO_RoadwayApprover_0123456789abcdef", "AWSReservedSSO_Other_0123456789abcdef"),
            ),
            (
                "simulate_principal_policy",
                simulated(**{"sts:AssumeRole": "allowed", "sts:SetSourceIdentity": "allowed"}),
            ),
            ("list_roles", roles("AWSReservedSSO_RoadwayOnCall_0123456789abcdef")),
            (
                "simulate_principal_policy",
                simulated(**{"sts:AssumeRole": "allowed", "sts:SetSourceIdentity": "implicitDeny"}),
            ),
        ],
    )
    found = lines(test, before.identity)
    assert found[0][:2] == ("identity harbor-test-approver", OK)
    assert found[1][:2] == ("identity harbor-test-break-glass", PROBLEM)
    assert "may not sts:SetSourceIdentity on harbor-test-break-glass" in found[1][2]
    assert found[2][:2] == ("identity attribute", CANNOT) and "session tag roadway-user" in found[2][2]


def test_the_simulator_is_asked_as_a_person_naming_themselves_which_the_identity_set_up_allows(
    clinic: Clinics,
) -> None:
    """The question the doctor puts to IAM's simulator carries the keys AWS sends when a person approves (their
    asserted name, and the same name as source identity); the identity set-up's policy allows exactly that, and
    without those keys denies it, so a correct permission set is never reported as a problem."""
    from stacks import identity_setup
    from tests import iam

    test = clinic("test")
    context = before.simulated_person(test.config)
    assert [entry["ContextKeyName"] for entry in context] == ["aws:PrincipalTag/roadway-user", "sts:SourceIdentity"]
    role = test.names.role_arn(test.account, test.names.approver_role("test"))
    stubber = recorded(test, "iam", [("list_roles", roles("AWSReservedSSO_RoadwayApprover_0123456789abcdef"))])
    stubber.add_response(
        "simulate_principal_policy",
        simulated(**{"sts:AssumeRole": "allowed", "sts:SetSourceIdentity": "allowed"}),
        {
            "PolicySourceArn": "arn:aws:iam::555555555555:role/aws-reserved/sso.amazonaws.com/us-east-2/"
            "AWSReservedSSO_RoadwayApprover_0123456789abcdef",
            "ActionNames": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "ResourceArns": [role],
            "ContextEntries": context,
        },
    )
    stubber.add_response("list_roles", roles())
    assert lines(test, before.identity)[0][:2] == ("identity harbor-test-approver", OK)
    granted = identity_setup.documents(test.config, "test")["approver"]["Statement"]
    asked = {entry["ContextKeyName"]: entry["ContextKeyValues"][0] for entry in context}
    for action in ("sts:AssumeRole", "sts:SetSourceIdentity"):
        assert iam.allowed(granted, action, role, asked)
    assert not iam.allowed(granted, "sts:SetSourceIdentity", role, {})


def test_no_provisioned_permission_set_is_a_problem_and_a_refused_simulation_cannot_check(clinic: Clinics) -> None:
    test = clinic("test")
    recorded(
        test,
        "iam",
        [
            ("list_roles", roles()),
            ("list_roles", roles("AWSReservedSSO_RoadwayOnCall_0123456789abcdef")),
            ("simulate_principal_policy", "AccessDenied"),
        ],
    )
    found = lines(test, before.identity)
    assert found[0][:2] == ("identity harbor-test-approver", PROBLEM) and "provision the permission set" in found[0][2]
    assert found[1] == ("identity", CANNOT, "these credentials may not call iam:SimulatePrincipalPolicy")


def test_a_teams_code_repository_must_exist_in_dev(road: Road) -> None:
    dev = Clinic.at(CliRoad(with_second_project(road.config), role_name="roadway-doctor"), "dev")
    ((check, verdict, detail),) = lines(dev, before.code_repositories)
    assert (check, verdict) == ("repository retention-models", PROBLEM)
    assert "team retention's code_repository does not exist in 444444444444" in detail
    dev.client("codecommit").create_repository(repositoryName="retention-models")
    assert lines(dev, before.code_repositories) == [
        ("repository retention-models", OK, "team retention's repository exists")
    ]


def deny_everything(clinic: Clinic) -> None:
    """Every call the stage's session makes from here on is refused, as AWS refuses a role without the policy."""

    def deny(model: object, **_: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, model.name)  # type: ignore[attr-defined]

    clinic.road._session(clinic.stage).events.register("before-call", deny)


@pytest.mark.parametrize("check", [*before.CHECKS, *after.CHECKS], ids=lambda check: check.__name__)
def test_every_check_that_is_refused_says_it_cannot_check(road: Road, check: Callable) -> None:
    """No check turns a refusal into a verdict: each says which call it may not make (prod, or dev for the
    teams' repositories; the Model Monitor check asks AWS nothing)."""
    stage = "dev" if check is before.code_repositories else "prod"
    clinic = Clinic.at(CliRoad(with_second_project(road.config), role_name="roadway-doctor"), stage)
    deny_everything(clinic)
    found = lines(clinic, check)
    if check is before.monitoring:
        assert [verdict for _, verdict, _ in found] == [OK]
        return
    ((_, verdict, detail),) = found
    assert verdict == CANNOT and detail.startswith("these credentials may not call ")


def test_model_monitor_chosen_cannot_be_checked_and_points_at_the_docs(road: Road) -> None:
    from devtools.variants import with_engine

    prod = Clinic.at(CliRoad(with_engine(road.config, "model-monitor"), role_name="roadway-doctor"), "prod")
    ((check, verdict, detail),) = lines(prod, before.monitoring)
    assert (check, verdict) == ("model monitor", CANNOT)
    assert "house-price chose engine model-monitor" in detail and "docs/mlops.md, 'Watching prod for drift'" in detail


def test_a_bootstrap_stack_that_failed_is_a_problem(clinic: Clinics) -> None:
    from datetime import UTC, datetime

    dev = clinic("dev")
    failed = {
        "StackName": "CDKToolkit",
        "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
        "StackStatus": "ROLLBACK_COMPLETE",
    }
    recorded(dev, "cloudformation", [("describe_stacks", {"Stacks": [failed]})])
    ((_, verdict, detail),) = lines(dev, before.bootstrap)
    assert verdict == PROBLEM and detail.startswith("CDKToolkit is ROLLBACK_COMPLETE: make bootstrap STAGE=")


def test_the_permission_sets_role_is_found_on_any_page_of_iams_list(clinic: Clinics) -> None:
    """IAM pages its roles with Marker and IsTruncated, not NextToken: the approver's role on the second page is
    found all the same."""
    test = clinic("test")
    first = {**roles("AWSReservedSSO_Other_0123456789abcdef"), "IsTruncated": True, "Marker": "page-2"}
    stubber = recorded(test, "iam", [("list_roles", first)])
    stubber.add_response(
        "list_roles",
        roles("AWSReservedSSO_RoadwayApprover_0123456789abcdef"),
        {"PathPrefix": "/aws-reserved/sso.amazonaws.com/us-east-2/", "Marker": "page-2"},
    )
    stubber.add_response(
        "simulate_principal_policy", simulated(**{"sts:AssumeRole": "allowed", "sts:SetSourceIdentity": "allowed"})
    )
    stubber.add_response("list_roles", roles())
    assert lines(test, before.identity)[0][:2] == ("identity harbor-test-approver", OK)


def _bootstrapped(clinic: Clinic, template: dict[str, Any]) -> None:
    """The template's roles as CloudFormation would create them in the clinic's account (moto's CloudFormation
    takes seconds over the whole bootstrap stack; the check reads only the roles)."""
    values = {"Qualifier": BOOTSTRAP_QUALIFIER, "AWS::AccountId": clinic.account, "AWS::Region": clinic.region}
    values["AWS::Partition"] = "aws"

    def text(node: Any) -> str | None:
        if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
            return substituted(node["Fn::Sub"], values)
        return node if isinstance(node, str) else None  # an Fn::If on parameters left at their defaults: none

    for role in roles_of(template).values():
        properties = role["Properties"]
        boundary = text(properties.get("PermissionsBoundary"))
        clinic.road._session(clinic.stage).client("iam").create_role(
            RoleName=text(properties["RoleName"]),
            Path=properties.get("Path", "/"),
            AssumeRolePolicyDocument="{}",
            **({"PermissionsBoundary": boundary} if boundary else {}),
        )


def test_a_governed_roads_bootstrap_roles_and_boundary_are_checked_and_studios_path_is_verified_only_on_aws(
    road: Road, clinic: Clinics
) -> None:
    """The moto road is governed (devtools/variants.py governed). Its bootstrap roles are read as IAM holds them:
    missing, then as the CLI's own template makes them (unbounded, no path), then as `make bootstrap-template`'s
    makes them. Its boundary is looked up by name. Studio's acceptance of a role path is named as what only AWS can
    answer, in dev alone."""
    from devtools.variants import BOUNDARY, ROLE_PATH

    dev, prod, test = clinic("dev"), clinic("prod"), clinic("test")
    (roles, boundary) = lines(prod, before.organization)
    assert roles[:2] == ("bootstrap roles", PROBLEM) and roles[2].startswith(
        f"cdk-hnb659fds-deploy-role-{prod.account}-{prod.region} does not exist and 4 more"
    )
    assert "make bootstrap-template, then make bootstrap STAGE=Prod" in roles[2]
    assert boundary[:2] == ("permissions boundary", PROBLEM)
    assert f"arn:aws:iam::{prod.account}:policy/{BOUNDARY} does not exist in {prod.account}" in boundary[2]

    pinned = yaml.safe_load(BOOTSTRAP_TEMPLATE.read_text())
    _bootstrapped(test, pinned)
    assert lines(test, before.organization)[0][2].startswith("cdk-hnb659fds-deploy-role-"), "the CLI's: no boundary"
    assert "is bounded by nothing and 4 more" in lines(test, before.organization)[0][2]

    _bootstrapped(prod, governed(pinned, permissions_boundary=BOUNDARY, role_path=ROLE_PATH))
    road.sessions["prod"].client("iam").create_policy(
        PolicyName=BOUNDARY,
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    )
    assert [(c, v) for c, v, _ in lines(prod, before.organization)] == [
        ("bootstrap roles", OK),
        ("permissions boundary", OK),
    ]
    found = lines(dev, before.organization)
    assert [(c, v) for c, v, _ in found] == [
        ("bootstrap roles", PROBLEM),
        ("permissions boundary", PROBLEM),
        ("studio role path", CANNOT),
    ]
    assert f"under the path {ROLE_PATH}" in found[2][2] and "verified only on AWS" in found[2][2]


def test_a_road_deployed_before_its_role_path_was_set_is_a_problem(road: Road, clinic: Clinics) -> None:
    """A role's path is create-only and the road's roles keep fixed names: the promoter found at another path
    means every stack's update would roll back. At the configured path, or not yet deployed, nothing is said."""
    from devtools.variants import ROLE_PATH

    test, prod = clinic("test"), clinic("prod")
    for stage, path in ((test, "/"), (prod, ROLE_PATH)):
        road.sessions[stage.stage].client("iam").create_role(
            RoleName=stage.names.promoter_role(stage.stage), Path=path, AssumeRolePolicyDocument="{}"
        )
    moved = [line for line in lines(test, before.organization) if line[0] == "role path"]
    assert [(c, v) for c, v, _ in moved] == [("role path", PROBLEM)]
    assert f"{test.names.promoter_role('test')} was deployed at path /, and iam.role_path is {ROLE_PATH}" in moved[0][2]
    assert [line for line in lines(prod, before.organization) if line[0] == "role path"] == []
    assert [line for line in lines(clinic("dev"), before.organization) if line[0] == "role path"] == []
