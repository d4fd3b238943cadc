"""The promotion's checks are one ordered list of named checks (promote_model/checks.py): its docstring names them in
the order they run, and the first refusal is the promotion's reason, the later checks never asked. What each check
refuses is proven on the moto road (test_four_eyes.py, test_seal.py, test_evidence.py, ...)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from promote_model import checks


def test_the_docstring_lists_the_checks_in_the_order_they_run() -> None:
    listed = re.findall(r"^\d+\. ``([a-z-]+)``", checks.__doc__ or "", flags=re.M)
    assert listed == [name for name, _ in checks.CHECKS]


def test_the_first_refusal_is_the_reason_and_no_later_check_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def check(name: str, reason: str) -> Any:
        def run(case: Any, package: dict[str, Any]) -> str:
            asked.append(name)
            return reason

        return run

    monkeypatch.setattr(
        checks, "CHECKS", (("a", check("a", "")), ("b", check("b", "b refuses")), ("c", check("c", "c refuses")))
    )
    assert checks.first_refusal(None, {}) == "b refuses"  # type: ignore[arg-type]
    assert asked == ["a", "b"]
    asked.clear()
    monkeypatch.setattr(checks, "CHECKS", (("a", check("a", "")),))
    assert checks.first_refusal(None, {}) == "" and asked == ["a"]  # type: ignore[arg-type]
