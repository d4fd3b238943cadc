"""The doctor's fixture: a stage's clinic on the moto road (tests/roadway/doctor/helpers.py has the rest)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roadway.doctor.findings import Clinic
from roadway.road import Road as CliRoad
from tests.moto_road import Road


@pytest.fixture()
def clinic(road: Road) -> Callable[[str], Clinic]:
    """A stage's clinic on the moto road, one CLI road per test (its clients are the ones a test may stub)."""
    operator = CliRoad(road.config, role_name="roadway-doctor")
    return lambda stage: Clinic.at(operator, stage)  # type: ignore[arg-type]
