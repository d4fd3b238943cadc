"""The runtime's name modules against what the other side writes or reads: the synthesized templates (parameters,
outputs, rules), the model code that registers packages, and the CLI (which reads only through these names)."""

from __future__ import annotations

from typing import Any

from promote_model.contract import (
    BASELINE_PARAMETERS,
    SOURCE_OUTPUTS,
    Event,
    Lineage,
    Output,
    Parameter,
    evidence_prefix,
)

from devtools.synth import Synth
from model_code import pipeline, registration
from roadway.config import RoadwayConfig
from roadway.naming import Names


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_promotion_sets_exactly_the_serving_stacks_parameters(synth: Synth, config: RoadwayConfig) -> None:
    names = Names.of(config)
    for stage in ("test", "prod"):
        template = synth.templates[names.stack_name(stage, "serving")]
        parameters = set(template["Parameters"]) - {"BootstrapVersion"}
        # The baselines only where drift is watched (prod here): promotion sets those a stack has.
        watched = config.projects[0].stage(stage).serving.monitoring is not None  # type: ignore[union-attr]
        assert parameters == {Parameter.MODEL_PACKAGE, *(BASELINE_PARAMETERS if watched else ())}, stage
        assert {Output.ARTIFACT_BUCKET, Output.GATE} <= set(template["Outputs"]), stage
        assert (Output.DRIFT_REPORTS in template["Outputs"]) == watched, stage


def test_the_drift_job_reads_the_parameters_promotion_sets() -> None:
    """The drift job and the promoter cannot import each other: the parameters' one spelling, held equal here."""
    from drift_monitor.contract import StackParameter

    assert StackParameter.MODEL_PACKAGE == Parameter.MODEL_PACKAGE
    assert {StackParameter.BASELINE_STATISTICS, StackParameter.BASELINE_CONSTRAINTS} == set(BASELINE_PARAMETERS)
    assert {Parameter.BASELINE_STATISTICS, Parameter.BASELINE_CONSTRAINTS} == set(BASELINE_PARAMETERS)


def test_every_stage_announces_what_the_next_reads(synth: Synth, config: RoadwayConfig) -> None:
    names = Names.of(config)
    for stage in ("dev", "test", "prod"):
        outputs = synth.templates[names.stack_name(stage, "promotion")]["Outputs"]
        assert set(SOURCE_OUTPUTS) <= set(outputs), stage
        assert outputs[Output.EVIDENCE_PREFIX]["Value"] == evidence_prefix(stage == "dev")


def test_the_rules_match_the_events_the_function_reads(synth: Synth, config: RoadwayConfig) -> None:
    names = Names.of(config)
    patterns = [
        rule["EventPattern"]
        for stage in ("dev", "test", "prod")
        for rule in _of_type(synth.templates[names.stack_name(stage, "promotion")], "AWS::Events::Rule")
        if "EventPattern" in rule
    ]
    kinds = {(p["source"][0], p["detail-type"][0]) for p in patterns}
    assert kinds == {
        (Event.SAGEMAKER, Event.PACKAGE_STATE_CHANGE),
        (Event.CLOUDFORMATION, Event.STACK_STATUS_CHANGE),
    }
    rollbacks = [p for p in patterns if p["source"] == [Event.CLOUDFORMATION]]
    assert rollbacks and all(p["detail"]["status-details"]["status"] == [Event.ROLLED_BACK] for p in rollbacks)


def test_the_model_code_spells_the_lineage_and_evidence_as_the_promotion_reads_them() -> None:
    """model_code imports nothing of ours (it runs in SageMaker's containers): its spellings are held here."""
    request = registration.package_request(
        group="g",
        image="i",
        model_data_url="s3://b/pipelines/g/r/model.tar.gz",
        evaluation_uri="s3://b/pipelines/g/r/evaluation.json",
        training_data="s3://b/teams/t/datasets/",
    )
    assert set(request["CustomerMetadataProperties"]) == {Lineage.TRAINING_DATA}
    assert evidence_prefix(True).split("/")[0] == pipeline.EVIDENCE_PREFIX


def test_the_explained_answer_has_one_spelling_that_sagemaker_accepts_as_a_response_type() -> None:
    """The endpoint answers it (inference.py), the package lists it (registration.py), the drift job reads it
    (capture.py); the pinned SageMaker API model's ResponseMIMEType pattern decides whether CreateModelPackage
    takes it."""
    import re

    import botocore.session
    from drift_monitor import capture

    from model_code import inference

    assert inference.EXPLAINED == capture.EXPLAINED
    assert registration.RESPONSE_TYPES == [inference.JSON, inference.CSV, inference.EXPLAINED]
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("ResponseMIMEType")
    for kind in registration.RESPONSE_TYPES:
        assert re.fullmatch(shape.metadata["pattern"], kind) and len(kind) <= shape.metadata["max"], kind
    assert not re.fullmatch(shape.metadata["pattern"], "explained"), "the pattern is a check, not a formality"


def test_a_facet_is_spelt_by_the_config_as_the_governance_step_names_its_section() -> None:
    """The gate looks for the config's facets among the bias report's; the step names them as it parses them."""
    from model_code.bias import Facet
    from roadway.config import BiasConfig

    written = ["Neighborhood", "Year.Built=1950.0,1980", "Lot.Area=1e4,20000.5", " Bldg.Type "]
    config = BiasConfig(facets=written).facets
    assert config == [Facet.parse(text).spelling for text in written]
    assert config[1] == "Year.Built=1950,1980", "the step's spelling, not the one written"
