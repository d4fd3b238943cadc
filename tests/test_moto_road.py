"""The moto road is deployed once per worker and restored for every test: no test may see another's leftovers."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws
from promote_model.contract import Env
from promote_model.handler import handler

from devtools import speedups
from devtools.moto_accounts import approval_event, parameters_of
from devtools.synth import Synth
from roadway.config import RoadwayConfig
from tests.moto_road import Road, open_road


def test_a_road_opened_again_is_as_deployed(
    moto_config: RoadwayConfig, moto_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_road(moto_config, moto_synth, monkeypatch) as road:
        stack = road.serving_stack("test")
        deployed = parameters_of(road.sessions["test"], stack)
        source = road.register("dev")
        road.act_as("test")
        assert handler(approval_event(source))["status"] == "promoted"
        road.listen("test")
        assert road.packages("test") and road.keys("test") and road.ledger("test")
        assert parameters_of(road.sessions["test"], stack) != deployed, "the promotion changed the serving stack"
    with open_road(moto_config, moto_synth, monkeypatch) as again:
        assert again.packages("dev") == again.packages("test") == []
        assert again.keys("test") == [] and again.keys("dev", "pipelines/") == []
        assert again.ledger("test", seals=True) == again.ledger("dev", seals=True) == []
        assert parameters_of(again.sessions["test"], stack) == deployed
        queues = again.sessions["test"].client("sqs").list_queues().get("QueueUrls", [])
        assert not [url for url in queues if url.endswith("/alarms-test")], "the test's own queue is gone"


def test_a_closed_road_leaves_moto_empty_for_the_next_test(
    moto_config: RoadwayConfig, moto_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S3's bucket names are global: a bucket of the road must not outlive it in moto's registry of names."""
    with open_road(moto_config, moto_synth, monkeypatch) as road:
        bucket = road.buckets["dev"]
    with mock_aws():
        s3 = boto3.client("s3", region_name=moto_config.region)
        assert s3.list_buckets()["Buckets"] == []
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": moto_config.region})


def test_a_checkpoint_is_built_once_and_restored_as_built(
    moto_config: RoadwayConfig, moto_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []

    def build(road: Road) -> str:
        built.append("once")
        arn = road.register("dev")
        road.act_as("test")
        return arn

    with open_road(moto_config, moto_synth, monkeypatch) as road:
        arn = road.checkpoint("test_moto_road", lambda: build(road))
        road.register("dev", run="run-2")  # after the checkpoint: not part of it
    monkeypatch.delenv(Env.STAGE)
    with open_road(moto_config, moto_synth, monkeypatch) as again:
        assert again.checkpoint("test_moto_road", lambda: build(again)) == arn
        # With the speed-ups off (ROADWAY_SPEEDUPS=0) nothing is kept: the build runs again, to the same end.
        assert built == (["once"] if speedups.enabled() else ["once", "once"])
        assert [p["ModelPackageArn"] for p in again.packages("dev")] == [arn]
        assert os.environ[Env.STAGE] == "test", "acting as the function the build acted as last"


def test_moto_reads_json_templates_as_json_and_yaml_as_before(moto_synth: Synth) -> None:
    """json_templates_first (devtools/patched/moto.py) changes how fast moto reads JSON templates, not what."""
    import json

    import yaml
    from moto.cloudformation.models import Stack as FakeStack

    template = next(iter(moto_synth.templates.values()))
    assert FakeStack.parse_template(json.dumps(template)) == yaml.load(json.dumps(template), Loader=yaml.Loader)
    assert FakeStack.parse_template("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n") == {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}
    }
    assert FakeStack.parse_template("Value: !Ref Topic\n") == {"Value": {"Ref": "Topic"}}, "moto's YAML tags"
