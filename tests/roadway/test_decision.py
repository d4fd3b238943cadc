"""`roadway approve` and `roadway reject`: the AssumeRole request carries the person's name as its source identity
(heard on the wire by a botocore event hook, on moto), the synthesized trust admits exactly that request and no
colleague's name (our evaluator, with the keys STS carries), and AWS's refusal is one line naming the binding."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from devtools.synth import Synth
from devtools.variants import ROLE_PATH
from roadway import cli
from roadway.config import RoadwayConfig
from roadway.decision import decide
from roadway.naming import Names
from roadway.road import CliError, Road
from tests import iam
from tests.moto_road import Road as MotoRoad

Run = Callable[..., tuple[int, list[str]]]
SUFFIX = "0a1b2c3d4e5f6a7b"  # the 16 characters IAM Identity Center appends to a permission set's role name


def run(config_path: Any, role_name: str, *argv: str) -> tuple[int, list[str]]:
    printed: list[str] = []
    code = cli.main(["--config", str(config_path), "--role-name", role_name, *argv], out=printed.append)
    return code, printed


@pytest.fixture()
def on_road(road: MotoRoad) -> Run:
    """The CLI on the moto road, signed in as the stage's approver permission set would be."""
    return functools.partial(run, road.config_path, f"AWSReservedSSO_RoadwayApprover_{SUFFIX}")


@pytest.fixture()
def heard(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every AssumeRole request body as botocore serialized it for the wire."""
    requests: list[dict[str, Any]] = []
    original = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = original(self, *args, **kwargs)
        made.meta.events.register(
            "before-call.sts.AssumeRole", lambda params, **_: requests.append(dict(params["body"]))
        )
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return requests


def status_of(road: MotoRoad, stage: str, arn: str) -> str:
    return str(
        road.sessions[stage].client("sagemaker").describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
    )


def test_approve_assumes_the_approver_role_with_the_persons_name_and_approves(
    on_road: Run, road: MotoRoad, heard: list[dict[str, Any]]
) -> None:
    arn = road.register("dev", approved=False)
    version = arn.rsplit("/", 1)[-1]
    code, printed = on_road("approve", f"Dev:{version}", "--as", "maria-lopez", "--reason", "RMSE 0.11, reviewed")
    assert code == 0 and status_of(road, "dev", arn) == "Approved"
    role = road.names.approver_role("dev")
    assert printed == [
        f"dev {road.config.projects[0].name} v{version}: Approved as maria-lopez through {role}; "
        f"test's promotion takes it from here (roadway status --project {road.config.projects[0].name})"
    ]
    decided = heard[-1]
    # The approver role is assumed by its ARN, which carries the road's role path (the moto road is governed).
    assert decided["RoleArn"] == f"arn:aws:iam::{road.accounts['dev']}:role{ROLE_PATH}{role}"
    assert (decided["SourceIdentity"], decided["RoleSessionName"]) == ("maria-lopez", "maria-lopez")
    # Twice is no second decision.
    assert on_road("approve", f"dev:{version}", "--as", "maria-lopez")[1] == [
        f"dev {road.config.projects[0].name} v{version} is already Approved; nothing changed"
    ]


def test_a_break_glass_caller_rejects_through_break_glass_and_prod_always_does(
    road: MotoRoad, heard: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In test, a caller whose own role is one of the stage's break-glass principals (and no approver's) withdraws
    through break-glass; in prod, the only role that decides is break-glass."""
    on_call = functools.partial(run, road.config_path, f"AWSReservedSSO_RoadwayOnCall_{SUFFIX}")
    monkeypatch.setenv("ROADWAY_USER", "lee-oncall")
    for stage in ("test", "prod"):
        arn = road.register(stage, approved=False)
        code, printed = on_call("reject", f"{stage}:{arn.rsplit('/', 1)[-1]}")
        assert code == 0 and status_of(road, stage, arn) == "Rejected", printed
        role = road.names.break_glass_role(stage)
        assert heard[-1]["RoleArn"].endswith(f":role{ROLE_PATH}{role}") and heard[-1]["SourceIdentity"] == "lee-oncall"
        assert printed[0].endswith(
            f"through {role}; {stage}'s promotion withdraws it if served and pages the alarm topic"
        )


def assumed(body: dict[str, Any]) -> tuple[str, str]:
    return body["RoleArn"].rsplit("/", 1)[-1], body["SourceIdentity"]


def test_the_trust_admits_the_request_the_cli_sends_and_no_colleagues_name(
    on_road: Run, road: MotoRoad, heard: list[dict[str, Any]], synth: Synth, config: RoadwayConfig
) -> None:
    """The request heard above, judged by the synthesized trust of the same role (the shipped road's names): STS
    carries ``sts:SourceIdentity`` from the request and the identity provider's session tag from the sign-in."""
    arn = road.register("dev", approved=False)
    assert on_road("approve", f"dev:{arn.rsplit('/', 1)[-1]}", "--as", "maria-lopez")[0] == 0
    role, source_identity = assumed(heard[-1])
    assert role == Names.of(road.config).approver_role("dev")
    template = synth.templates["roadway-dev-platform"]
    trust = iam.trust_statements(template, iam.role_named(template, Names.of(config).approver_role("dev")))
    signed_in = (
        f"arn:aws:iam::{config.stages.dev.account}:role/aws-reserved/sso.amazonaws.com/{config.region}/"
        f"AWSReservedSSO_RoadwayApprover_{SUFFIX}"
    )

    def admits(asserted: str) -> bool:
        context = {"sts:SourceIdentity": source_identity, f"aws:PrincipalTag/{config.identity.tag}": asserted}
        return all(
            iam.may_assume(trust, signed_in, action, iam.as_carried(action, context))
            for action in ("sts:AssumeRole", "sts:SetSourceIdentity")
        )

    assert admits("maria-lopez")
    assert not admits("ana-garcia"), "an author signed in as herself, passing --as maria-lopez"


def test_aws_refusing_the_role_is_one_line_naming_the_binding(
    config: RoadwayConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto decides no trust policy; AWS's answer to a session the trust does not admit is AccessDenied (stubbed)."""
    monkeypatch.setattr(Road, "_session", lambda self, stage: boto3.session.Session(region_name=self.config.region))
    road = Road(config)
    with Stubber(road.client("dev", "sts")) as stub:
        stub.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(CliError) as refused:
            decide(
                road,
                Names.of(config).model(config.projects[0]).model_package_arn(config.stages.dev.account, 7),
                status="Approved",
                name="maria-lopez",
            )
    assert str(refused.value) == (
        "dev: assuming roadway-dev-approver as 'maria-lopez' was refused: your sign-in must be one of "
        "stages.dev.approvers, and 'maria-lopez' must equal the session tag roadway-user your identity provider "
        "asserts for you (identity.binding: session-tag)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("approve", "prod:3", "--as", "li-wei"), "prod has no approver: nothing approved there moves on"),
        (("approve", "dev:3"), "say who decides: --as NAME or ROADWAY_USER=NAME"),
        (("approve", "dev:3", "--as", "ben-okafor"), "--as 'ben-okafor' is not in identity.approver_names"),
        (("approve", "dev:3", "--as", "a b"), "--as 'a b': expected 2-64 letters"),
        (("reject", "dev:3", "--as", "li-wei", "--break-glass"), "dev has no break-glass role"),
        (("approve", "qa:3", "--as", "li-wei"), "unknown stage 'qa'"),
    ],
)
def test_bad_decisions_are_one_line_and_touch_nothing(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROADWAY_USER", raising=False)
    monkeypatch.setattr(Road, "client", lambda *_: pytest.fail("no AWS call for a decision refused up front"))
    assert cli.main(["--config", "config/roadway.yaml", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"roadway: {message}") and err.count("\n") == 1


def test_an_author_who_also_approves_gets_through_the_door_but_not_past_the_promotion(
    on_road: Run, road: MotoRoad
) -> None:
    """The insider: ana-garcia is an author and on the approver list (the moto road's config). `roadway approve`
    lets her set Approved on her own package, as the AWS CLI would; the next stage's promotion reads her name as
    both author and approver and takes nothing. (moto records no caller: the approval's session is written as
    SageMaker would write it from the session the command opened, with her name as source identity.)"""
    from promote_model.handler import handler

    from devtools.moto_accounts import approval_event

    arn = road.register("dev", approved=False, author="ana-garcia")
    assert on_road("approve", f"dev:{arn.rsplit('/', 1)[-1]}", "--as", "ana-garcia")[0] == 0
    road.approved_by("dev", arn, "ana-garcia")
    road.act_as("test")
    outcome = handler(approval_event(arn))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == "approved by its own author ana-garcia; a second person must approve"
    assert road.packages("test") == []
