"""`roadway status` and `roadway trace` against moto with three accounts, after real promotions."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from drift_monitor import job
from drift_monitor.job import Window
from drift_monitor.settings import Settings
from promote_model.events import package_group
from promote_model.handler import handler

from devtools.moto_accounts import approval_event, drift_environment
from devtools.synth import CONFIG_PATH
from roadway import cli
from tests.moto_road import Road


def run(*argv: str, config: Path = CONFIG_PATH) -> tuple[int, list[str]]:
    printed: list[str] = []
    code = cli.main(["--config", str(config), "--role-name", "roadway-cli", *argv], out=printed.append)
    return code, printed


Run = Callable[..., tuple[int, list[str]]]


@pytest.fixture()
def on_road(road: Road) -> Run:
    """The CLI on the moto road, reading the road's config as an operator's file."""
    return functools.partial(run, config=road.config_path)


@pytest.fixture()
def promoted(road: Road) -> dict[str, Any]:
    """v1 promoted dev -> test -> prod; then a worse v2 refused at test's gate (built once per worker)."""
    return road.checkpoint("promoted", functools.partial(promote_and_refuse, road))


def promote_and_refuse(road: Road) -> dict[str, Any]:
    source = road.register("dev", rmse_log=0.11)
    road.act_as("test")
    in_test = handler(approval_event(source))
    road.approve("test", in_test["target_arn"], approver="li-wei")
    road.act_as("prod")
    in_prod = handler(approval_event(in_test["target_arn"]))
    worse = road.register("dev", rmse_log=0.2, run="run-2")
    road.act_as("test")
    refused = handler(approval_event(worse))
    assert (in_prod["status"], refused["status"]) == ("promoted", "refused")
    return {"dev": source, "test": in_test["target_arn"], "prod": in_prod["target_arn"], "worse": worse}


def test_status_shows_each_stage_and_the_last_promotion_into_it(on_road: Run, promoted: dict[str, Any]) -> None:
    code, (printed,) = on_road("status", "--json")
    assert code == 0
    assert on_road("--json", "status") == (0, [printed]), "--json before the command, as --config may be"
    rows = {row["stage"]: row for row in json.loads(printed)}
    assert rows["dev"]["approved_version"] == 2 and rows["dev"]["served_version"] is None
    assert rows["dev"]["endpoint_status"] == "none" and rows["dev"]["last_promotion"] is None
    assert (rows["test"]["approved_version"], rows["test"]["served_version"]) == (1, 1)
    assert rows["test"]["endpoint_status"] == "InService"
    assert rows["test"]["last_promotion"]["outcome"] == "refused"
    assert "rmse_log 0.2000 is above rmse_log_max 0.1250" in rows["test"]["last_promotion"]["reason"]
    assert (rows["prod"]["approved_version"], rows["prod"]["served_version"]) == (1, 1)
    assert rows["prod"]["last_promotion"]["outcome"] == "promoted"
    last = rows["prod"]["last_promotion"]
    assert (last["source_stage"], last["source_version"], last["target_version"]) == ("test", 1, 1)
    assert_typed(rows)


ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


def assert_typed(document: Any) -> None:
    """Machine fields: versions are integers or null, every time is ISO 8601 UTC, nothing is prose."""
    import re

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif key.endswith("version"):
            assert node is None or isinstance(node, int), (key, node)
        elif key in ("at", "created", "approved_at") and node is not None:
            assert re.match(ISO_UTC, node), (key, node)
        elif key in ("endpoint_status", "verdict", "outcome", "status") and node is not None:
            assert " " not in node, (key, node)

    walk(document)


def test_status_prints_a_table_for_people(on_road: Run, promoted: dict[str, Any], road: Road) -> None:
    accounts = road.accounts
    code, (printed,) = on_road("status")
    header, rule, dev, test, prod = printed.splitlines()
    assert code == 0
    assert header.split()[:7] == ["project", "stage", "account", "approved", "served", "endpoint", "monitoring"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert dev.split()[:4] == ["house-price", "dev", accounts["dev"], "v2"] and "no endpoint (dev)" in dev
    assert test.split()[:5] == ["house-price", "test", accounts["test"], "v1", "v1"] and "refused dev v2 at " in test
    assert prod.split()[:6] == ["house-price", "prod", accounts["prod"], "v1", "v1", "InService"]
    assert "promoted test v1 as prod v1 at 20" in prod


def test_status_shows_the_last_monitoring_verdict_of_each_watched_stage(
    on_road: Run, promoted: dict[str, Any], road: Road
) -> None:
    _, (before,) = on_road("status", "--json")
    rows = {row["stage"]: row for row in json.loads(before)}
    assert rows["dev"]["monitoring"] is None and rows["test"]["monitoring"] is None  # test serves serverless
    assert rows["prod"]["monitoring"] == {"engine": "roadway", "verdict": "no-run-yet"}
    # The drift job's first hourly run after the promotion, with the environment CloudFormation gives it: the
    # promoted package's baseline, and an hour without requests.
    stack = road.serving_stack("prod")
    configured = Settings.from_environment(drift_environment(road.sessions["prod"], road.synth.templates[stack], stack))
    settings = configured.serving(road.sessions["prod"].client("cloudformation"))  # what the stack serves now
    assert settings is not None and settings.served_package == promoted["prod"]
    assert settings.baseline_statistics.startswith(f"s3://{road.buckets['prod']}/promoted/")
    s3, cloudwatch = (road.sessions["prod"].client(name) for name in ("s3", "cloudwatch"))
    now = datetime(2026, 11, 26, 11, 15, tzinfo=UTC)
    job.run(s3, cloudwatch, settings, [Window.ending(now, settings.window_minutes)], now)
    _, (after,) = on_road("status", "--json")
    watch = {row["stage"]: row for row in json.loads(after)}["prod"]["monitoring"]
    assert (watch["engine"], watch["verdict"]) == ("roadway", "no-traffic")
    endpoint = road.model("house-price").endpoint("prod")
    assert watch["report"].endswith(f"/monitoring-reports/{endpoint}/2026/11/26/10/report.json")
    assert watch["window"] == {"start": "2026-11-26T10:00:00Z", "end": "2026-11-26T11:00:00Z"}
    _, (table,) = on_road("status")
    assert "no-traffic to 2026-11-26T11:00:00Z" in table.splitlines()[-1]


def test_trace_walks_from_prod_back_to_dev(on_road: Run, promoted: dict[str, Any]) -> None:
    code, (printed,) = on_road("trace", "prod:1", "--json")
    assert code == 0
    prod, test, dev = json.loads(printed)
    assert [h["arn"] for h in (prod, test, dev)] == [promoted["prod"], promoted["test"], promoted["dev"]]
    assert (prod["approved_by"], test["approved_by"]) == ("li-wei", "maria-lopez")
    assert prod["digests"] == test["digests"] and set(prod["digests"]) >= {"model.tar.gz", "evaluation.json"}
    assert prod["rmse_log"] == test["rmse_log"] == dev["rmse_log"] == 0.11
    # each package's seal in its own stage, then what the next stage did with it
    assert [(r["stage"], r["outcome"]) for r in test["ledger"]] == [("test", "sealed"), ("prod", "promoted")]
    assert [(r["stage"], r["outcome"]) for r in dev["ledger"]] == [("dev", "sealed"), ("test", "promoted")]
    assert test["ledger"][1]["target_version"] == 1
    assert dev["from"] is None and dev["digests"] == test["digests"], "dev's digests come from its seal"
    assert_typed([prod, test, dev])


def test_trace_shows_each_hops_bias_figures_and_where_its_reports_lie(
    on_road: Run, promoted: dict[str, Any], road: Road
) -> None:
    """The moto road's made reports: NAmes 0.10 and OldTown 0.14 (ratio 1.4), OldTown valued 0.03 too low. Each hop
    reads its own copy: prod's lies in prod's bucket."""
    _, (printed,) = on_road("trace", "prod:1", "--json")
    prod, _, dev = json.loads(printed)
    for hop, stage in ((prod, "prod"), (dev, "dev")):
        assert hop["bias"]["report"].startswith(f"s3://{road.buckets[stage]}/") and hop["bias"]["readable"]
        assert hop["bias"]["group_rmse_ratio"] == {
            "value": pytest.approx(1.4),
            "facet": "Neighborhood",
            "largest": "OldTown",
            "smallest": "NAmes",
        }
        assert hop["bias"]["group_residual"]["value"] == pytest.approx(-0.03)
        assert [t["feature"] for t in hop["explanations"]["top"]] == ["Overall.Qual", "log.area"]
    _, (text,) = on_road("trace", "prod:1")
    assert "    bias        group_rmse_ratio 1.40 (Neighborhood: OldTown over NAmes)" in text
    assert "    bias        group_residual 0.0300 (Neighborhood: OldTown, valued too low)" in text
    assert text.count("    bias report s3://") == 3 and text.count("    explained   Overall.Qual 0.0500") == 3


def test_trace_shows_every_outcome_including_a_refusal_downstream(on_road: Run, promoted: dict[str, Any]) -> None:
    code, (printed,) = on_road("trace", "dev:2", "--json")
    (dev,) = json.loads(printed)
    assert code == 0 and dev["arn"] == promoted["worse"]
    refused = [r for r in dev["ledger"] if r["outcome"] == "refused"]
    assert refused and refused[0]["stage"] == "test" and "above rmse_log_max" in refused[0]["reason"]
    # The refusal's figures as numbers, not only prose; and who approved what was refused.
    assert refused[0]["metrics"] == {"rmse_log": 0.2, "rmse_log_max": 0.125}
    assert refused[0]["approved_by"] == "maria-lopez"
    _, (text,) = on_road("trace", "dev:2")
    assert "ledger      test refused at 20" in text and "rmse_log 0.2000 is above rmse_log_max" in text
    assert "(approved by maria-lopez)" in text


def test_trace_by_arn_prints_the_chain(on_road: Run, promoted: dict[str, Any]) -> None:
    code, (printed,) = on_road("trace", promoted["test"])
    assert code == 0
    assert f"test v1  Approved  {promoted['test']}" in printed and f"dev v1  Approved  {promoted['dev']}" in printed
    assert "ledger      prod promoted as prod v1 at 20" in printed and "sha256      " in printed


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


def test_an_unknown_package_is_one_line(on_road: Run, road: Road, capsys: pytest.CaptureFixture[str]) -> None:
    road.act_as("test")
    code, printed = on_road("trace", "prod:9")
    error = capsys.readouterr().err
    assert code == 2 and printed == [] and error.count("\n") == 1
    assert error.startswith(f"roadway: no model package arn:aws:sagemaker:{road.region}:{road.accounts['prod']}:")


def test_missing_credentials_are_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    code = cli.main(["--config", str(CONFIG_PATH), "status"], out=lambda _: None)
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1
    assert error.startswith("roadway: dev: no credentials: profile roadway-dev is not configured")


def test_an_unreachable_endpoint_is_not_called_missing_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y"), ("AWS_MAX_ATTEMPTS", "1")):
        monkeypatch.setenv(name, value)
    code = cli.main(
        ["--config", str(CONFIG_PATH), "status", "--endpoint-url", "http://127.0.0.1:9", "--role-name", "r"],
        out=lambda _: None,
    )
    error = capsys.readouterr().err
    assert code == 2 and error == "roadway: dev: assuming role r: cannot reach http://127.0.0.1:9/\n"
    import yaml

    raw = yaml.safe_load(CONFIG_PATH.read_text())
    for stage in raw["stages"].values():
        stage.pop("aws_profile", None)  # the environment's credentials, straight to the unreachable endpoint
    config = tmp_path / "no-profiles.yaml"
    config.write_text(yaml.safe_dump(raw))
    code = cli.main(["--config", str(config), "trace", "prod:1", "--endpoint-url", "http://127.0.0.1:9"], out=print)
    error = capsys.readouterr().err
    assert code == 2 and error == "roadway: prod: sagemaker describe_model_package: cannot reach http://127.0.0.1:9/\n"


def test_version_and_options_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import metadata

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out == f"roadway {metadata.version('roadway')}\n"
    code = cli.main(["trace", "qa:1", "--config", str(CONFIG_PATH), "--role-name", "r"], out=lambda _: None)
    assert code == 2 and capsys.readouterr().err.startswith("roadway: unknown stage 'qa'"), "options after it parse"


def test_the_default_config_from_another_directory_says_where_to_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["status"], out=lambda _: None) == 2
    assert "not found in " in (error := capsys.readouterr().err) and "run roadway from the project's root" in error


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 11, 24, 19, 10, 33, 377000, tzinfo=UTC), "2026-11-24T19:10:33Z"),
        ("2026-11-24T19:10:32.611012Z", "2026-11-24T19:10:32Z"),
        ("2026-11-24 20:10:32.632000+01:00", "2026-11-24T19:10:32Z"),
        (None, None),
    ],
)
def test_one_timestamp_format(value: Any, expected: str | None) -> None:
    assert cli.iso_utc(value) == expected


def test_the_command_is_installed_with_the_project() -> None:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    command = shutil.which("roadway", path=str(Path(sys.executable).parent))
    assert command, "pip install -e . (make's install step) puts `roadway` next to the interpreter"
    result = subprocess.run([command, "trace", "qa:1"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and result.stderr == "roadway: unknown stage 'qa': expected dev, test, prod\n"


def test_trace_shows_a_break_glass_withdrawal_on_the_withdrawn_package(on_road: Run, road: Road) -> None:
    road.serve_in_prod("run-1")
    v2 = road.serve_in_prod("run-2")
    road.reject("prod", v2)
    road.act_as("prod")
    assert handler(approval_event(v2, status="Rejected"))["status"] == "withdrawn"
    code, (printed,) = on_road("trace", "prod:2", "--json")
    prod = json.loads(printed)[0]
    assert code == 0 and ("prod", "break-glass") in [(r["stage"], r["outcome"]) for r in prod["ledger"]]


def test_trace_without_access_to_the_next_account_says_what_it_could_not_read(
    on_road: Run, promoted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone with dev access only still traces a dev package, and is told that test's ledger was not read."""
    read = cli.Road._read_ledger

    def denied(self: cli.Road, stage: str) -> list[dict[str, Any]]:
        if stage == "test":
            raise cli.CliError("test: reading the promotion ledger failed: AccessDenied")
        return read(self, stage)

    monkeypatch.setattr(cli.Road, "_read_ledger", denied)
    code, (printed,) = on_road("trace", "dev:1", "--json")
    (dev,) = json.loads(printed)
    assert code == 0 and ("test", "unreadable") in [(r["stage"], r["outcome"]) for r in dev["ledger"]]
    assert ("dev", "sealed") in [(r["stage"], r["outcome"]) for r in dev["ledger"]]


def test_status_of_one_project_and_an_unknown_project_is_one_line(
    on_road: Run, promoted: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, (printed,) = on_road("status", "--project", "house-price", "--json")
    assert code == 0 and {row["project"] for row in json.loads(printed)} == {"house-price"}
    assert on_road("status", "--project", "fraud") == (2, [])
    assert capsys.readouterr().err == (
        "roadway: --project 'fraud' is not a project of this road; expected one of house-price\n"
    )


def test_a_stage_version_on_a_road_of_several_projects_needs_the_project(two_projects_config: Any) -> None:
    two = cli.Road(two_projects_config)
    with pytest.raises(cli.CliError, match=r"prod:3: which project's\? name one with --project \(house-price, churn\)"):
        cli.resolve(two, "prod:3")
    assert cli.resolve(two, "prod:3", "churn") == "arn:aws:sagemaker:eu-west-1:333333333333:model-package/churn/3"
    assert package_group(cli.resolve(two, "test:1", "house-price")) == "house-price"


def test_the_operators_identity_set_up_grants_every_call_status_and_trace_make(
    on_road: Run, promoted: dict[str, Any], road: Road, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The actions come from the CLI's own calls, recorded as it runs on the moto road, not from a list of ours:
    each must be granted by the stage's operator policy that `make synth` writes (stacks/identity_setup.py)."""
    from stacks import identity_setup
    from tests import iam

    made: set[str] = set()
    iam.record_actions(monkeypatch, made.add)
    assert on_road("status", "--json")[0] == 0
    assert on_road("trace", f"prod:{promoted['prod'].rsplit('/', 1)[-1]}", "--json")[0] == 0
    assert {"cloudformation:DescribeStacks", "dynamodb:Scan", "sagemaker:DescribeModelPackage"} <= made
    for stage in ("dev", "test", "prod"):
        granted = identity_setup.operator(road.config, stage)["Statement"]
        for action in sorted(made):
            assert iam.names_action(granted, action), f"{stage}: {action} is not granted"
