"""The construct tests' shared bare stack (bare.py), built and synthesized once per worker."""

from __future__ import annotations

import pytest

from tests.stacks.constructs.bare import Granting, Network, Parts, build_all


@pytest.fixture(scope="session")
def built() -> tuple[Parts, Granting, Network]:
    return build_all()


@pytest.fixture(scope="session")
def parts(built: tuple[Parts, Granting, Network]) -> Parts:
    return built[0]


@pytest.fixture(scope="session")
def granting(built: tuple[Parts, Granting, Network]) -> Granting:
    return built[1]


@pytest.fixture(scope="session")
def network(built: tuple[Parts, Granting, Network]) -> Network:
    return built[2]
