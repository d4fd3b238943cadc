"""The construct tests' shared bare stacks (bare.py), each built once per worker."""

from __future__ import annotations

import pytest

from tests.stacks.constructs.bare import Granting, Network, Parts, build_granting, build_network, build_parts


@pytest.fixture(scope="session")
def parts() -> Parts:
    return build_parts()


@pytest.fixture(scope="session")
def granting() -> Granting:
    return build_granting()


@pytest.fixture(scope="session")
def network() -> Network:
    return build_network()
