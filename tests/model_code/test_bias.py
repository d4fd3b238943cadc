"""The bias report: figures by hand on a few sales, Clarify's layout, and a facet that cannot be read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model_code import bias


def _report(min_group_size: int = 2) -> dict[str, Any]:
    groups = np.array(["A", "A", "A", "B", "B", "C"], dtype=object)
    sold = np.array([100.0, 200.0, 300.0, 100.0, 400.0, 50.0])
    predicted = sold * np.exp([0.1, 0.1, -0.2, 0.0, 0.3, -1.0])
    return bias.report([bias.Facet("Town")], {"Town": groups}, sold, predicted, 150.0, min_group_size)


def test_group_errors_pool_the_small_groups_and_the_summaries_name_the_group() -> None:
    errors = _report()[bias.SECTION]
    rows = {row["value_or_threshold"]: row for row in errors["facets"]["Town"]}
    assert list(rows) == ["A", "B", "other"], "judged groups largest first, then the pool"
    assert rows["A"]["count"] == 3 and rows["A"]["judged"]
    assert rows["A"]["rmse_log"] == pytest.approx(math.sqrt((0.01 + 0.01 + 0.04) / 3))
    assert rows["A"]["mean_residual_log"] == pytest.approx(0.0), "one house valued too low cancels two too high"
    assert rows["B"]["rmse_log"] == pytest.approx(math.sqrt(0.09 / 2))
    assert rows["B"]["mean_residual_log"] == pytest.approx(0.15)
    assert rows["other"] == {
        "value_or_threshold": "other",
        "count": 1,
        "judged": False,
        "rmse_log": pytest.approx(1.0),
        "mean_residual_log": pytest.approx(-1.0),
        "pooled": ["C"],
    }
    # C's residual of -1 is ten times B's, but one sale is not judged: the summaries never name it.
    assert errors[bias.RESIDUAL] == {"value": pytest.approx(0.15), "facet": "Town", "group": "B"}
    ratio = errors[bias.RATIO]
    assert ratio["value"] == pytest.approx(math.sqrt(0.09 / 2) / math.sqrt(0.06 / 3))
    assert (ratio["largest"], ratio["smallest"]) == ("B", "A")


def test_one_judged_group_gives_no_ratio() -> None:
    errors = _report(min_group_size=3)[bias.SECTION]
    assert errors[bias.RATIO] is None
    assert errors[bias.RESIDUAL]["group"] == "A"


def test_the_standard_measures_in_clarifys_layout() -> None:
    report = _report()
    assert report["version"] == "1.0"
    pre = report["pre_training_bias_metrics"]
    assert (pre["label"], pre["label_value_or_threshold"]) == ("price", "150")
    a = {m["name"]: m for m in pre["facets"]["Town"][0]["metrics"]}
    assert pre["facets"]["Town"][0]["value_or_threshold"] == "A"
    # Facet d is the group named (3 sales, 2 above 150), facet a the rest (3 sales, 1 above 150).
    assert a["CI"] == {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.0}
    assert a["DPL"]["value"] == pytest.approx(1 / 3 - 2 / 3)
    assert a["DPL"]["description"] == "Difference in Positive Proportions in Labels (DPL)"
    post = {m["name"]: m["value"] for m in report["post_training_bias_metrics"]["facets"]["Town"][1]["metrics"]}
    # B predicted: 100 and 540 (one above 150 of 2); the rest: 110.5, 221, 245.6, 18.4 (2 of 4).
    assert post["DPPL"] == pytest.approx(2 / 4 - 1 / 2)
    assert post["DI"] == pytest.approx((1 / 2) / (2 / 4))
    pooled = report["pre_training_bias_metrics"]["facets"]["Town"][2]
    assert pooled["value_or_threshold"] == "C", "Clarify names a set of values by joining them with commas"


def test_disparate_impact_with_no_positive_outside_the_group_is_infinity_as_clarify_writes_it() -> None:
    groups = np.array(["A", "A", "B", "B"], dtype=object)
    sold = np.array([100.0, 100.0, 100.0, 100.0])
    predicted = np.array([200.0, 200.0, 100.0, 100.0])
    post = bias.report([bias.Facet("Town")], {"Town": groups}, sold, predicted, 150.0, 1)["post_training_bias_metrics"]
    impact = {m["name"]: m["value"] for m in post["facets"]["Town"][0]["metrics"]}["DI"]
    assert impact == "Infinity"


def test_bands_of_a_numeric_column_and_missing_values_are_groups() -> None:
    rows = pd.DataFrame({"Year.Built": [1900, 1950, 1979, 1980, 2005, None]})
    facet = bias.Facet.parse("Year.Built=1950,1980")
    assert facet.spelling == "Year.Built=1950,1980"
    assert facet.groups(rows).tolist() == ["< 1950", "[1950, 1980)", "[1950, 1980)", ">= 1980", ">= 1980", "missing"]
    assert bias.Facet("Bldg").groups(pd.DataFrame({"Bldg": ["1Fam", None, 2.0]})).tolist() == ["1Fam", "missing", "2"]


@pytest.mark.parametrize(
    ("text", "rows", "message"),
    [
        ("Neighbourhood", {"Neighborhood": ["NAmes"]}, "facet 'Neighbourhood' is not a column of the training data"),
        ("Year=1950,x", {"Year": [1]}, "the band edges after '=' must be numbers"),
        ("Year=nan", {"Year": [1]}, "the band edges after '=' must be numbers"),
        ("Year=1980,1950", {"Year": [1]}, "the band edges must rise, each once"),
        ("Town=10", {"Town": ["Ames"]}, "bands need a numeric column, Town holds text"),
        ("=3", {}, "expected a column name"),
    ],
)
def test_a_facet_that_cannot_be_read_is_one_line(text: str, rows: dict[str, list[Any]], message: str) -> None:
    with pytest.raises(bias.BadFacet, match=message) as caught:
        bias.Facet.parse(text).groups(pd.DataFrame(rows))
    assert "\n" not in str(caught.value)
