"""The architecture picture is drawn from the app, and the committed one matches the app as it is now."""

from __future__ import annotations

from pathlib import Path

from devtools.diagram import dot
from devtools.synth import Synth

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = {"dev": "111111111111", "test": "222222222222", "prod": "333333333333"}


def test_the_road_is_drawn_from_the_promotion_settings(synth: Synth) -> None:
    graph = dot(synth.templates, ACCOUNTS)
    for stage, account in ACCOUNTS.items():
        assert f'label="{stage} account {account}"' in graph
    # Each receiving stage pulls from the previous one; the previous one only announces.
    for source, receiver in (("dev", "test"), ("test", "prod")):
        assert (
            f'"roadway-{source}-promotion" -> "roadway-{receiver}-promotion" [style=dashed, label="announces' in graph
        )
        assert f'"roadway-{receiver}-promotion" -> "roadway-{source}-promotion" [label="pulls: reads through' in graph
        assert f'"roadway-{receiver}-promotion" -> "roadway-{receiver}-serving"' in graph
    assert '"roadway-dev-promotion" -> "roadway-dev-serving"' not in graph, "dev serves nothing"
    assert not [
        line
        for line in graph.splitlines()
        if '"roadway-prod-promotion" -> "roadway-test-promotion" [style=dashed' in line
    ], "prod announces nothing"


def test_committed_picture_is_current(synth: Synth) -> None:
    committed = (ROOT / "docs" / "architecture.dot").read_text()
    assert committed == dot(synth.templates, ACCOUNTS), "the app changed: run `make diagram` and commit the result"
    assert (ROOT / "docs" / "architecture.png").stat().st_size > 10_000
