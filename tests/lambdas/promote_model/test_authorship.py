"""Authorship is who wrote what ran: a first-stage run's code must lie in one person's own folder (which only they
can write), and that person must have started the run and last changed the pipeline; they are the author four
eyes compares with the approver. On the moto road (SageMaker's records of the run written as it would)."""

from __future__ import annotations

import json

import pytest
from promote_model.authorship import code_owners, of_run
from promote_model.handler import handler

from devtools.moto_accounts import approval_event, studio_user
from tests.lambdas.promote_model.helpers import assert_untouched
from tests.moto_road import Road

ANA, BEN = "ana-garcia", "ben-okafor"  # both of team pricing


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        (
            {"run_code": [f"pricing/{BEN}"]},
            f"its code is {BEN}'s (teams/pricing/{BEN}/) but {ANA} started the run",
        ),
        (
            {"run_code": [f"pricing/{ANA}", f"pricing/{BEN}"]},
            f"its run names code in more than one person's folder (pricing/{ANA}, pricing/{BEN})",
        ),
        ({"run_started_by": BEN}, f"its code is {ANA}'s (teams/pricing/{ANA}/) but {BEN} started the run"),
        (
            {"pipeline_changed_by": BEN},
            f"its code is {ANA}'s (teams/pricing/{ANA}/) but {BEN} last changed the pipeline",
        ),
        ({"run_code": []}, "its run names no code in a person's own folder (teams/<team>/<user>/)"),
    ],
)
def test_a_run_whose_code_starter_and_pipeline_are_not_one_persons_is_refused(
    road: Road, run: dict[str, object], reason: str
) -> None:
    """Ben overwrote nothing of Ana's (he cannot write her folder); but a run naming his code, started by him, or
    of a pipeline he changed last is not Ana's work, whoever registered it."""
    source = road.register("dev", author=ANA, **run)  # type: ignore[arg-type]
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert (outcome["status"], outcome["reason"]) == ("refused", reason)
    assert_untouched(road, "test")


def test_a_package_registered_by_someone_else_than_the_runs_author_is_refused(road: Road) -> None:
    """Ana registers from Ben's run (his code, started and last changed by him): Ben is its author, not Ana."""
    source = road.register("dev", author=BEN, created_by=studio_user("arn:aws:sagemaker:us-east-2:444444444444:x", ANA))
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert (outcome["status"], outcome["reason"]) == ("refused", f"its code is {BEN}'s but {ANA} registered it")


def test_a_run_of_the_authors_own_code_promotes() -> None:
    definition = json.dumps(
        {
            "Parameters": [{"Name": "TrainData", "DefaultValue": f"s3://b/teams/pricing/{BEN}/data/"}],
            "Steps": [{"Arguments": {"Code": f"s3://b/teams/pricing/{ANA}/code/x.py", "Out": "s3://b/pipelines/g"}}],
        }
    )
    assert code_owners(definition) == {f"pricing/{ANA}": {f"s3://b/teams/pricing/{ANA}/code/x.py"}}, (
        "a parameter's value (the data) is the run's input, not its code"
    )
    ana = {"UserProfileName": ANA}
    verdict = of_run(definition, ana, ana)
    assert verdict.passed and verdict.author == ANA
    assert not of_run("not json", ana, ana).passed
    assert of_run(definition, ana, {"IamIdentity": {"Arn": "arn:aws:sts::1:assumed-role/ci/x"}}).reason == (
        f"its code is {ANA}'s (teams/pricing/{ANA}/) but no known person last changed the pipeline"
    )
