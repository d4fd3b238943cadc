"""`make demo`'s path, run as a test: moto_server, three accounts, a trained model from dev to prod."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from devtools import demo
from devtools.moto_road import free_port
from devtools.synth import Synth
from devtools.variants import written
from model_code import inference
from roadway.config import RoadwayConfig, parse_config
from roadway.naming import Names


def test_demo_drives_a_trained_model_from_dev_to_prod(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    two_projects_moto_config: RoadwayConfig,
    two_projects_moto_synth: Synth,
) -> None:
    """On another adopter's road (another name, region and accounts than the shipped config, which `make demo`
    runs, and another second team): nothing of the demo, the moto world or the road is named outside
    roadway/naming.py. The demo is given the templates the moto tests synthesized of this road."""
    import sys

    from drift_monitor import handler as drift
    from promote_model.observe import logger

    # The functions' loggers write where stdout was when they were made; here, where this test reads, so a JSON
    # line the demo lets through is seen (as `make demo` would print it).
    for function_logger in (logger, drift.logger):
        monkeypatch.setattr(function_logger.registered_handler, "stream", sys.stdout)
    road = two_projects_moto_config
    second = road.projects[1]
    names, accounts = Names.of(road), {stage: road.stage(stage).account for stage in ("dev", "test", "prod")}
    result = demo.run(free_port(), road, two_projects_moto_synth.templates)
    assert demo.succeeded(result), "make demo exits 0 on this run"
    assert not demo.succeeded({**result, "foreign": {"status": "promoted"}}), "and 1 when a refusal did not hold"
    assert demo.shortfalls({**result, "refused": {"status": "promoted"}}) == [
        "the weak model (150 sales) was promoted instead of refused at a gate: this road's gates let it through "
        "(tighten promotion_gate.rmse_log_max in test or max_regression_pct in prod)"
    ], "each with the line that says why"
    assert result["prod_serves"] == result["prod"], "prod's endpoint serves the promoted package"
    assert result["status"] == "Approved"
    lineage = result["lineage"]
    assert lineage["roadway:origin-arn"] == result["dev"], "prod traces back to the dev package"
    assert lineage["roadway:source-arn"] == result["test"]
    assert (lineage["roadway:created-by"], lineage["roadway:approved-by"]) == ("ana-garcia", "li-wei")
    self_approved = result["self_approved"]
    assert self_approved["status"] == "refused"
    assert self_approved["reason"] == "approved by its own author ana-garcia; a second person must approve"
    assert lineage["roadway:training-data"] == "data/ames.csv"
    assert lineage["roadway:sha256:model.tar.gz"] and float(lineage["roadway:rmse-log"]) < 0.12
    refused = result["refused"]
    assert refused["status"] == "refused" and "worse than the served version's" in refused["reason"]
    # The second team's project takes the road to its own prod endpoint; its pipeline registering into house-price
    # is never sealed in dev, so test refuses the approved package.
    assert result["second_serves"] == result["second"] and f"/{second.name}/" in result["second"]
    foreign = result["foreign"]
    assert foreign["status"] == "refused"
    assert foreign["reason"].startswith(
        "dev refused to seal it at registration: registered in house-price by "
        + names.model_named(second.name).pipeline_role()
    )
    printed = capsys.readouterr().out
    for step in (
        "Training the house-price model",
        "Refused at test's four-eyes check: nothing copied, nothing registered",
        f"maria-lopez approved in dev through {names.approver_role('dev')}",
        "Promoted to test",
        "Promoted to prod",
        "Refused at prod's metric gate: nothing copied, nothing registered",
        "Prod served 117 requests in the hour to",
        "The drift job's verdict on that hour: drift",
        "==> roadway status",
        "==> roadway trace prod:1 --project house-price",
        f"Team {second.team} onboards {second.name}",
        f"IAM refuses its members: {names.people_stack(0)}'s policy of team {second.team} lets them register into "
        f"arn:aws:sagemaker:{road.region}:{accounts['dev']}:model-package-group/{second.name} only",
        "dev's promotion function refused to seal it",
        "Refused at test's seal check: nothing copied, nothing registered",
        "Its bias report, by Neighborhood, Bldg.Type, MS.Zoning: the largest group disparity is Neighborhood's",
        f"Prod's model explains one house (Accept: {inference.EXPLAINED})",
        "The platform sets max_group_rmse_ratio 3 in test's gate for house-price and deploys",
        "Refused at test's group gate: nothing copied, nothing registered",
        "Stopped moto_server",
    ):
        assert step in printed
    # The shipped model's largest disparity, and the same run refused at the stricter gate with the group named.
    disparity = result["disparity"]
    assert disparity["facet"] == "Neighborhood" and disparity["ratio"] > demo.STRICTER_RATIO
    assert result["strict"]["status"] == "refused"
    assert result["strict"]["reason"].startswith(
        f"group_rmse_ratio {disparity['ratio']:.2f} is above max_group_rmse_ratio 3: Neighborhood group "
        f"{disparity['largest']}'s RMSE of log price"
    )
    explained = printed[printed.index("Prod's model explains one house") :].splitlines()[1]
    assert explained.count(" x") == 6, "five contributions as factors of the price, and the rest"
    # One run of the real drift job on prod's captured hour: a third of the houses are bigger.
    assert result["monitoring"]["verdict"] == "drift" and "area" in result["monitoring"]["drifted"]
    status = printed[printed.index("==> roadway status") : printed.index("==> roadway trace")]
    prod = next(line for line in status.splitlines() if line.startswith("house-price  prod "))
    assert prod.split()[:6] == ["house-price", "prod", accounts["prod"], "v1", "v1", "InService"]
    assert "drift (area) to " in prod and "refused test v2 at " in prod
    assert not any(line.startswith("{") for line in printed.splitlines()), "no job's raw output"
    assert next(line for line in status.splitlines() if line.split()[:2] == [second.name, "prod"]).split()[:5] == [
        second.name,
        "prod",
        accounts["prod"],
        "v1",
        "v1",
    ]
    trace = printed[printed.index("==> roadway trace prod:1") : printed.index("==> roadway trace dev:2")]
    # model, metrics and the data-quality baseline's two files, for every hop (dev's from its seal)
    assert trace.count("    sha256      ") == 18 and "dev v1  Approved" in trace  # 6 artifacts, 3 hops
    assert "ledger      test refused at " in trace, "the self-approval refusal, on dev v1's hop"
    assert "statistics.json" in trace and "constraints.json" in trace
    refusal = printed[printed.index("==> roadway trace dev:2") :]
    assert "ledger      dev seal-refused at " in refusal and "ledger      test refused at " in refusal


def test_make_demo_adds_its_second_team_to_a_road_of_one_project(config: RoadwayConfig) -> None:
    road = demo.road_of(config)
    assert [(p.name, p.team) for p in road.projects] == [("house-price", "pricing"), ("rent-price", "rentals")]
    assert [p.user_name for p in road.data_scientists if p.team == "rentals"] == ["chen-wei"]
    assert demo.road_of(None) == road, "the shipped road by default"
    assert demo.road_of(road) == road, "a road of two projects of two teams is driven as given"


def with_project(config: RoadwayConfig, name: str, team: str, new_team: bool = False) -> RoadwayConfig:
    """``config`` plus a project served like its first, of ``team`` (a new team without people if ``new_team``)."""
    raw = config.model_dump(mode="json", exclude_unset=True)
    added = copy.deepcopy(raw["projects"][0])
    added.pop("original", None)
    raw["projects"].append({**added, "name": name, "team": team})
    if new_team:
        raw["teams"].append({"name": team, "monthly_budget_usd": 300})
    return parse_config(raw)


def one_team_two_projects(config: RoadwayConfig) -> RoadwayConfig:
    return with_project(config, "land-price", config.projects[0].team)


def team_without_people(config: RoadwayConfig) -> RoadwayConfig:
    return with_project(config, "rent-price", "rentals", new_team=True)


def gates_without_thresholds(config: RoadwayConfig) -> RoadwayConfig:
    raw = config.model_dump(mode="json", exclude_unset=True)
    for stage in ("test", "prod"):
        raw["projects"][0]["stages"][stage]["promotion_gate"] = {}
    return parse_config(raw)


def names_too_long(config: RoadwayConfig) -> RoadwayConfig:
    """Valid config, but a role name over IAM's 64 characters: synth refuses it, so the demo plays it neither."""
    return with_project(config.model_copy(update={"project": "r" * 22}), "p" * 32, "rentals", new_team=True)


@pytest.mark.parametrize(
    ("variant", "said"),
    [
        (one_team_two_projects, "projects house-price and land-price are both team pricing's: the demo shows one team"),
        (team_without_people, "team rentals has no data scientist to register rent-price"),
        (gates_without_thresholds, "house-price's gates in test and prod have no threshold, so the demo's weak"),
    ],
)
def test_a_road_the_demo_cannot_tell_its_story_on_is_refused_in_one_line(
    config: RoadwayConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    variant: Callable[[RoadwayConfig], RoadwayConfig],
    said: str,
) -> None:
    road = written(variant(config), tmp_path / "road.yaml")
    assert demo.main(["--config", str(road)]) == 2
    printed = capsys.readouterr()
    assert printed.out == "", "nothing started"
    (line,) = printed.err.splitlines()
    assert line.startswith(f"roadway: not a road the demo can drive: {said}")


def test_a_road_synth_would_refuse_for_a_name_is_not_played(
    config: RoadwayConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    road = written(names_too_long(config), tmp_path / "road.yaml")
    assert demo.main(["--config", str(road)]) == 2
    printed = capsys.readouterr()
    assert printed.out == "", "nothing started"
    (line,) = printed.err.splitlines()
    assert line.startswith("roadway: config error: the demo's road: the ") and "characters long" in line
