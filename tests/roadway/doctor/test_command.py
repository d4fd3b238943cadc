"""`roadway doctor` as an operator runs it: one line per check and a summary, JSON for CI, the exit status, and
one line for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.demo import written
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
    test = Clinic(CliRoad(road.config, role_name="x"), "test")
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
        stage: road.config.stage(stage).model_copy(update={"aws_profile": None})  # type: ignore[arg-type]
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
