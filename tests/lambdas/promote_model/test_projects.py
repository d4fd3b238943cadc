"""One promotion function per stage serves every project: the event's group picks the project's serving stack,
reader and deployer; each project's gate is its serving stack's; one project's failing event never holds up
another's promotion (moto, two projects of two teams, the FIFO queue as the template makes it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from promote_model import rollback
from promote_model.contract import Env, Output
from promote_model.errors import PromotionError
from promote_model.events import Ignored, parse_approval
from promote_model.gate import Gate, UnreadableGate
from promote_model.handler import handler
from promote_model.settings import ConfigurationError, Settings

from devtools.moto_accounts import approval_event, parameters_of, role_session
from devtools.synth import Synth
from roadway.config import RoadwayConfig
from roadway.naming import Names
from tests.lambdas.promote_model.helpers import deliver, make_queues, receive, settle
from tests.moto_road import Road, open_road

# The unit tests' hypothetical environment (the moto tests use their road's names).
DEV, TEST, REGION = "111111111111", "222222222222", "eu-west-1"


@pytest.fixture()
def two_roads(
    two_projects_moto_config: RoadwayConfig, two_projects_moto_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Road]:
    groups = ("house-price", "churn")
    with open_road(two_projects_moto_config, two_projects_moto_synth, monkeypatch, groups) as road:
        yield road


def base_env(**changes: str) -> dict[str, str]:
    env = {
        Env.PROJECTS: json.dumps({"house-price": "roadway-test-serving", "churn": "roadway-test-churn-serving"}),
        Env.STAGE: "test",
        Env.ACCOUNT: TEST,
        Env.LEDGER_TABLE: "ledger",
        Env.ALARM_TOPIC: "topic",
        Env.SOURCE_STAGE: "dev",
        Env.SOURCE_ACCOUNT: DEV,
        Env.SOURCE_READER_ROLE: "arn:aws:iam::111111111111:role/roadway-dev-{group}-reader",
        Env.SOURCE_PROMOTION_STACK: "roadway-dev-promotion",
        Env.SERVING_DEPLOY_ROLE: "arn:aws:iam::222222222222:role/{stack}-deployer",
        Env.ARRIVAL_STATUS: "PendingManualApproval",
        Env.APPROVER_ROLE: "roadway-dev-approver",
        Env.REGISTRAR_ROLE: "roadway-dev-promoter",
        Env.BREAK_GLASS_ROLE: "roadway-test-break-glass",
        Env.APPROVER_NAMES: "maria-lopez,li-wei",
        Env.SOURCE_PIPELINE: "roadway-{group}",
    }
    return {**env, **changes}


def test_the_settings_of_a_project_are_its_stack_reader_and_deployer() -> None:
    settings = Settings.from_env(base_env())
    churn = settings.for_group("churn")
    assert (churn.group, churn.serving_stack) == ("churn", "roadway-test-churn-serving")
    assert churn.deploy_role_arn == "arn:aws:iam::222222222222:role/roadway-test-churn-serving-deployer"
    assert churn.source is not None and churn.source.reader_role_arn.endswith(":role/roadway-dev-churn-reader")
    assert settings.for_stack("roadway-test-serving") == settings.for_group("house-price")
    assert settings.for_stack("roadway-test-platform") is None, "a stack that is no project's"
    with pytest.raises(KeyError):
        settings.for_group("fraud")


@pytest.mark.parametrize(
    ("projects", "expected"),
    [
        ("[]", "PROJECTS is not a JSON object of model package groups to stacks"),
        ("{}", "PROJECTS is not a JSON object of model package groups to stacks"),
        ('{"churn": 3}', "PROJECTS is not a JSON object of model package groups to stacks"),
        ("{churn", "PROJECTS is not JSON"),
    ],
)
def test_an_unreadable_projects_variable_is_one_line(projects: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        Settings.from_env(base_env(**{Env.PROJECTS: projects}))
    env = base_env()
    del env[Env.PROJECTS]
    with pytest.raises(ConfigurationError, match="environment variable PROJECTS is not set"):
        Settings.from_env(env)


def test_an_event_of_a_group_that_is_no_project_is_ignored_with_the_projects_named() -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{DEV}:model-package/fraud/1"
    with pytest.raises(Ignored, match=r"group 'fraud', which is no project of this road \(churn, house-price\)"):
        parse_approval(approval_event(arn), {"house-price": "", "churn": ""})
    assert parse_approval(approval_event(arn.replace("fraud", "churn")), {"churn": ""}).group == "churn"


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (None, "no PromotionGate output"),
        ("0.12", "PromotionGate is '0.12', expected rmse_log_max and max_regression_pct"),
        ('{"rmse_log_max": 0.1}', "expected rmse_log_max and max_regression_pct"),
        ('{"rmse_log_max": "0.1", "max_regression_pct": null}', "PromotionGate.rmse_log_max is '0.1', expected a"),
        ('{"rmse_log_max": true, "max_regression_pct": null}', "PromotionGate.rmse_log_max is True"),
        ("{not json", "PromotionGate is not JSON"),
        # NaN and Infinity are JSON to Python, and compare false with every metric: they would open the gate.
        ('{"rmse_log_max": NaN, "max_regression_pct": null}', "PromotionGate.rmse_log_max is nan, expected a finite"),
        ('{"rmse_log_max": 0.1, "max_regression_pct": Infinity}', "max_regression_pct is inf, expected a finite"),
        ('{"rmse_log_max": -1, "max_regression_pct": null}', "PromotionGate.rmse_log_max is -1, expected above 0"),
        ('{"rmse_log_max": 0.1, "max_regression_pct": 101}', "max_regression_pct is 101, expected 0 to 100"),
    ],
)
def test_a_gate_the_stack_does_not_state_is_unreadable_never_open(output: str | None, reason: str) -> None:
    with pytest.raises(UnreadableGate, match=reason.replace("(", r"\(").replace(")", r"\)")):
        Gate.from_output(output)
    assert Gate.from_output('{"rmse_log_max": 0.12, "max_regression_pct": 2}') == Gate(0.12, 2)
    assert Gate.from_output('{"rmse_log_max": null, "max_regression_pct": null}') == Gate()


def test_a_serving_stack_without_its_gate_promotes_nothing(
    moto_config: RoadwayConfig, moto_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack from before projects (or edited by hand) states no gate: the promotion fails, it does not guess."""
    templates = json.loads(json.dumps(moto_synth.templates))
    del templates[Names.of(moto_config).stack_name("test", "serving")]["Outputs"][Output.GATE]
    without_gate = Synth(moto_synth.outdir, templates, moto_synth.report)
    with open_road(moto_config, without_gate, monkeypatch) as road:
        promote_without_a_gate(road)


def promote_without_a_gate(road: Road) -> None:
    source = road.register("dev")
    road.act_as("test")
    with pytest.raises(PromotionError) as failed:
        handler(approval_event(source))
    assert failed.value.step == "gate" and "no PromotionGate output" in str(failed.value)
    assert road.packages("test") == [] and road.keys("test") == []
    (record,) = road.ledger("test")
    assert record["outcome"] == "failed" and record["step"] == "gate"


def test_one_projects_failing_event_never_holds_up_anothers_promotion(two_roads: Road) -> None:
    """house-price's event fails (its package cannot be read in dev) and is retried; churn's, in its own message
    group, is promoted meanwhile into churn's own serving stack. Neither touches the other's stack."""
    road = two_roads
    churn = road.register("dev", group="churn")
    road.act_as("test")
    sqs, url, _ = make_queues(road, "test")
    missing = f"arn:aws:sagemaker:{road.region}:{road.accounts['dev']}:model-package/house-price/99"
    deliver(sqs, url, approval_event(missing), "house-price")
    deliver(sqs, url, approval_event(churn), "churn")

    failing = receive(sqs, url)
    assert failing is not None and json.loads(failing["Body"])["detail"]["ModelPackageArn"] == missing
    promoting = receive(sqs, url)
    assert promoting is not None, "churn is not held up by house-price's event in flight"
    assert settle(sqs, url, promoting) == ("done", "promoted")
    assert settle(sqs, url, failing) == ("failed", "read-source")

    test = road.sessions["test"]
    (promoted,) = road.packages("test", group="churn")
    assert parameters_of(test, road.serving_stack("test", "churn"))["ModelPackageArn"] == promoted["ModelPackageArn"]
    assert parameters_of(test, road.serving_stack("test"))["ModelPackageArn"] == "", "house-price's stack untouched"
    assert road.packages("test") == []
    assert {(r["source_arn"], r["outcome"]) for r in road.ledger("test")} == {(churn, "promoted"), (missing, "failed")}
    assert [r["target_stack"] for r in road.ledger("test") if r["outcome"] == "promoted"] == [
        road.serving_stack("test", "churn")
    ]


def stack_event(road: Road, stack: str, status: str = "UPDATE_ROLLBACK_COMPLETE") -> dict[str, Any]:
    account = road.accounts["test"]
    return {
        "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation",
        "account": account,
        "detail": {
            "stack-id": f"arn:aws:cloudformation:{road.region}:{account}:stack/{stack}/0a1b2c3d",
            "status-details": {"status": status, "status-reason": "alarms"},
        },
    }


def test_a_rollback_is_recorded_against_the_project_whose_stack_rolled_back(two_roads: Road) -> None:
    road = two_roads
    churn = road.register("dev", group="churn")
    road.act_as("test")
    assert handler(approval_event(churn))["status"] == "promoted"
    # The rule hears every stack of the stage; only the projects' serving stacks are recorded.
    assert rollback.handler(stack_event(road, road.names.stack_name("test", "platform"))) == {"status": "ignored"}
    alarms = road.listen("test")
    outcome = rollback.handler(stack_event(road, road.serving_stack("test", "churn")))
    assert outcome["status"] == "rolled-back"
    record = road.ledger("test")[-1]
    assert (record["outcome"], record["target_stack"]) == ("rolled-back", road.serving_stack("test", "churn"))
    assert record["served_arn"] == road.packages("test", group="churn")[0]["ModelPackageArn"]
    (message,) = alarms()
    assert message["Subject"].startswith("Roadway: churn in test rolled back")


def test_a_package_registered_by_another_projects_pipeline_is_never_sealed_nor_promoted(two_roads: Road) -> None:
    """churn's pipeline role registering into house-price (IAM forbids it: the role's policy names churn's group;
    this holds should a policy ever say otherwise): dev records why it refused to seal it and pages once; test
    refuses the approved package with that reason, and copies nothing."""
    alarms = two_roads.listen("dev")
    churns_role = two_roads.model("churn").pipeline_role()
    churns_pipeline = role_session(two_roads.accounts["dev"], churns_role)
    source = two_roads.register("dev", created_by=churns_pipeline)
    (refusal,) = [e for e in two_roads.ledger("dev", seals=True) if e["source_arn"] == source]
    own_role = two_roads.model("house-price").pipeline_role()
    reason = (
        f"registered in house-price by {churns_role}, the pipeline of project churn; house-price's "
        f"packages come from {own_role}"
    )
    assert (refusal["outcome"], refusal["reason"]) == ("seal-refused", reason)
    (alarm,) = alarms()
    assert alarm["Subject"] == "Roadway: house-price v1 not sealed in dev" and reason in alarm["Message"]
    assert two_roads.seal("dev", source)["status"] == "already-seal-refused", "told once"
    assert alarms() == []

    two_roads.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused"
    assert outcome["reason"] == f"dev refused to seal it at registration: {reason}"
    assert two_roads.packages("test") == [] and two_roads.keys("test") == []


def test_a_package_from_a_run_of_another_projects_pipeline_is_never_sealed(two_roads: Road) -> None:
    """house-price's pipeline role handed to churn's pipeline by a member of a team owning both (IAM cannot pair a
    role with its pipeline): the package names churn's run as its origin, and dev does not seal it."""
    churns, own = two_roads.model("churn").pipeline(), two_roads.model("house-price").pipeline()
    run = f"arn:aws:sagemaker:{two_roads.region}:{two_roads.accounts['dev']}:pipeline/{churns}/execution/abc123"
    source = two_roads.register(
        "dev",
        approved=False,
        created_by=role_session(two_roads.accounts["dev"], two_roads.model("house-price").pipeline_role()),
        MetadataProperties={"GeneratedBy": run},
    )
    (refusal,) = [e for e in two_roads.ledger("dev", seals=True) if e["source_arn"] == source]
    assert refusal["outcome"] == "seal-refused"
    assert refusal["reason"] == (
        f"registered in house-price from a run of {churns}, the pipeline of project churn; house-price's "
        f"packages come from {own}"
    )


def test_a_projects_own_pipeline_and_its_teams_members_have_their_packages_sealed(two_roads: Road) -> None:
    own = two_roads.register(
        "dev",
        group="churn",
        approved=False,
        created_by=role_session(two_roads.accounts["dev"], two_roads.model("churn").pipeline_role()),
    )
    person = two_roads.register("dev", group="churn", approved=False, run="run-2", author="chen-wei")
    sealed = {e["source_arn"]: e["outcome"] for e in two_roads.ledger("dev", seals=True)}
    assert sealed == {own: "sealed", person: "sealed"}


def test_an_unreadable_pipeline_roles_variable_is_one_line() -> None:
    for value, expected in (('{"churn": 7}', "is not a JSON object of model package groups to"), ("{", "is not JSON")):
        with pytest.raises(ConfigurationError) as caught:
            Settings.from_env(base_env(**{Env.PIPELINE_ROLES: value}))
        assert str(caught.value).startswith(f"PIPELINE_ROLES {expected}"), caught.value
