"""The house-price model: trained on the shipped data, served through model.tar.gz as SageMaker does."""

from __future__ import annotations

import json
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model_code import evaluate, features, inference, train
from model_code.inference import BadRequest
from model_code.registration import SERVING_CODE
from model_code.scoring import Scorer
from tests.model_code.serving_venv import in_the_serving_venv

ROOT = Path(__file__).resolve().parents[2]
pytestmark = in_the_serving_venv






def predict(model: dict[str, Any], body: str, content_type: str, accept: str = "application/json") -> Any:
    return inference.output_fn(inference.predict_fn(inference.input_fn(body, content_type), model), accept)


def test_training_says_what_it_trains_and_how_long_it_took(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Progress on stderr (gradient boosting takes a minute); stdout's last line stays the metrics JSON."""
    train.main(
        [
            "--train",
            str(ROOT / "data"),
            "--model-dir",
            str(tmp_path / "m"),
            "--output-data-dir",
            str(tmp_path / "o"),
            "--sample",
            "300",
        ]
    )
    printed = capsys.readouterr()
    assert printed.err.splitlines()[0].startswith("training ridge on 240 sales")
    assert printed.err.splitlines()[1].startswith("trained ridge in ")
    assert json.loads(printed.out.splitlines()[-1])["model"] == "ridge"


def test_training_writes_the_artifacts_registration_needs(trained: dict[str, Any]) -> None:
    model_dir = trained["work"] / "model"
    # No training rows beside the model: SageMaker packs the whole directory into model.tar.gz, which is served and
    # copied to every account the model goes to. The drift baseline's rows are the Evaluate step's output.
    assert "baseline.csv" not in {p.name for p in model_dir.iterdir()}, "training rows would travel in model.tar.gz"
    assert {p.name for p in model_dir.iterdir()} == {"model.joblib", "evaluation.json", "code"}
    with tarfile.open(trained["work"] / "model.tar.gz") as tar:
        assert {m.name.split("/")[0] for m in tar.getmembers()} == {"model.joblib", "evaluation.json", "code"}
    assert {p.name for p in (model_dir / "code").iterdir()} == set(SERVING_CODE)
    assert set(SERVING_CODE) == {"inference.py", "features.py", "scoring.py", "explain.py"}
    report = json.loads((model_dir / "evaluation.json").read_text())["regression_metrics"]
    assert set(report) == {"rmse", "rmse_log", "mae", "r2"}
    assert report["rmse_log"]["value"] == pytest.approx(trained["metrics"]["rmse_log"])
    assert 0 < report["rmse_log"]["value"] < 0.2, "a sample of 900 sales still predicts within ~20%"
    assert report["r2"]["value"] > 0.8


def test_the_evaluate_step_writes_the_drift_baselines_rows(trained: dict[str, Any], tmp_path: Path) -> None:
    """The rows the Baseline step profiles come from evaluate.py, given model.tar.gz as the pipeline gives it."""
    processing_model = tmp_path / "processing-model"
    processing_model.mkdir()
    shutil.copyfile(trained["work"] / "model.tar.gz", processing_model / "model.tar.gz")
    evaluate.main(str(processing_model), str(ROOT / "data"), str(tmp_path / "evaluation"), str(tmp_path / "baseline"))
    baseline = pd.read_csv(tmp_path / "baseline" / "baseline.csv")
    assert "price" not in baseline.columns
    assert list(baseline.columns) == [*trained["model"]["inputs"], evaluate.PREDICTION]
    assert len(baseline) == 720, "the training split of the 900 sales sampled"
    assert baseline[evaluate.PREDICTION].between(10_000, 1_000_000).all(), "the model's answers, in dollars"


def test_csv_and_json_give_the_same_prices_for_one_and_many(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    model = trained["model"]
    csv_body, kind = predict(model, houses.to_csv(index=False), "text/csv", "text/csv")
    assert kind == "text/csv"
    from_csv = [float(v) for v in csv_body.split()]
    rows = json.loads(houses.to_json(orient="records"))
    from_json = json.loads(predict(model, json.dumps(rows), "application/json")[0])["predictions"]
    one = json.loads(predict(model, json.dumps(rows[0]), "application/json; charset=utf-8")[0])["predictions"]
    wrapped = json.loads(predict(model, json.dumps({"instances": rows[:2]}), "application/json")[0])["predictions"]
    assert len(from_csv) == 3 and from_csv == pytest.approx(from_json, rel=1e-9)
    assert one == pytest.approx(from_json[:1]) and wrapped == pytest.approx(from_json[:2])
    truth = pd.read_csv(ROOT / "data" / "ames.csv")["price"].iloc[:3].tolist()
    assert all(abs(p - t) / t < 0.35 for p, t in zip(from_csv, truth, strict=True))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("", "text/csv", 400, "empty request body"),
        ("   ", "application/json", 400, "empty request body"),
        ("{not json", "application/json", 400, "unreadable JSON"),
        ("[1, 2]", "application/json", 400, "expected a JSON object per house"),
        ("area\n1500\n", "application/x-npy", 415, "unsupported content type"),
        ('{"area": 1500}', "application/json", 400, "missing columns:"),
    ],
)
def test_bad_requests_get_a_client_error(
    trained: dict[str, Any], body: str, content_type: str, status: int, message: str
) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        predict(trained["model"], body, content_type)
    assert caught.value.status == status
    assert "\n" not in str(caught.value)


def test_a_wrong_type_names_the_column_and_row(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    rows = json.loads(houses.to_json(orient="records"))
    rows[1]["area"] = "big"
    with pytest.raises(BadRequest, match=r"column area must be a number, row 1 has 'big'"):
        predict(trained["model"], json.dumps(rows), "application/json")


def test_unsupported_accept_type(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    with pytest.raises(BadRequest, match="unsupported accept type") as caught:
        predict(trained["model"], houses.to_csv(index=False), "text/csv", "application/x-protobuf")
    assert caught.value.status == 406
    assert str(caught.value) == (
        "unsupported accept type 'application/x-protobuf': ask for text/csv, application/json or "
        "application/vnd.roadway.explained+json"
    )


def test_the_explained_answer_lists_each_houses_largest_contributions_adding_up_to_its_price(
    trained: dict[str, Any], houses: pd.DataFrame
) -> None:
    body = houses.to_json(orient="records")
    text, kind = predict(trained["model"], body, "application/json", inference.EXPLAINED)
    assert kind == inference.EXPLAINED
    answer = json.loads(text)
    plain = json.loads(predict(trained["model"], body, "application/json")[0])
    assert answer["predictions"] == plain["predictions"], "explaining changes no price"
    answers = zip(answer["predictions"], answer["explanations"], houses.iterrows(), strict=True)
    for price, explained, (_, house) in answers:
        top = explained["top_contributions"]
        assert len(top) == inference.TOP_CONTRIBUTIONS
        sizes = [abs(c["contribution"]) for c in top]
        assert sizes == sorted(sizes, reverse=True)
        total = explained["expected_value"] + sum(c["contribution"] for c in top) + explained["other_features"]
        assert total == pytest.approx(explained["log_prediction"], abs=1e-6)
        assert np.exp(explained["log_prediction"]) == pytest.approx(price, abs=0.01)
        named = {c["feature"]: c["value"] for c in top}
        if "Overall.Qual" in named:
            assert named["Overall.Qual"] == float(house["Overall.Qual"]), "each with the house's own value"


def test_a_model_trained_before_explanations_answers_plain_types_and_refuses_the_explained_one(
    trained: dict[str, Any], houses: pd.DataFrame
) -> None:
    model = {k: v for k, v in trained["model"].items() if k not in ("background", "explainer")}
    body = houses.to_csv(index=False)
    assert predict(model, body, "text/csv", "application/json")[1] == "application/json"
    with pytest.raises(BadRequest) as caught:
        predict(model, body, "text/csv", inference.EXPLAINED)
    assert caught.value.status == 406
    assert str(caught.value) == (
        "no explanations from this model: this model was trained before explanations (no background in "
        "model.joblib); ask for application/json"
    )


def test_serving_code_does_not_import_the_sagemaker_sdk() -> None:
    import subprocess

    code = (
        "import model_code.inference, model_code.train, sys; print(any(m.startswith('sagemaker') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def _awkward(frame: pd.DataFrame) -> pd.DataFrame:
    """Every sale, plus copies carrying what training never saw: new categories, gaps, odd spellings."""
    odd = frame.head(40).copy()
    odd.loc[odd.index[:10], "Neighborhood"] = "Atlantis"
    odd.loc[odd.index[10:20], ["MS.Zoning", "Garage.Type", "Kitchen.Qual"]] = np.nan
    odd.loc[odd.index[20:30], "Lot.Frontage"] = np.nan
    odd.loc[odd.index[30:], "MS.SubClass"] = 999
    return pd.concat([frame, odd], ignore_index=True)


@pytest.mark.parametrize("kind", ["ridge", "gbr"])
def test_the_scorer_builds_the_pipelines_matrix_and_prices(kind: str) -> None:
    raw = features.training_rows(features.read_channel(ROOT / "data"))
    sample = raw.sample(n=600, random_state=1)
    engineered = features.engineer(sample)
    pipeline = features.build_model(features.schema(engineered), kind)
    if kind == "gbr":
        pipeline.set_params(regress__max_iter=60)  # the layout is what is under test, not the fit
    pipeline.fit(engineered, np.log(sample["price"]))
    everything = _awkward(raw.drop(columns=["price"]))
    scorer = Scorer.of(pipeline)
    expected = pipeline.named_steps["prepare"].transform(features.engineer(everything))
    got = scorer.matrix(features.engineer(features.columns_of(everything)))
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-9
    few = everything.tail(40)  # the awkward rows, through the small-request path
    assert len(few) <= features.SMALL_BATCH
    small = scorer.matrix(features.engineer(features.columns_of(few)))
    assert np.abs(small - expected[-40:]).max() < 1e-9
    assert scorer.predict(features.engineer(features.columns_of(everything))) == pytest.approx(
        pipeline.predict(features.engineer(everything)), rel=1e-9
    )
    if kind == "gbr":  # the trees walked together, on every row rather than only on small requests
        assert scorer.forest is not None
        assert scorer.forest.predict(got) == pytest.approx(pipeline.predict(features.engineer(everything)), rel=1e-9)


def test_engineering_one_house_as_arrays_matches_the_frame(houses: pd.DataFrame) -> None:
    frame = features.engineer(houses)
    columns = features.engineer(features.columns_of(houses.iloc[:1]))
    assert list(columns) == list(frame.columns)
    for name, values in columns.items():
        want = frame[name].iloc[0]
        assert (values[0] != values[0] and want != want) or values[0] == want, name


def test_numbers_sent_as_text_are_read_and_blanks_are_missing(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    rows = json.loads(houses.to_json(orient="records"))
    as_text = [{k: (str(v) if isinstance(v, (int, float)) and k == "area" else v) for k, v in r.items()} for r in rows]
    as_text[0]["Lot.Frontage"] = ""
    rows[0]["Lot.Frontage"] = None
    plain = json.loads(predict(trained["model"], json.dumps(rows), "application/json")[0])["predictions"]
    texted = json.loads(predict(trained["model"], json.dumps(as_text), "application/json")[0])["predictions"]
    assert texted == plain


def test_small_and_large_requests_take_different_paths_to_the_same_prices(trained: dict[str, Any]) -> None:
    many = pd.read_csv(ROOT / "data" / "ames.csv").drop(columns=["Order", "PID", "price"]).iloc[:150]
    assert len(many) > 2 * features.SMALL_BATCH
    whole = json.loads(predict(trained["model"], many.to_csv(index=False), "text/csv")[0])["predictions"]
    pieces = [
        json.loads(predict(trained["model"], many.iloc[i : i + 50].to_csv(index=False), "text/csv")[0])["predictions"]
        for i in range(0, 150, 50)
    ]
    assert whole == [price for piece in pieces for price in piece]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("area,Lot.Area\n", "CSV has a header row but no houses"),
        ("area,Lot.Area\n1500\n", "line 2 has 1 fields, the header has 2"),
        # A body without its header row used to be read as a header "with no houses".
        ("1500,8450\n", "CSV's first line holds values, not column names: send a header row"),
        ("1500,8450\n1200,9600\n", "CSV's first line holds values, not column names"),
    ],
)
def test_malformed_csv_is_a_client_error(trained: dict[str, Any], body: str, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        predict(trained["model"], body, "text/csv")
    assert caught.value.status == 400


def test_an_empty_value_the_model_always_had_is_refused_not_guessed(
    trained: dict[str, Any], houses: pd.DataFrame
) -> None:
    """Training never saw a house without its area: imputing one priced a 210k house at 58k. A column that was
    sometimes empty in training (e.g. Lot.Frontage) may still be sent empty."""
    assert "area" in trained["model"]["required_inputs"]
    assert "Lot.Frontage" not in trained["model"]["required_inputs"]
    rows = json.loads(houses.to_json(orient="records"))
    rows[1]["area"] = None
    rows[0]["Lot.Frontage"] = None
    with pytest.raises(
        BadRequest, match=r"^required values missing: area \(house 2\); the model was trained"
    ) as caught:
        predict(trained["model"], json.dumps(rows), "application/json")
    assert caught.value.status == 400
    rows[1]["area"] = 1500
    predict(trained["model"], json.dumps(rows), "application/json")


def test_json_true_is_not_a_number(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    rows = json.loads(houses.to_json(orient="records"))
    rows[0]["Lot.Area"] = True
    with pytest.raises(BadRequest, match=r"column Lot.Area must be a number, row 0 has 'true'"):
        predict(trained["model"], json.dumps(rows), "application/json")


def test_the_tarball_serves_on_its_own_as_the_container_runs_it(trained: dict[str, Any], houses: pd.DataFrame) -> None:
    """The container imports code/inference.py as a top-level module, without this repository on its path."""
    import subprocess

    served = trained["work"] / "opt-ml-model"
    body = json.dumps(json.loads(houses.to_json(orient="records"))[0])
    script = (
        "import sys, inference; model = inference.model_fn(sys.argv[1]); "
        "print(inference.output_fn(inference.predict_fn(inference.input_fn(sys.argv[2], 'application/json'), model),"
        " 'application/json')[0]); print(any(m.startswith('model_code') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(served), body],  # the repository is not on the path: cwd is code/
        cwd=served / "code",
        capture_output=True,
        text=True,
        check=True,
    )
    prices, imported_repo = result.stdout.splitlines()
    expected = json.loads(predict(trained["model"], body, "application/json")[0])["predictions"]
    assert json.loads(prices)["predictions"] == expected and imported_repo == "False"
