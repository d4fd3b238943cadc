"""`roadway status` and `roadway trace` against moto with three accounts, after real promotions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from drift_monitor import job
from drift_monitor.job import Window
from drift_monitor.settings import Settings
from promote_model.handler import handler

from roadway import cli
from roadway.moto_accounts import ACCOUNTS, approval_event, drift_environment
from tests.conftest import CONFIG_PATH
from tests.lambdas.promote_model.conftest import Road, road  # noqa: F401 - the three-account fixture


def run(*argv: str) -> tuple[int, list[str]]:
    printed: list[str] = []
    code = cli.main(["--config", str(CONFIG_PATH), "--role-name", "roadway-cli", *argv], out=printed.append)
    return code, printed


@pytest.fixture()
def promoted(road: Road) -> dict[str, Any]:  # noqa: F811
    """v1 promoted dev -> test -> prod; then a worse v2 refused at test's gate."""
    source = road.register("dev", rmse_log=0.11)
    road.act_as("test")
    in_test = handler(approval_event(source))
    road.approve("test", in_test["target_arn"], approver="mlops-lead")
    road.act_as("prod")
    in_prod = handler(approval_event(in_test["target_arn"]))
    worse = road.register("dev", rmse_log=0.2, run="run-2")
    road.act_as("test")
    refused = handler(approval_event(worse))
    assert (in_prod["status"], refused["status"]) == ("promoted", "refused")
    return {"dev": source, "test": in_test["target_arn"], "prod": in_prod["target_arn"], "worse": worse}


def test_status_shows_each_stage_and_the_last_promotion_into_it(promoted: dict[str, Any]) -> None:
    code, (printed,) = run("status", "--json")
    assert code == 0
    rows = {row["stage"]: row for row in json.loads(printed)}
    assert rows["dev"]["approved_version"] == 2 and rows["dev"]["served_version"] is None
    assert rows["dev"]["endpoint_status"] == "no endpoint (dev)" and rows["dev"]["last_promotion"] is None
    assert (rows["test"]["approved_version"], rows["test"]["served_version"]) == (1, 1)
    assert rows["test"]["endpoint_status"] == "InService"
    assert rows["test"]["last_promotion"]["outcome"] == "refused"
    assert "rmse_log 0.2000 is above rmse_log_max 0.1250" in rows["test"]["last_promotion"]["reason"]
    assert (rows["prod"]["approved_version"], rows["prod"]["served_version"]) == (1, 1)
    assert rows["prod"]["last_promotion"]["outcome"] == "promoted"
    assert rows["prod"]["last_promotion"]["target_version"] == "1"


def test_status_prints_a_table_for_people(promoted: dict[str, Any]) -> None:
    code, (printed,) = run("status")
    header, rule, dev, test, prod = printed.splitlines()
    assert code == 0 and header.split()[:6] == ["stage", "account", "approved", "served", "endpoint", "monitoring"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert dev.split()[:3] == ["dev", ACCOUNTS["dev"], "v2"] and "no endpoint (dev)" in dev
    assert test.split()[:4] == ["test", ACCOUNTS["test"], "v1", "v1"] and "refused v2" in test
    assert prod.split()[:5] == ["prod", ACCOUNTS["prod"], "v1", "v1", "InService"] and "promoted v1 -> v1" in prod


def test_status_shows_the_last_monitoring_verdict_of_each_watched_stage(promoted: dict[str, Any], road: Road) -> None:  # noqa: F811
    _, (before,) = run("status", "--json")
    rows = {row["stage"]: row for row in json.loads(before)}
    assert rows["dev"]["monitoring"] is None and rows["test"]["monitoring"] is None  # test serves serverless
    assert rows["prod"]["monitoring"] == {"engine": "roadway", "verdict": "no run yet"}
    # The drift job's first hourly run after the promotion, with the environment CloudFormation gives it: the
    # promoted package's baseline, and an hour without requests.
    template = road.synth.templates["roadway-prod-serving"]
    settings = Settings.from_environment(drift_environment(road.sessions["prod"], template, "prod"))
    assert settings.served_package == promoted["prod"]
    assert settings.baseline_statistics.startswith(f"s3://{road.buckets['prod']}/promoted/")
    s3, cloudwatch = (road.sessions["prod"].client(name) for name in ("s3", "cloudwatch"))
    now = datetime(2026, 11, 26, 11, 15, tzinfo=UTC)
    job.run(s3, cloudwatch, settings, [Window.ending(now, settings.window_minutes)], now)
    _, (after,) = run("status", "--json")
    watch = {row["stage"]: row for row in json.loads(after)}["prod"]["monitoring"]
    assert (watch["engine"], watch["verdict"]) == ("roadway", "no-traffic")
    assert watch["report"].endswith("/monitoring-reports/roadway-prod-house-price/2026/11/26/10/report.json")
    assert watch["window"] == {"start": "2026-11-26T10:00:00Z", "end": "2026-11-26T11:00:00Z"}
    _, (table,) = run("status")
    assert "no-traffic to 2026-11-26T11:00:00Z" in table.splitlines()[-1]


def test_trace_walks_from_prod_back_to_dev(promoted: dict[str, Any]) -> None:
    code, (printed,) = run("trace", "prod:1", "--json")
    assert code == 0
    prod, test, dev = json.loads(printed)
    assert [h["arn"] for h in (prod, test, dev)] == [promoted["prod"], promoted["test"], promoted["dev"]]
    assert (prod["approved_by"], test["approved_by"]) == ("mlops-lead", "mlops-dev")
    assert prod["digests"] == test["digests"] and set(prod["digests"]) >= {"model.tar.gz", "evaluation.json"}
    assert prod["rmse_log"] == test["rmse_log"] == dev["rmse_log"] == "0.110000"
    # the seal taken when the test package was registered, then its promotion
    assert [r["outcome"] for r in prod["promotion"]] == ["sealed", "promoted"]
    assert dev["from"] is None and dev["digests"] == {}


def test_trace_by_arn_prints_the_chain(promoted: dict[str, Any]) -> None:
    code, (printed,) = run("trace", promoted["test"])
    assert code == 0
    assert f"test v1  Approved  {promoted['test']}" in printed and f"dev v1  Approved  {promoted['dev']}" in printed
    assert "ledger      promoted at" in printed and "sha256      " in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("trace", "qa:1"), "roadway: unknown stage 'qa': expected dev, test, prod"),
        (("trace", "latest"), "roadway: expected a model package ARN or stage:version"),
        (
            ("trace", "arn:aws:sagemaker:eu-west-1:444444444444:model-package/house-price/1"),
            "roadway: account 444444444444 is no stage of this road",
        ),
    ],
)
def test_bad_references_are_one_line(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, printed = run(*argv)
    error = capsys.readouterr().err
    assert code == 2 and printed == [] and error.startswith(message) and error.count("\n") == 1


def test_an_unknown_package_is_one_line(road: Road, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    road.act_as("test")
    code, printed = run("trace", "prod:9")
    error = capsys.readouterr().err
    assert code == 2 and printed == [] and error.count("\n") == 1
    assert error.startswith("roadway: no model package arn:aws:sagemaker:eu-west-1:333333333333:model-package/")


def test_missing_credentials_are_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    code = cli.main(["--config", str(CONFIG_PATH), "status"], out=lambda _: None)
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1
    assert error.startswith("roadway: no credentials for stage dev (profile roadway-dev): ")


def test_the_command_is_installed_with_the_project() -> None:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    command = shutil.which("roadway", path=str(Path(sys.executable).parent))
    assert command, "pip install -e . (make's install step) puts `roadway` next to the interpreter"
    result = subprocess.run([command, "trace", "qa:1"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and result.stderr == "roadway: unknown stage 'qa': expected dev, test, prod\n"
