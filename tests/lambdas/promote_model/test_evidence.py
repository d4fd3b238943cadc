"""Evidence only from where one role alone writes it: the source's artifact bucket, under its evidence prefix
(dev: ``pipelines/<run>/``, written only by the pipeline's jobs; test: ``promoted/``, only by test's promoter),
all of one run. Who may write there is proven from the bucket policy
(tests/stacks/constructs/studio/test_evidence_pipeline.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from promote_model import handler as handler_module

from devtools.moto_accounts import approval_event
from tests.moto_road import Road

handler = handler_module.handler


def metrics_at(uri: str) -> dict[str, Any]:
    return {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": uri}}}


def refused(road: Road, source: str, reason: str) -> None:
    road.act_as("test")
    outcome = handler(approval_event(source))
    assert outcome["status"] == "refused" and reason in outcome["reason"], outcome
    assert road.packages("test") == [] and road.keys("test") == []
    assert [r["outcome"] for r in road.ledger("test")] == ["refused"]


def test_metrics_written_by_hand_outside_the_evidence_prefix_are_refused(road: Road) -> None:
    s3 = road.sessions["dev"].client("s3")
    body = json.dumps({"regression_metrics": {"rmse_log": {"value": 0.01}}}).encode()
    s3.put_object(Bucket=road.buckets["dev"], Key="scratch/evaluation.json", Body=body)
    uri = f"s3://{road.buckets['dev']}/scratch/evaluation.json"
    source = road.register("dev", ModelMetrics=metrics_at(uri))
    refused(
        road, source, f"evaluation.json ({uri}) is not under s3://{road.buckets['dev']}/pipelines/house-price/<run>/"
    )


def test_evidence_in_another_bucket_of_the_source_account_is_refused(road: Road) -> None:
    s3 = road.sessions["dev"].client("s3")
    data = f"{road.config.project}-dev-data"
    s3.create_bucket(Bucket=data, CreateBucketConfiguration={"LocationConstraint": road.region})
    s3.put_object(Bucket=data, Key="pipelines/run-1/evaluation.json", Body=b"{}")
    source = road.register("dev", ModelMetrics=metrics_at(f"s3://{data}/pipelines/run-1/evaluation.json"))
    refused(road, source, f"is not under s3://{road.buckets['dev']}/pipelines/house-price/<run>/")


def test_one_runs_metrics_cannot_vouch_for_another_runs_model(road: Road) -> None:
    road.register("dev", run="run-2", approved=False, sealed=False)  # a good run's evaluation.json exists
    good = f"s3://{road.buckets['dev']}/pipelines/house-price/run-2/evaluation.json"
    source = road.register("dev", run="run-1", ModelMetrics=metrics_at(good))
    refused(road, source, "the artifacts come from 2 different runs (run-1, run-2)")


def test_one_runs_evidence_is_taken(road: Road) -> None:
    source = road.register("dev", run="run-7")
    road.act_as("test")
    assert handler(approval_event(source))["status"] == "promoted"


def test_a_source_that_does_not_say_where_its_evidence_is_is_a_clear_failure(road: Road) -> None:
    """A source promotion stack of an older Roadway has no EvidencePrefix output: fail, name it, retry later."""
    source = road.register("dev")
    cfn = road.sessions["dev"].client("cloudformation")
    stack = road.names.stack_name("dev", "promotion")
    template = json.loads(json.dumps(cfn.get_template(StackName=stack)["TemplateBody"]))
    del template["Outputs"]["EvidencePrefix"]
    cfn.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    road.act_as("test")
    with pytest.raises(handler_module.PromotionError, match=f"{stack} has no EvidencePrefix output"):
        handler(approval_event(source))
    assert road.packages("test") == []
