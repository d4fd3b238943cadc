"""Bad config is one clear line naming the field; good config becomes typed objects."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from roadway.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def raw() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "config" / "roadway.yaml").read_text())


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "roadway.yaml")
    message = str(caught.value)
    assert "\n" not in message, "errors must be one line"
    return message


def test_shipped_config_is_valid_and_typed(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    assert config.stages.dev.account == "111111111111"
    assert config.next_stage("dev") == "test" and config.next_stage("prod") is None
    assert config.previous_stage("test") == "dev"
    assert [u.user_name for u in config.data_scientists] == ["ana-garcia", "ben-okafor"]
    assert config.availability_zones == ["eu-west-1a", "eu-west-1b"]


def test_zones_default_from_region(raw: dict[str, Any]) -> None:
    del raw["availability_zones"]
    raw["region"] = "us-east-2"
    assert parse_config(raw).availability_zones == ["us-east-2a", "us-east-2b"]


def test_ten_digit_account(raw: dict[str, Any]) -> None:
    raw["stages"]["test"]["account"] = "1234567890"
    assert error_of(raw) == (
        "roadway.yaml: stages.test.account: expected a 12-digit AWS account ID (quote it in YAML), got '1234567890'"
    )


def test_same_account_for_two_stages(raw: dict[str, Any]) -> None:
    raw["stages"]["prod"]["account"] = raw["stages"]["test"]["account"]
    message = error_of(raw)
    assert message.startswith("roadway.yaml: stages: stages test and prod share account 222222222222")


def test_duplicate_user_names(raw: dict[str, Any]) -> None:
    raw["data_scientists"].append({"user_name": "ana-garcia", "team": "pricing"})
    assert "duplicate user_name ana-garcia" in error_of(raw)


@pytest.mark.parametrize("name", ["ana_garcia", "-ana", "ana-", "a" * 64, "ana garcia", ""])
def test_user_name_sagemaker_would_reject(raw: dict[str, Any], name: str) -> None:
    raw["data_scientists"][1]["user_name"] = name
    message = error_of(raw)
    assert message.startswith("roadway.yaml: data_scientists[1].user_name: expected 1-63 letters, digits or hyphens")


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("10.10.0.0/33", "expected an IPv4 network like 10.10.0.0/16"),
        ("not-a-cidr", "expected an IPv4 network like 10.10.0.0/16"),
        ("10.10.0.1/16", "expected an IPv4 network like 10.10.0.0/16"),  # host bits set
        ("10.0.0.0/8", "expected a prefix between /16 and /24"),
        ("8.8.0.0/16", "expected a private (RFC 1918) range"),
    ],
)
def test_cidr_that_does_not_parse_or_fit(raw: dict[str, Any], cidr: str, expected: str) -> None:
    raw["stages"]["dev"]["vpc_cidr"] = cidr
    message = error_of(raw)
    assert message.startswith(f"roadway.yaml: stages.dev.vpc_cidr: {expected}")


@pytest.mark.parametrize(
    ("path", "key"),
    [((), "projct"), (("stages", "dev"), "acount"), (("data_scientists", 0), "mail"), (("studio",), "idle")],
)
def test_unknown_key(raw: dict[str, Any], path: tuple[Any, ...], key: str) -> None:
    node: Any = raw
    for part in path:
        node = node[part]
    node[key] = "x"
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*path, key)).lstrip(".")
    assert error_of(raw) == f"roadway.yaml: {where}: unknown key; check its spelling against config/README.md"


def test_missing_stage(raw: dict[str, Any]) -> None:
    del raw["stages"]["prod"]
    assert error_of(raw) == "roadway.yaml: stages.prod: required but missing"


def test_bad_email_and_idle_minutes(raw: dict[str, Any]) -> None:
    bad = copy.deepcopy(raw)
    bad["data_scientists"][0]["email"] = "ana-at-example"
    assert "data_scientists[0].email: expected an e-mail address" in error_of(bad)
    raw["studio"]["idle_shutdown_minutes"] = 5
    assert error_of(raw).startswith("roadway.yaml: studio.idle_shutdown_minutes: Input should be greater than")


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="expected a mapping of settings at the top level"):
        parse_config(["a", "list"], "x.yaml")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("project: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line 2, column 1: expected ',' or '\]'"):
        load_config(broken)
    tabbed = tmp_path / "tabbed.yaml"
    tabbed.write_text("project: roadway\nstages:\n\tdev: {}\n")
    with pytest.raises(ConfigError, match=r"line 3, column 1: .*\(a tab: YAML indents with spaces only\)$"):
        load_config(tabbed)


SHIPPED = (ROOT / "config" / "roadway.yaml").read_text()


def test_a_pasted_second_projects_key_is_refused_naming_both_lines(tmp_path: Path) -> None:
    """YAML keeps the last of two equal keys: a `projects:` snippet pasted at the end of the file used to drop
    house-price from every stage, with synth and the report passing."""
    first = SHIPPED.splitlines().index("projects:") + 1
    pasted = tmp_path / "roadway.yaml"
    pasted.write_text(SHIPPED + "projects:\n  - name: churn\n    team: pricing\n")
    again = len(SHIPPED.splitlines()) + 1
    with pytest.raises(ConfigError) as caught:
        load_config(pasted)
    assert str(caught.value) == (
        f"{pasted}: 'projects' is given twice, at line {first} and at line {again}; YAML would keep only the second "
        "and drop all the first holds: merge them into one projects:"
    )


def test_a_key_given_twice_deep_inside_is_refused(tmp_path: Path) -> None:
    indent = " " * 12
    text = SHIPPED.replace(f"{indent}idle_alarm_hours: 24", f"{indent}idle_alarm_hours: 24\n{indent}instance_count: 3")
    assert text != SHIPPED
    doubled = tmp_path / "roadway.yaml"
    doubled.write_text(text)
    with pytest.raises(ConfigError, match=r"'instance_count' is given twice, at line \d+ and at line \d+"):
        load_config(doubled)


def test_merge_keys_and_leading_zeros_mean_what_was_written(tmp_path: Path) -> None:
    """``<<:`` merges on purpose (a key beside it overrides it); a leading-zero account is no octal number."""
    text = SHIPPED.replace('account: "222222222222"', "account: 022222222222")
    assert text != SHIPPED
    written = tmp_path / "roadway.yaml"
    written.write_text(text.replace("buckets:\n", "buckets:\n  <<: {noncurrent_version_days: 30}\n"))
    loaded = load_config(written)
    assert loaded.stages.test.account == "022222222222"
    assert loaded.buckets.noncurrent_version_days == 90


def test_synth_with_bad_config_prints_one_line_and_no_trace(raw: dict[str, Any], tmp_path: Path) -> None:
    """What `cdk synth -c config=...` shows a user: the app's own stderr, one line, exit code 2."""
    raw["stages"]["dev"]["account"] = "12345"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "CDK_CONTEXT_JSON": f'{{"config": "{bad}"}}',
            "CDK_OUTDIR": str(tmp_path / "out"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"roadway: config error: {bad}: stages.dev.account: expected a 12-digit AWS account ID "
        "(quote it in YAML), got '12345'"
    ]
    assert not list((tmp_path / "out").glob("**/*.template.json")), "nothing may be synthesized from a bad config"


@pytest.mark.parametrize(
    ("stage", "change", "expected"),
    [
        (
            "test",
            {"endpoint": {"kind": "serverless", "instance_count": 2}},
            "projects[0].stages.test.serving.endpoint: instance_count applies only to kind: instances",
        ),
        (
            "prod",
            {"data_capture_percent": 101},
            "projects[0].stages.prod.serving.data_capture_percent: Input should be less than",
        ),
        (
            "prod",
            {"endpoint": {"kind": "instances", "min_capacity": 4, "max_capacity": 2, "instance_count": 2}},
            "projects[0].stages.prod.serving.endpoint: min_capacity (4) must not exceed max_capacity (2)",
        ),
        (
            "test",
            {"data_capture_percent": 10},
            "projects[0].stages.test.serving: serverless endpoints cannot capture data: set data_capture_percent: 0",
        ),
        (
            "prod",
            {"data_capture_percent": 0},
            "projects[0].stages.prod.serving: monitoring needs data_capture_percent above 0",
        ),
        (
            "prod",
            {"endpoint": {"kind": "gpu"}},
            "projects[0].stages.prod.serving.endpoint: expected kind: serverless or kind",
        ),
    ],
)
def test_bad_serving_config(raw: dict[str, Any], stage: str, change: dict[str, Any], expected: str) -> None:
    raw["projects"][0]["stages"][stage]["serving"].update(change)
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


def test_model_monitor_in_a_region_without_the_analyzer_image(raw: dict[str, Any]) -> None:
    raw["region"] = "ca-west-1"
    raw["availability_zones"] = ["ca-west-1a", "ca-west-1b"]
    raw["projects"][0]["stages"]["prod"]["serving"]["monitoring"]["engine"] = "model-monitor"
    assert "Model Monitor's analyzer image is not listed for region ca-west-1" in error_of(raw)


def test_roadways_drift_job_needs_no_model_monitor_image(raw: dict[str, Any]) -> None:
    raw["region"] = "af-south-1"
    raw["availability_zones"] = ["af-south-1a", "af-south-1b"]
    for stage in raw["stages"].values():
        stage["approvers"] = [a.replace("eu-west-1", "af-south-1") for a in stage.get("approvers", [])]
    config = parse_config(raw, "roadway.yaml")
    assert config.projects[0].stages.prod.serving.monitoring.engine == "roadway"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("monitoring", "expected"),
    [
        (
            {"engine": "cloudwatch"},
            "projects[0].stages.prod.serving.monitoring.engine: Input should be 'roadway' or 'model-monitor'",
        ),
        (
            {"drift_threshold": 1.5},
            "projects[0].stages.prod.serving.monitoring.drift_threshold: Input should be less than or equal",
        ),
    ],
)
def test_bad_monitoring(raw: dict[str, Any], monitoring: dict[str, Any], expected: str) -> None:
    raw["projects"][0]["stages"]["prod"]["serving"]["monitoring"].update(monitoring)
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


@pytest.mark.parametrize(
    ("serving", "expected"),
    [
        (
            {"capture_retention_days": 0},
            "projects[0].stages.prod.serving.capture_retention_days: Input should be greater than",
        ),
        (
            {"capture_readers": ["pricing-team"]},
            "projects[0].stages.prod.serving.capture_readers: expected IAM role or user ARNs",
        ),
    ],
)
def test_bad_capture_settings(raw: dict[str, Any], serving: dict[str, Any], expected: str) -> None:
    raw["projects"][0]["stages"]["prod"]["serving"].update(serving)
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


@pytest.mark.parametrize(
    ("stage", "gate", "expected"),
    [
        ("prod", {"rmse_log_max": 0}, "projects[0].stages.prod.promotion_gate.rmse_log_max: Input should be greater"),
        (
            "prod",
            {"max_regression_pct": 150},
            "projects[0].stages.prod.promotion_gate.max_regression_pct: Input should be less",
        ),
        ("test", {"rmse_max": 0.1}, "projects[0].stages.test.promotion_gate.rmse_max: unknown key"),
    ],
)
def test_bad_promotion_gate(raw: dict[str, Any], stage: str, gate: dict[str, Any], expected: str) -> None:
    raw["projects"][0]["stages"][stage]["promotion_gate"] = gate
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


@pytest.mark.parametrize(
    ("bias", "gate", "expected"),
    [
        (
            None,
            {"max_group_rmse_ratio": 0.9},
            "projects[0].stages.prod.promotion_gate.max_group_rmse_ratio: Input should",
        ),
        (None, {"max_group_residual": 1.5}, "projects[0].stages.prod.promotion_gate.max_group_residual: Input should"),
        (
            {"facets": []},
            {"max_group_residual": 0.05},
            "projects[0]: stages.prod.promotion_gate judges groups (max_group_rmse_ratio, max_group_residual) but "
            "bias.facets names none",
        ),
        ({"facets": ["Year.Built=2000,1950"]}, {}, "projects[0].bias.facets: facet 'Year.Built=2000,1950': the band"),
        ({"facets": ["Year.Built=old"]}, {}, "projects[0].bias.facets: facet 'Year.Built=old': expected a column name"),
        ({"facets": ["Neighborhood", "Neighborhood"]}, {}, "projects[0].bias.facets: facets Neighborhood listed twice"),
        ({"min_group_size": 0}, {}, "projects[0].bias.min_group_size: Input should be greater"),
    ],
)
def test_bad_bias_settings(
    raw: dict[str, Any], bias: dict[str, Any] | None, gate: dict[str, Any], expected: str
) -> None:
    if bias is not None:
        raw["projects"][0]["bias"] = bias
    raw["projects"][0]["stages"]["prod"]["promotion_gate"].update(gate)
    message = error_of(raw)
    assert message.startswith(f"roadway.yaml: {expected}") and "\n" not in message


def test_the_shipped_project_reports_on_three_facets_and_judges_none_yet(raw: dict[str, Any]) -> None:
    """Thresholds default to none: turning the reports on refuses nothing already on its way."""
    project = parse_config(raw).projects[0]
    assert project.bias.facets == ["Neighborhood", "Bldg.Type", "MS.Zoning"] and project.bias.min_group_size == 20
    for stage in ("test", "prod"):
        gate = project.gate(stage)
        assert (gate["max_group_rmse_ratio"], gate["max_group_residual"], gate["require_explanations"]) == (
            None,
            None,
            False,
        )
        assert gate["bias_facets"] == project.bias.facets


def test_nothing_is_served_in_or_promoted_into_dev(raw: dict[str, Any]) -> None:
    raw["projects"][0]["stages"]["dev"] = {"serving": raw["projects"][0]["stages"]["test"]["serving"]}
    assert (
        error_of(raw)
        == "roadway.yaml: projects[0].stages.dev: unknown key; check its spelling against config/README.md"
    )


def test_a_stage_without_a_gate_still_refuses_packages_without_metrics(raw: dict[str, Any]) -> None:
    del raw["projects"][0]["stages"]["prod"]["promotion_gate"]
    gate = parse_config(raw).projects[0].stages.prod.promotion_gate
    assert (gate.rmse_log_max, gate.max_regression_pct) == (None, None)


def test_shipped_config_names_approvers_where_approval_promotes(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    for stage in ("dev", "test"):
        (account,) = config.stage(stage).approver_accounts
        assert account == config.stage(stage).account
    assert config.stages.prod.approvers == []


@pytest.mark.parametrize(
    ("stage", "approvers", "expected"),
    [
        ("dev", [], "stages: dev.approvers: expected at least one IAM principal ARN; approving in dev promotes"),
        ("test", [], "stages: test.approvers: expected at least one IAM principal ARN"),
        ("prod", ["arn:aws:iam::333333333333:role/x"], "stages: prod.approvers: prod is the last stage"),
        ("dev", ["ana-garcia"], "stages.dev.approvers: expected IAM role or user ARNs like arn:aws:iam::"),
        ("dev", ["arn:aws:iam::111:role/x"], "stages.dev.approvers: expected IAM role or user ARNs"),
        (
            "dev",
            ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/a"],
            "expected each principal once",
        ),
    ],
)
def test_approvers_refused(raw: dict[str, Any], stage: str, approvers: list[str], expected: str) -> None:
    raw["stages"][stage]["approvers"] = approvers
    message = error_of(raw)
    assert message.startswith("roadway.yaml: ") and expected in message, message
    assert "\n" not in message


def test_shipped_config_names_break_glass_where_a_stage_serves(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    for stage in ("test", "prod"):
        (account,) = config.stage(stage).break_glass_accounts
        assert account == config.stage(stage).account
    assert config.stages.dev.break_glass == []


@pytest.mark.parametrize(
    ("stage", "break_glass", "expected"),
    [
        ("prod", [], "stages: prod.break_glass: expected at least one IAM principal ARN; someone must be able"),
        ("test", [], "stages: test.break_glass: expected at least one IAM principal ARN"),
        ("dev", ["arn:aws:iam::111111111111:role/x"], "stages: dev.break_glass: dev serves nothing"),
        ("prod", ["oncall"], "stages.prod.break_glass: expected IAM role or user ARNs like arn:aws:iam::"),
    ],
)
def test_break_glass_refused(raw: dict[str, Any], stage: str, break_glass: list[str], expected: str) -> None:
    raw["stages"][stage]["break_glass"] = break_glass
    message = error_of(raw)
    assert message.startswith("roadway.yaml: ") and expected in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("prefix_lists", "expected"),
    [
        (None, "prefix_lists: required but missing"),
        ({"s3": "pl-6da54004"}, "prefix_lists.dynamodb: required but missing"),
        ({"s3": "0.0.0.0/0", "dynamodb": "pl-6fa54006"}, "prefix_lists.s3: expected a prefix list ID like pl-6da54004"),
    ],
)
def test_prefix_lists_refused(raw: dict[str, Any], prefix_lists: Any, expected: str) -> None:
    if prefix_lists is None:
        del raw["prefix_lists"]
    else:
        raw["prefix_lists"] = prefix_lists
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


def test_a_region_without_a_known_sklearn_image_account(raw: dict[str, Any]) -> None:
    raw["region"], raw["availability_zones"] = "us-gov-west-1", ["us-gov-west-1a", "us-gov-west-1b"]
    del raw["projects"][0]["stages"]["prod"]["serving"]["monitoring"]
    raw["projects"][0]["stages"]["prod"]["serving"]["data_capture_percent"] = 0
    assert "SageMaker's scikit-learn image is not listed there" in error_of(raw)


def test_a_person_belongs_to_one_declared_team(raw: dict[str, Any]) -> None:
    raw["data_scientists"][1]["team"] = "forecasting"
    assert error_of(raw) == (
        "roadway.yaml: data_scientists[1].team: 'forecasting' is not a team; expected one of pricing"
    )
    del raw["data_scientists"][1]["team"]
    assert error_of(raw) == "roadway.yaml: data_scientists[1].team: required but missing"
    raw["data_scientists"][1]["team"] = "pricing"
    del raw["teams"]
    assert error_of(raw) == "roadway.yaml: teams: required but missing"


def test_teams_are_named_once_with_real_instance_types(raw: dict[str, Any]) -> None:
    raw["teams"].append({"name": "pricing"})
    assert error_of(raw) == "roadway.yaml: teams: pricing listed twice; expected each team once"
    raw["teams"][1] = {"name": "Risk Team"}
    assert "teams[1].name: expected 2-32 lower-case letters" in error_of(raw)
    raw["teams"][1] = {"name": "risk", "instance_types": ["m5.large"]}
    assert "teams[1].instance_types: expected an instance type SageMaker offers for Studio apps, training jobs or " in (
        error_of(raw)
    )
    raw["teams"][1] = {"name": "risk"}
    assert parse_config(raw).team("risk").instance_types == ["ml.t3.medium", "ml.m5.large", "ml.m5.xlarge"]


def _endpoint(raw: dict[str, Any]) -> dict[str, Any]:
    return raw["projects"][0]["stages"]["prod"]["serving"]["endpoint"]


@pytest.mark.parametrize(
    ("place", "field", "value", "uses"),
    [
        (lambda raw: raw["teams"][0], "instance_types", ["ml.m5.large", "ml.m5.huge"], "Studio apps, training jobs or"),
        (_endpoint, "instance_type", "ml.m5.huge", "endpoints"),
        # A training-only type is a useful team type, and no endpoint's.
        (_endpoint, "instance_type", "ml.c5n.xlarge", "endpoints"),
        (
            lambda raw: raw["projects"][0]["stages"]["prod"]["serving"]["monitoring"],
            "instance_type",
            "ml.x9.large",
            "processing jobs",
        ),
    ],
)
def test_instance_types_are_those_sagemaker_offers_where_they_are_used(
    raw: dict[str, Any], place: Any, field: str, value: Any, uses: str
) -> None:
    """cfn-lint only warns of an endpoint type SageMaker has not, and knows no Studio app's or job's: the config
    refuses each against the enum of the API it feeds, from the pinned botocore's model."""
    place(raw)[field] = value
    message = error_of(raw)
    assert f"expected an instance type SageMaker offers for {uses}" in message
    assert message.endswith(f"got {value if isinstance(value, str) else value[-1]!r}")


def test_a_training_only_type_is_a_team_type() -> None:
    raw = yaml.safe_load((ROOT / "config" / "roadway.yaml").read_text())
    raw["teams"][0]["instance_types"] = ["ml.c5n.xlarge"]
    assert parse_config(raw).team("pricing").instance_types == ["ml.c5n.xlarge"]


def test_a_team_budget_mails_at_most_ten(raw: dict[str, Any]) -> None:
    del raw["teams"][0]["budget_emails"]
    raw["data_scientists"] = [
        {"user_name": f"p{i}", "team": "pricing", "email": f"p{i}@example.com"} for i in range(11)
    ]
    assert error_of(raw).startswith(
        "roadway.yaml: teams[0].budget_emails: AWS Budgets e-mails at most 10 addresses per alert and team pricing's "
        "members have 11"
    )
    raw["data_scientists"] = raw["data_scientists"][:3]
    assert parse_config(raw).budget_emails("pricing") == ["p0@example.com", "p1@example.com", "p2@example.com"]


def test_idle_alarm_and_people_stacks_bounds(raw: dict[str, Any]) -> None:
    raw["projects"][0]["stages"]["test"]["serving"]["endpoint"]["idle_alarm_hours"] = 24
    assert error_of(raw) == (
        "roadway.yaml: projects[0].stages.test.serving.endpoint: idle_alarm_hours applies only to kind: instances; "
        "serverless scales by max_concurrency"
    )
    del raw["projects"][0]["stages"]["test"]["serving"]["endpoint"]["idle_alarm_hours"]
    raw["projects"][0]["stages"]["prod"]["serving"]["endpoint"]["idle_alarm_hours"] = 169
    assert (
        "projects[0].stages.prod.serving.endpoint.idle_alarm_hours: Input should be less than or equal to 168"
        in error_of(raw)
    )
    raw["projects"][0]["stages"]["prod"]["serving"]["endpoint"]["idle_alarm_hours"] = None
    assert parse_config(raw).projects[0].stages.prod.serving.endpoint.idle_alarm_hours is None  # type: ignore[union-attr]
    raw["studio"]["people_stacks"] = 0
    assert "studio.people_stacks: Input should be greater than or equal to 1" in error_of(raw)


def second_project(raw: dict[str, Any], name: str = "churn", team: str = "pricing") -> dict[str, Any]:
    project = copy.deepcopy(raw["projects"][0])
    project.update(name=name, team=team)
    project.pop("original", None)
    raw["projects"].append(project)
    return project


def test_a_second_project_is_one_entry(raw: dict[str, Any]) -> None:
    second_project(raw)
    config = parse_config(raw)
    assert [p.name for p in config.projects] == ["house-price", "churn"]
    assert [p.name for p in config.projects_of("pricing")] == ["house-price", "churn"]
    assert config.project_named("churn").stage("dev") is None, "nothing is served in dev"
    assert config.project_named("churn").stage("prod").promotion_gate.max_regression_pct == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda raw: second_project(raw, name="house-price"), "projects: house-price listed twice"),
        (lambda raw: second_project(raw, team="forecasting"), "projects[1].team: 'forecasting' is not a team"),
        (lambda raw: second_project(raw).update(original=True), "projects: house-price, churn are all original"),
        (lambda raw: second_project(raw, name="Churn"), "projects[1].name: expected 2-32 lower-case letters"),
        (lambda raw: second_project(raw, name="a-serving-b"), "projects[1].name: 'a-serving-b' holds the word serving"),
        (lambda raw: second_project(raw, name="serving"), "projects[1].name: 'serving' holds the word serving"),
        (lambda raw: second_project(raw, name="has space"), "projects[1].name: expected 1-63 letters, digits"),
        (lambda raw: raw.update(projects=[]), "projects: List should have at least 1 item"),
        (lambda raw: raw.pop("projects"), "projects: required but missing"),
        (lambda raw: raw["projects"][0]["stages"].pop("prod"), "projects[0].stages.prod: required but missing"),
    ],
)
def test_bad_projects(raw: dict[str, Any], change: Any, expected: str) -> None:
    change(raw)
    assert error_of(raw).startswith(f"roadway.yaml: {expected}")


def test_a_config_from_before_projects_says_where_each_key_went(raw: dict[str, Any]) -> None:
    """An upgrading road's config names the new place of what moved, in one line, instead of 'unknown key'."""
    old = copy.deepcopy(raw)
    old["model_package_group"] = "house-price"
    assert "model_package_group: moved: name it as a project" in error_of(old)
    old = copy.deepcopy(raw)
    old["stages"]["prod"]["serving"] = raw["projects"][0]["stages"]["prod"]["serving"]
    assert error_of(old) == (
        "roadway.yaml: stages.prod.serving: moved under projects[].stages.prod.serving (each project has its own; a "
        "road's model from before projects is one project with original: true); see CHANGELOG.md, issue 15"
    )
    old = copy.deepcopy(raw)
    old["stages"]["test"]["promotion_gate"] = {"rmse_log_max": 0.1}
    assert "stages.test.promotion_gate: moved under projects[].stages.test.promotion_gate" in error_of(old)


def test_the_original_project_keeps_the_group_name_it_had(raw: dict[str, Any]) -> None:
    """A road from before projects may have named its group by SageMaker's rule alone (upper case, up to 63): as
    the original project it keeps that name, and so its group and endpoint; a new project may not."""
    raw["projects"][0]["name"] = "HousePrice"
    assert parse_config(raw).projects[0].name == "HousePrice"
    del raw["projects"][0]["original"]
    assert error_of(raw).startswith("roadway.yaml: projects[0].name: expected 2-32 lower-case letters")
    assert "only the original project keeps a group name outside this rule" in error_of(raw)


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.com/pricing/models.git",  # no VPC endpoint reaches it from Studio's subnets
        "https://github.com/example/pricing.git",
        "http://git-codecommit.eu-west-1.amazonaws.com/v1/repos/pricing",
        "git@git.example.com:pricing.git",
        "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/a b",
    ],
)
def test_a_teams_code_repository_is_a_codecommit_url_studio_can_reach(raw: dict[str, Any], url: str) -> None:
    raw["teams"][0]["code_repository"] = url
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    said = str(caught.value)
    assert said.startswith("config: teams[0].code_repository: expected a CodeCommit repository URL"), said
    assert "\n" not in said and "isolated subnets reach no other Git host" in said
    good = "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/pricing-models"
    raw["teams"][0]["code_repository"] = good
    assert parse_config(raw).teams[0].repository() == ("eu-west-1", "pricing-models")
    raw["teams"][0]["code_repository"] = good.replace("eu-west-1", "us-east-1")
    with pytest.raises(
        ConfigError,
        match=r"^config: teams\[0\]\.code_repository: the repository is in us-east-1, "
        "expected the road's region eu-west-1",
    ):
        parse_config(raw)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda raw: raw.pop("identity"), "identity: required but missing"),
        (lambda raw: raw["identity"].pop("binding"), "identity.binding: required but missing"),
        (lambda raw: raw["identity"].pop("tag"), "identity: tag: required with binding: session-tag"),
        (
            lambda raw: raw["identity"].update(binding="source-identity"),
            "identity: tag: applies only to binding: session-tag",
        ),
        (lambda raw: raw["identity"].update(tag="aws:user"), "identity: tag: expected a session tag key"),
        (
            lambda raw: raw["identity"]["approver_names"].append("Maria-Lopez"),
            "identity.approver_names: expected each name once (names are compared without case)",
        ),
        (
            lambda raw: raw["stages"]["test"]["break_glass"].append(
                "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Roadway?ataScientist_*a"
            ),
            "stages.test.break_glass[1]: ",
        ),
    ],
)
def test_identity_binding_refused(raw: dict[str, Any], change: Any, expected: str) -> None:
    change(raw)
    assert error_of(raw).startswith(f"roadway.yaml: {expected}"), error_of(raw)


def test_an_approver_pattern_overlapping_the_data_scientists_is_refused(raw: dict[str, Any]) -> None:
    raw["stages"]["dev"]["approvers"].append(
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Roadway*_????????????????"
    )
    assert error_of(raw) == (
        "roadway.yaml: stages.dev.approvers[1]: arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
        "eu-west-1/AWSReservedSSO_Roadway*_???????????????? could also match the data scientists' arn:aws:iam::"
        "111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_RoadwayDataScientist_"
        "???????????????? (identity.data_scientist_principals); an author's session must not reach this role"
    )
    raw["identity"]["data_scientist_principals"] = []
    parse_config(raw)  # unstated: nothing to compare with (the docs ask for it)


def test_a_permission_set_pattern_ending_in_a_star_is_refused(raw: dict[str, Any]) -> None:
    """``AWSReservedSSO_RoadwayApprover_*`` also matches the role of a set named RoadwayApprover_ReadOnly."""
    raw["stages"]["test"]["approvers"] = [
        "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_RoadwayApprover_*"
    ]
    assert "ends in *, which also matches other permission sets" in error_of(raw)


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("a*", "*b", True),
        ("ab?", "a*c", True),
        ("abc", "abd", False),
        ("x_????", "x_ReadOnly_????", False),
        ("x_*", "x_ReadOnly_????", True),
        ("*", "", True),
        ("a?c", "ab", False),
    ],
)
def test_two_patterns_overlap_when_some_name_matches_both(first: str, second: str, overlap: bool) -> None:
    from roadway.config import _glob_overlap

    assert _glob_overlap(first, second) is overlap
    assert _glob_overlap(second, first) is overlap


@pytest.mark.parametrize(
    ("where", "names", "expected"),
    [
        ("teams", ["pricing", "pricing-eu"], "teams: pricing begins pricing-eu; S3 lists every key that begins"),
        ("projects", ["house-price", "house-price-v2"], "projects: house-price begins house-price-v2;"),
    ],
)
def test_a_name_that_begins_another_is_refused(
    raw: dict[str, Any], where: str, names: list[str], expected: str
) -> None:
    """Listing ``teams/pricing`` (the SDK lists the bare prefix) returns ``teams/pricing-eu/…`` keys too."""
    if where == "teams":
        raw["teams"] = [{**raw["teams"][0], "name": name} for name in names]
    else:
        first = raw["projects"][0]
        raw["projects"] = [first, {**copy.deepcopy(first), "name": names[1], "original": False}]
    assert expected in error_of(raw)


def test_the_next_name_in_order_need_not_begin_with_it() -> None:
    from roadway.config import _prefix_clash

    assert _prefix_clash(["pricing", "pricingx", "retention"]) == ("pricing", "pricingx")
    assert _prefix_clash(["a-b", "a-c", "ab"]) is None


def test_every_problem_is_said_each_naming_its_field(raw: dict[str, Any]) -> None:
    raw["stages"]["test"]["account"] = "1234567890"
    raw["stages"]["prod"]["vpc_cidr"] = "not-a-cidr"
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, "roadway.yaml")
    assert str(caught.value).splitlines() == [
        "roadway.yaml: stages.test.account: expected a 12-digit AWS account ID (quote it in YAML), got '1234567890'",
        "roadway.yaml: stages.prod.vpc_cidr: expected an IPv4 network like 10.10.0.0/16, got 'not-a-cidr'",
    ]


def test_a_misspelled_key_is_one_misspelling_not_a_missing_stage(raw: dict[str, Any]) -> None:
    raw["stages"]["prd"] = raw["stages"].pop("prod")
    assert error_of(raw) == "roadway.yaml: stages.prd: unknown key; did you mean prod?"


def test_a_misspelled_region_is_the_regions_fault_not_the_zones(raw: dict[str, Any]) -> None:
    raw["region"] = "eu-wset-1"
    assert error_of(raw) == (
        "roadway.yaml: region: expected an AWS region where SageMaker runs, like eu-west-1 (the pinned botocore's "
        "list), got 'eu-wset-1'; did you mean eu-west-1?"
    )
    raw["region"] = "mars-north-1"
    assert "got 'mars-north-1'" in error_of(raw) and "images.py" not in error_of(raw)


def test_a_person_listed_twice_is_named_where_the_second_is(raw: dict[str, Any]) -> None:
    raw["data_scientists"].append({"user_name": "ana-garcia", "team": "pricing"})
    assert error_of(raw) == (
        "roadway.yaml: data_scientists[2].user_name: duplicate user_name ana-garcia (also data_scientists[0]); "
        "expected each data scientist once"
    )


def test_watched_features_name_no_models_columns_by_default(raw: dict[str, Any]) -> None:
    """Empty: the drift job watches every feature of the served baseline; Model Monitor's alarm needs names."""
    monitoring = raw["projects"][0]["stages"]["prod"]["serving"]["monitoring"]
    del monitoring["watched_features"]
    assert parse_config(raw).projects[0].stages.prod.serving.monitoring.watched_features == []  # type: ignore[union-attr]
    monitoring["engine"] = "model-monitor"
    assert error_of(raw).startswith(
        "roadway.yaml: projects[0].stages.prod.serving.monitoring: watched_features: engine model-monitor alarms on "
        "the metrics of named features"
    )


def test_an_organizations_boundary_path_and_tags_are_taken(raw: dict[str, Any]) -> None:
    raw.update(iam={"permissions_boundary": "org/boundary", "role_path": "/roadway/ml/"}, tags={"cost-center": "4711"})
    config = parse_config(raw)
    assert (config.iam.permissions_boundary, config.iam.role_path, config.tags) == (
        "org/boundary",
        "/roadway/ml/",
        {"cost-center": "4711"},
    )
    raw["iam"]["permissions_boundary"] = "arn:aws:iam::aws:policy/PowerUserAccess"  # AWS's own: every account has it
    assert parse_config(raw).iam.permissions_boundary.endswith("PowerUserAccess")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("section", "value", "expected"),
    [
        ("iam", {"permissions_boundary": "org boundary!"}, "permissions_boundary: expected a managed policy's name"),
        ("iam", {"permissions_boundary": "arn:aws:iam::111111111111:policy/b"}, "is a policy of account 111111111111"),
        ("iam", {"permissions_boundary": "arn:aws:s3:::bucket"}, "iam.permissions_boundary: expected a managed policy"),
        ("iam", {"role_path": "roadway"}, "iam.role_path: expected an IAM path that begins and ends with /"),
        ("iam", {"role_path": "/roadway"}, "iam.role_path: expected an IAM path that begins and ends with /"),
        ("iam", {"role_path": "/with space/"}, "iam.role_path: expected an IAM path"),
        ("iam", {"role_path": "/" + "a" * 511 + "/"}, "at most 512 characters"),
        ("tags", {"roadway:team": "x"}, "tags: 'roadway:team': keys beginning roadway: are Roadway's own"),
        ("tags", {"Roadway:Stage": "x"}, "tags: 'Roadway:Stage': keys beginning roadway: are Roadway's own"),
        ("tags", {"aws:cost": "x"}, "keys beginning aws: are reserved by AWS"),
        ("tags", {"k": "v" * 257}, "tags: 'k': the value is 257 characters, and AWS allows 256"),
        ("tags", {"k" * 129: "v"}, "the key is 129 characters, and AWS allows 128"),
        ("tags", {"Owner": "a", "owner": "b"}, "'Owner' and 'owner' differ only in case"),
        ("tags", {"k": "a;b"}, "tags: k: expected a value of letters, digits, spaces or _.:/=+@-"),
        ("tags", {f"k{i}": "v" for i in range(47)}, "47 tags, and AWS allows 50 on a resource, 4 of which Roadway"),
    ],
)
def test_an_organizations_demands_refused_in_one_line(
    raw: dict[str, Any], section: str, value: dict[str, str], expected: str
) -> None:
    raw[section] = value
    assert expected in error_of(raw)
