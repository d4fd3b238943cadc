"""`roadway doctor` as an operator runs it: one line per check and a summary, JSON for CI, the exit status, and
one line for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.variants import written
from roadway import cli
from roadway.doctor.findings import Clinic
from roadway.naming import Exported
from roadway.road import Road as CliRoad
from tests.moto_road import Road


def doctor(road: Road, *argv: str, config: Path | None = None) -> tuple[int, list[str]]:
    printed: list[str] = []
    path = config or road.config_path
    code = cli.main(["--config", str(path), "--role-name", "roadway-doctor", "doctor", *argv], out=printed.append)
    return code, printed


def test_a_problem_exits_1_and_nothing_wrong_exits_0(road: Road, capsys: pytest.CaptureFixture[str]) -> None:
    code, (printed,) = doctor(road, "--stage", "test", "--after", "--json")
    report = json.loads(printed)
    assert code == 1 and report["problems"] == 1
    (problem,) = [f for f in report["findings"] if f["verdict"] == "problem"]
    assert (problem["stage"], problem["check"]) == ("test", "alarm topic")
    test = Clinic.at(CliRoad(road.config, role_name="x"), "test")
    test.client("sns").subscribe(TopicArn=test.export(Exported.ALARM_TOPIC), Protocol="email", Endpoint="a@example.com")
    code, (printed,) = doctor(road, "--stage", "test", "--after")
    assert code == 0, printed
    text = printed.splitlines()
    assert text[0].startswith("test  ok           caller: ")
    assert text[-1] == f"{len(text) - 1} ok, 0 problem(s), 0 cannot check"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--stage", "qa"), "roadway: --stage 'qa': expected dev, test or prod, or --all\n"),
        ((), "roadway: name a --stage or --all\n"),
        (
            ("--all", "--probe", "everything"),
            "roadway: --probe 'everything': expected one of event-delivery, alarm-delivery, registry-event, or all\n",
        ),
        (("--all", "--wait", "-5"), "roadway: --wait -5: expected seconds, 0 or more\n"),
    ],
)
def test_bad_input_is_one_line(
    road: Road, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert doctor(road, *argv)[0] == 2
    assert capsys.readouterr().err == message


def test_credentials_of_another_account_are_one_line(road: Road, capsys: pytest.CaptureFixture[str]) -> None:
    """Profiles left out: the environment's credentials, which are moto's default account, not the road's."""
    stages = {
        stage: road.config.stage(stage).model_copy(update={"aws_profile": None})
        for stage in ("dev", "test", "prod")
    }
    elsewhere = road.config.model_copy(update={"stages": road.config.stages.model_copy(update=stages)})
    path = written(elsewhere, road.config_path.parent / "elsewhere.yaml")
    printed: list[str] = []
    assert cli.main(["--config", str(path), "doctor", "--stage", "dev"], out=printed.append) == 2
    assert capsys.readouterr().err == (
        "roadway: dev: profile default reaches account 123456789012, not the config's 444444444444 "
        "(stages.dev.account, aws_profile)\n"
    )


def test_a_missing_profile_is_one_line(road: Road, capsys: pytest.CaptureFixture[str]) -> None:
    printed: list[str] = []
    assert cli.main(["--config", str(road.config_path), "doctor", "--stage", "prod"], out=printed.append) == 2
    assert capsys.readouterr().err == (
        "roadway: prod: no credentials: profile roadway-prod is not configured (aws configure sso, or --role-name)\n"
    )


def test_the_doctors_identity_set_up_grants_every_call_its_checks_make(
    road: Road, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actions come from the doctor's own calls, recorded as it runs every check of every stage on the moto
    road (AWS's recorded answers where moto has none), not from a list of ours: each must be granted by the
    stage's `doctor` policy that `make synth` writes (stacks/identity_setup.py)."""
    from botocore.awsrequest import AWSResponse

    from roadway.doctor import diagnose
    from stacks import identity_setup
    from tests import iam

    answers: dict[str, dict[str, object]] = {
        "ListAWSDefaultServiceQuotas": {"Quotas": []},
        "ListServiceQuotas": {"Quotas": []},
        "GetAccountSettings": {"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}},
        "SimulatePrincipalPolicy": {"EvaluationResults": []},
        # moto answers this one (test_before), but sets up a whole EC2 account to: recorded here to keep it quick.
        "DescribeRegions": {"Regions": [{"RegionName": road.region, "OptInStatus": "opt-in-not-required"}]},
    }
    made: dict[str, set[str]] = {}
    current = {"stage": ""}

    def recorded_answer(model: Any, **_: Any) -> Any:
        if model.name in answers:
            return AWSResponse(None, 200, {}, None), answers[model.name]
        return None

    road.sessions["test"].client("iam").create_role(  # an approver permission set, provisioned to test
        RoleName="AWSReservedSSO_RoadwayApprover_0123456789abcdef",
        Path=f"/aws-reserved/sso.amazonaws.com/{road.region}/",
        AssumeRolePolicyDocument="{}",
    )
    iam.record_actions(monkeypatch, lambda action: made.setdefault(current["stage"], set()).add(action))
    operator = CliRoad(road.config, role_name="roadway-doctor")
    for stage in ("dev", "test", "prod"):
        current["stage"] = stage
        operator._session(stage).events.register("before-call", recorded_answer)
        diagnose(operator, [stage])
    assert "iam:SimulatePrincipalPolicy" in made["test"] and "sqs:GetQueueAttributes" in made["prod"]
    for stage, actions in made.items():
        granted = identity_setup.doctor(road.config, stage)["Statement"]  # type: ignore[arg-type]
        for action in sorted(actions):
            assert iam.names_action(granted, action), f"{stage}: {action} is not granted"


def test_an_interrupted_probe_prints_what_it_found_and_exits_130(road: Road, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from roadway.doctor import probes

    def interrupted(clinic: Clinic, made: list[probes.Temporary], wait: float) -> probes.Finding:
        raise KeyboardInterrupt

    stopped = dataclasses.replace(probes.PROBES["event-delivery"], steps=interrupted)
    monkeypatch.setitem(probes.PROBES, "event-delivery", stopped)
    code, (printed,) = doctor(road, "--stage", "prod", "--after", "--probe", "event-delivery")
    assert code == 130
    assert printed.splitlines()[-2] == "prod  cannot check probe event-delivery: interrupted"
