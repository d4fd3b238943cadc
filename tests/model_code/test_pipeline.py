"""The SageMaker Pipeline's definition, generated offline, and the Evaluate step it runs."""

from __future__ import annotations

import json
import logging
import re
import shutil
import tarfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from promote_model import bias as promotion_bias

from model_code import evaluate, features, governance, train
from model_code.pipeline import PipelineSettings, definition
from model_code.registration import CONTAINER_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline() -> dict[str, Any]:
    """The default: Roadway's profiler computes the drift baseline (every account can run it)."""
    return definition(
        PipelineSettings(
            bucket="roadway-dev-pipeline", group="house-price", facets=["Neighborhood", "Year.Built=1950,2000"]
        )
    )


@pytest.fixture(scope="module")
def model_monitor_pipeline() -> dict[str, Any]:
    """For accounts that have Model Monitor: its analyzer computes the baseline."""
    return definition(
        PipelineSettings(bucket="roadway-dev-pipeline", group="house-price", monitoring_engine="model-monitor")
    )


def moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """What boto3 needs to talk to moto's in-process AWS (nothing real)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


def steps_by_name(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {step["Name"]: step for step in steps}


def test_prepare_train_evaluate_baseline_register(pipeline: dict[str, Any]) -> None:
    assert [s["Name"] for s in pipeline["Steps"]] == [
        "Prepare",
        "Train",
        "Evaluate",
        "Baseline",
        "Governance",
        "Register",
    ]
    steps = steps_by_name(pipeline["Steps"])
    assert {n: s["Type"] for n, s in steps.items()} == {
        "Prepare": "Processing",
        "Baseline": "Processing",
        "Train": "Training",
        "Evaluate": "Processing",
        "Governance": "Processing",
        "Register": "RegisterModel",
    }, "no metric condition of its own: the gate is the promotion's, from the config"
    assert {p["Name"]: p["DefaultValue"] for p in pipeline["Parameters"]} == {
        "TrainData": "s3://roadway-dev-pipeline/teams/pricing/ana-garcia/datasets/ames/",
        "ModelKind": "ridge",
    }


def test_register_step_waits_for_approval_with_metrics(pipeline: dict[str, Any]) -> None:
    register = steps_by_name(pipeline["Steps"])["Register"]["Arguments"]
    assert register["ModelPackageGroupName"] == "house-price"
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    (container,) = register["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    # The one registration path (model_code/registration.py); the SDK adds its log level and region.
    assert CONTAINER_ENVIRONMENT.items() <= container["Environment"].items()
    assert container["Image"] == "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert "Steps.Evaluate.ProcessingOutputConfig" in json.dumps(statistics["S3Uri"])
    train_step = steps_by_name(pipeline["Steps"])["Train"]["Arguments"]
    channels = {c["ChannelName"] for c in train_step["InputDataConfig"]}
    assert "train" in channels


def test_the_evaluate_step_reproduces_trainings_held_out_metrics(tmp_path: Path) -> None:
    metrics = train.main(
        [
            "--train",
            str(ROOT / "data"),
            "--model-dir",
            str(tmp_path / "model"),
            "--output-data-dir",
            str(tmp_path / "output"),
            # Not the defaults: evaluation must split as this training did, whatever it chose.
            *("--seed", "3", "--test-size", "0.3", "--sample", "1500"),
        ]
    )
    packed = tmp_path / "processing-model"
    packed.mkdir()
    with tarfile.open(packed / "model.tar.gz", "w:gz") as tar:
        for item in (tmp_path / "model").iterdir():
            tar.add(item, arcname=item.name)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(ROOT / "data" / "ames.csv", data / "ames.csv")
    report = evaluate.main(str(packed), str(data), str(tmp_path / "evaluation"), str(tmp_path / "baseline"))
    assert report["regression_metrics"]["rmse_log"]["value"] == pytest.approx(metrics["rmse_log"])
    written = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert written == report
    # The Baseline step's rows, written by Evaluate alone (training keeps them out of model.tar.gz): the split
    # training fit on, as its arguments chose it, every input as requests send it, and the model's answer to it.
    assert not (tmp_path / "model" / "baseline.csv").exists()
    bundle = joblib.load(tmp_path / "model" / "model.joblib")
    raw = features.training_rows(features.read_channel(data))
    trained_on, _ = features.split(raw, {"test_size": 0.3, "seed": 3, "sample": 1500})
    written_rows = tmp_path / "baseline" / "baseline.csv"
    assert written_rows.read_text() == evaluate.baseline_rows(bundle["pipeline"], trained_on).to_csv(index=False)
    baseline = features.read_channel(written_rows)
    assert list(baseline.columns) == [*bundle["inputs"], evaluate.PREDICTION] and "price" not in baseline.columns
    assert len(baseline) == 1050, "the training split of 1500 sales, 30 % held out"
    read_back = np.exp(bundle["pipeline"].predict(features.engineer(baseline.drop(columns=[evaluate.PREDICTION]))))
    assert baseline[evaluate.PREDICTION].to_numpy() == pytest.approx(read_back, abs=0.01), "the answers to these rows"


def test_the_governance_step_reports_on_the_trained_model_and_register_attaches_both_reports(
    pipeline: dict[str, Any],
) -> None:
    steps = steps_by_name(pipeline["Steps"])
    governance = steps["Governance"]["Arguments"]
    inputs = {i["InputName"]: json.dumps(i["S3Input"]["S3Uri"]) for i in governance["ProcessingInputs"]}
    assert "Steps.Train.ModelArtifacts.S3ModelArtifacts" in inputs["model"]
    assert "Steps.Prepare.ProcessingOutputConfig.Outputs['train']" in inputs["data"]
    assert governance["AppSpecification"]["ContainerArguments"] == [
        "--facet",
        "Neighborhood",
        "--facet",
        "Year.Built=1950,2000",
        "--min-group-size",
        "20",
    ]
    assert "sagemaker-scikit-learn" in governance["AppSpecification"]["ImageUri"]
    register = steps["Register"]["Arguments"]["ModelMetrics"]
    output = "Steps.Governance.ProcessingOutputConfig.Outputs['governance'].S3Output.S3Uri"
    for field, name in (("Bias", "bias.json"), ("Explainability", "explainability.json")):
        assert register[field]["Report"] == {
            "ContentType": "application/json",
            "S3Uri": {"Std:Join": {"On": "/", "Values": [{"Get": output}, name]}},
        }


def test_the_governance_step_writes_both_reports_from_model_tar_gz(trained: dict[str, Any], tmp_path: Path) -> None:
    """As the processing job gets them: model.tar.gz and the prepared data; on the held-out split training kept."""
    packed = tmp_path / "model"
    packed.mkdir()
    shutil.copyfile(trained["work"] / "model.tar.gz", packed / "model.tar.gz")
    out = tmp_path / "governance"
    reports = governance.main(
        [
            *("--model-dir", str(packed), "--data-dir", str(ROOT / "data"), "--output-dir", str(out)),
            *("--facet", "Neighborhood", "--facet", "Year.Built=1950,1980,2000", "--min-group-size", "10"),
        ]
    )
    written = {name: json.loads((out / name).read_text()) for name in (governance.BIAS_REPORT, "explainability.json")}
    assert written == reports
    errors = reports["bias.json"]["roadway_group_errors"]
    assert errors["held_out_rows"] == trained["metrics"]["held_out_rows"], "the held-out split training kept"
    assert set(errors["facets"]) == {"Neighborhood", "Year.Built=1950,1980,2000"}
    assert sum(row["count"] for row in errors["facets"]["Neighborhood"]) == errors["held_out_rows"]
    assert errors["max_group_rmse_ratio"]["value"] > 1 and errors["max_group_residual"]["value"] > 0
    # The promotion's gate computes its figures from the groups itself (lambdas/promote_model/bias.py): the report's
    # summary, which people read, says what the gate will judge.
    judged = promotion_bias.figures(json.dumps(reports["bias.json"]).encode())
    assert judged is not None and judged.ratio is not None and judged.residual is not None
    ratio, largest, smallest = judged.ratio
    assert errors["max_group_rmse_ratio"] == {
        "value": pytest.approx(ratio),
        "facet": largest.facet,
        "largest": largest.name,
        "smallest": smallest.name,
    }
    assert errors["max_group_residual"] == {
        "value": pytest.approx(abs(judged.residual.residual)),
        "facet": judged.residual.facet,
        "group": judged.residual.name,
    }
    shap = reports["explainability.json"]["explanations"]["kernel_shap"]["label0"]
    assert list(shap["global_shap_values"])[:1] != [] and min(shap["global_shap_values"].values()) >= 0
    values = list(shap["global_shap_values"].values())
    assert values == sorted(values, reverse=True)
    mean_log_price = np.log(features.read_channel(ROOT / "data")["price"]).mean()
    assert shap["expected_value"] == pytest.approx(mean_log_price, abs=0.1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--facet", "Neighbourhood"], "governance: facet 'Neighbourhood' is not a column of the training data"),
        (["--facet", "Neighborhood=1,2"], "governance: facet 'Neighborhood=1,2': bands need a numeric column"),
        (["--min-group-size", "0"], "governance: --min-group-size 0: expected 1 or more sales"),
    ],
)
def test_a_facet_the_data_does_not_have_stops_the_step_with_one_line(
    trained: dict[str, Any], arguments: list[str], message: str
) -> None:
    where = ["--model-dir", str(trained["work"] / "model"), "--data-dir", str(ROOT / "data")]
    where += ["--output-dir", "/nowhere"]
    with pytest.raises(SystemExit) as stopped:
        governance.main([*where, *arguments])
    assert str(stopped.value).startswith(message) and "\n" not in str(stopped.value)


def _uses(step: dict[str, Any]) -> str:
    return json.dumps(step["Arguments"])


def test_the_baseline_profiles_the_training_inputs_with_the_models_answers(pipeline: dict[str, Any]) -> None:
    steps = steps_by_name(pipeline["Steps"])
    assert [o["OutputName"] for o in steps["Prepare"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]] == ["train"]
    evaluate_outputs = steps["Evaluate"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    assert [o["OutputName"] for o in evaluate_outputs] == ["evaluation", "predicted-baseline"]
    baseline = steps["Baseline"]["Arguments"]
    (rows,) = [i for i in baseline["ProcessingInputs"] if i["InputName"] == "rows"]
    assert "Outputs['predicted-baseline']" in json.dumps(rows["S3Input"]["S3Uri"])
    assert baseline["AppSpecification"]["ContainerArguments"] == [
        "--input",
        rows["S3Input"]["LocalPath"],
        "--output",
        "/opt/ml/processing/data-quality-baseline",
    ]
    assert "sagemaker-scikit-learn" in baseline["AppSpecification"]["ImageUri"]  # no Model Monitor image
    assert not rows["S3Input"]["LocalPath"].startswith("/opt/ml/processing/input")


def test_the_profilers_folder_ships_nothing_the_processing_job_would_install() -> None:
    """The processor packs the Baseline step's whole source folder, and its start script pip-installs a
    requirements.txt found there: the jobs run isolated, with no index to install from."""
    from model_code.pipeline import PROFILER_DIR

    assert (PROFILER_DIR / "profile.py").is_file()
    assert not list(PROFILER_DIR.glob("requirements*.txt"))


def test_the_registered_baseline_is_the_profilers(pipeline: dict[str, Any]) -> None:
    register = steps_by_name(pipeline["Steps"])["Register"]["Arguments"]
    drift = register["DriftCheckBaselines"]["ModelDataQuality"]
    output = "Steps.Baseline.ProcessingOutputConfig.Outputs['data-quality-baseline'].S3Output.S3Uri"
    for part, name in (("Statistics", "statistics.json"), ("Constraints", "constraints.json")):
        assert drift[part]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [{"Get": output}, name]}}
        assert register["ModelMetrics"]["ModelDataQuality"][part] == drift[part]


def test_with_model_monitor_training_and_baselining_read_what_prepare_wrote(
    model_monitor_pipeline: dict[str, Any],
) -> None:
    assert [s["Name"] for s in model_monitor_pipeline["Steps"]] == [
        "Prepare",
        "Baseline",
        "Train",
        "Evaluate",
        "Governance",
        "Register",
    ]
    steps = steps_by_name(model_monitor_pipeline["Steps"])
    prepare = steps["Prepare"]["Arguments"]
    assert [o["OutputName"] for o in prepare["ProcessingOutputConfig"]["Outputs"]] == ["train", "baseline"]
    assert '"Get": "Parameters.TrainData"' in _uses(steps["Prepare"])
    assert "Outputs['train']" in _uses(steps["Train"]) and "Outputs['train']" in _uses(steps["Evaluate"])
    baseline = steps["Baseline"]
    assert baseline["CheckType"] == "DATA_QUALITY" and baseline["RegisterNewBaseline"] is True
    assert "Outputs['baseline']" in _uses(baseline)
    assert "sagemaker-model-monitor-analyzer" in baseline["Arguments"]["AppSpecification"]["ImageUri"]
    assert json.loads(baseline["Arguments"]["Environment"]["dataset_format"])["csv"]["header"] is True


def test_with_model_monitor_register_records_the_baseline_promotion_hands_to_prod(
    model_monitor_pipeline: dict[str, Any],
) -> None:
    register = steps_by_name(model_monitor_pipeline["Steps"])["Register"]["Arguments"]
    drift = register["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.Baseline.BaselineUsedForDriftCheckStatistics"}
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.Baseline.BaselineUsedForDriftCheckConstraints"}
    calculated = register["ModelMetrics"]["ModelDataQuality"]
    assert calculated["Statistics"]["S3Uri"] == {"Get": "Steps.Baseline.CalculatedBaselineStatistics"}


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="monitoring engine 'deequ': expected one of roadway, model-monitor"):
        definition(PipelineSettings(monitoring_engine="deequ"))


def test_a_bundle_refuses_to_run_outside_the_vpc_and_upsert_needs_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from model_code.pipeline import main

    with pytest.raises(SystemExit) as exited:
        main(["bundle", "--out", str(tmp_path), "--role-arn", "arn:aws:iam::111111111111:role/r", "--bucket", "b"])
    assert exited.value.code == 2
    assert "bundle needs --out, --subnet, --security-group and --volume-kms-key" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["upsert", "--bundle", str(tmp_path)])
    assert exited.value.code == 2 and "upsert needs --bundle DIR" in capsys.readouterr().err


def test_the_command_opts_out_of_telemetry_and_prints_only_its_own_lines(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`bundle` builds with the SDK's defaults opting out of telemetry (the documented TelemetryOptOut), and what
    the SDK logs or warns while it builds is not printed. The build itself is stood in for: the SDK validates that
    config at every lookup (3 s a build), and what it says is the SDK's own."""
    from model_code import pipeline as module

    built: list[Any] = []

    def chatty_bundle(settings: Any, out: Path) -> Path:
        built.append(settings)
        logging.getLogger("sagemaker.config").info("Not applying SDK defaults from location: ...")
        logging.getLogger("sagemaker.core.workflow.utilities").warning("Popping out 'TrainingJobName' ...")
        warnings.warn("Running within a PipelineSession, there will be No Wait", UserWarning, stacklevel=1)
        return out

    monkeypatch.setattr(module, "bundle", chatty_bundle)
    caplog.set_level(logging.DEBUG)
    argv = ["bundle", "--region", "eu-west-1", "--out", str(tmp_path), "--subnet", "s", "--security-group", "g"]
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        assert module.main([*argv, "--volume-kms-key", "k"]) == 0
    (settings,) = built
    assert settings.sdk_defaults["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True
    assert capsys.readouterr() == (f"{tmp_path}\n", "")
    assert [r.getMessage() for r in caplog.records] == [] and [str(w.message) for w in warned] == []
    logging.getLogger("sagemaker.config").warning("after the build, logging is as it was")
    assert caplog.records, "the silence ends with the build"


def test_without_a_region_the_pipeline_says_which_option_to_give(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's NoRegionError named no option; a wrong default region would have put other images in the bundle."""
    from model_code.pipeline import main

    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["start", "--group", "house-price"])
    assert exited.value.code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .endswith("say the region: --region <the road's region> (config region), or set AWS_DEFAULT_REGION")
    )


def test_the_definition_asks_sagemaker_to_create_no_experiment(pipeline: dict[str, Any]) -> None:
    """The SDK's default makes SageMaker create an experiment and a trial per execution, as the pipeline role,
    which may create neither."""
    assert pipeline.get("PipelineExperimentConfig") is None


def test_a_bundle_is_upserted_and_started_from_studio_with_boto3_alone(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Built where the pinned SDK is, offline; then, as a VpcOnly Studio space can (boto3, no SDK, no index): the
    code the definition refers to uploaded, the pipeline created with the team's tag, updated, started."""
    import sys

    import boto3
    from moto import mock_aws

    from model_code import pipeline as module

    settings = PipelineSettings(
        bucket="roadway-dev-data",
        group="house-price",
        team="pricing",
        subnets=["subnet-1"],
        security_groups=["sg-1"],
        volume_kms_key="arn:aws:kms:eu-west-1:111111111111:key/k",
    )
    folder = module.bundle(settings, tmp_path / "bundle")
    manifest = json.loads((folder / "manifest.json").read_text())
    document = (folder / "definition.json").read_text()
    referenced = re.findall(rf"s3://{settings.bucket}/(teams/[^\"]+)", document)
    code = [key for key in referenced if "/datasets/" not in key]  # the team's data is its own, already there
    assert code, "the definition runs code the SDK uploaded"
    objects = manifest["objects"]
    for key in code:  # every object the definition refers to travels in the bundle
        assert any(o == key or o.startswith(key.rstrip("/") + "/") for o in objects), key
    assert all(key.startswith(f"teams/pricing/{settings.user}/") for key in objects), "only its author's own folder"

    monkeypatch.setitem(sys.modules, "sagemaker", None)  # what Studio lacks: the pinned SDK (importing it fails)
    moto_credentials(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=settings.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        role = "arn:aws:iam::111111111111:role/roadway-dev-pipeline"
        arn = module.upsert_bundle(folder, role)
        for key in objects:
            uploaded = s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
            assert uploaded == (folder / "objects" / key).read_bytes()
        sagemaker = boto3.client("sagemaker")
        described = sagemaker.describe_pipeline(PipelineName=settings.name)
        assert json.loads(described["PipelineDefinition"]) == json.loads(document) and described["RoleArn"] == role
        assert {"Key": "roadway:team", "Value": "pricing"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]
        assert module.upsert_bundle(folder, role) == arn, "a second upsert updates the same pipeline"
        assert module.main(["start", "--group", "house-price"]) == 0


def test_prepare_writes_training_rows_and_the_monitor_baseline(tmp_path: Path) -> None:
    from model_code import features, prepare

    counts = prepare.main(
        ["--input", str(ROOT / "data"), "--train", str(tmp_path / "t"), "--baseline", str(tmp_path / "b")]
    )
    assert counts["read"] == 2930 and counts["kept"] == 2925  # the five sales above 4,000 sq ft
    trained_on = features.read_channel(tmp_path / "t")
    baseline = features.read_channel(tmp_path / "b")
    assert len(trained_on) == len(baseline) == counts["kept"] and trained_on["area"].max() <= 4000
    assert list(baseline.columns) == features.inputs_of(trained_on) and "price" not in baseline.columns


def test_every_step_runs_as_the_job_role_and_writes_into_its_executions_folder(pipeline: dict[str, Any]) -> None:
    """Only the project's job role may write ``pipelines/<group>/`` (the artifact bucket's policy and the role's),
    and one execution's outputs share one folder: the promotion takes a package only when all its artifacts do."""
    steps = steps_by_name(pipeline["Steps"])
    jobs = {n: s["Arguments"] for n, s in steps.items() if s["Type"] in ("Processing", "Training", "QualityCheck")}
    assert {n: a["RoleArn"] for n, a in jobs.items()} == dict.fromkeys(
        jobs, "arn:aws:iam::111111111111:role/roadway-dev-pipeline-jobs"
    )
    outputs = [
        o["S3Output"]["S3Uri"] for a in jobs.values() for o in a.get("ProcessingOutputConfig", {}).get("Outputs", [])
    ]
    outputs.append(jobs["Train"]["OutputDataConfig"]["S3OutputPath"])
    for uri in outputs:
        values = uri["Std:Join"]["Values"]
        assert values[:2] == [
            "s3://roadway-dev-pipeline/pipelines/house-price",
            {"Get": "Execution.PipelineExecutionId"},
        ], uri


def test_the_pipeline_reads_only_the_teams_folder_and_tags_every_job_with_the_team() -> None:
    """Another project's pipeline: its code and data come from its team's folder (the only one its job role reads,
    tests/stacks/test_projects.py), its outputs go to its own evidence folder, every job carries the team's tag
    (the pipeline role starts no other), and its name is the one its team may run."""
    settings = PipelineSettings(group="churn", team="retention")
    document = definition(settings)
    literals = re.findall(r"s3://[^\"]+", json.dumps(document))
    assert literals
    for uri in literals:
        key = uri.removeprefix("s3://roadway-dev-pipeline/")
        assert key.startswith(("teams/retention/", "pipelines/churn")), uri
    jobs = [s for s in steps_by_name(document["Steps"]).values() if s["Type"] in ("Processing", "Training")]
    assert jobs
    for step in jobs:
        assert {"Key": "roadway:team", "Value": "retention"} in step["Arguments"]["Tags"], step["Name"]
    assert settings.name == "roadway-churn"


def test_a_broken_bundle_uploads_nothing_and_aws_errors_are_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from moto import mock_aws

    from model_code.pipeline import main

    folder = tmp_path / "bundle"
    (folder / "objects" / "teams" / "pricing").mkdir(parents=True)
    manifest = {
        "name": "roadway-house-price",
        "bucket": "roadway-dev-data",
        "team": "pricing",
        "objects": ["teams/pricing/code.tar.gz"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "definition.json").write_text("{}")
    moto_credentials(monkeypatch)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="roadway-dev-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert main(["upsert", "--bundle", str(folder)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "the bundle is not whole (missing" in err[0] and "code.tar.gz" in err[0]
        assert s3.list_objects_v2(Bucket="roadway-dev-data").get("KeyCount", 0) == 0, "nothing half-done"
        # A pipeline that does not exist: SageMaker's refusal, in one line.
        assert main(["start", "--group", "nowhere"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("pipeline: start failed:")


def test_without_moto_the_offline_build_says_which_extra_installs_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto is the development extra's, not the model extra's: a data scientist with only the SDK gets one line."""
    import sys

    from model_code.pipeline import main

    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed: importing it raises ImportError
    assert main(["--definition-only", "--region", "eu-west-1"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == (
        "pipeline: building the definition offline needs moto, which the development extra installs (make deps, "
        "or pip install -e '.[dev]'); upsert and start need only boto3\n"
    )
