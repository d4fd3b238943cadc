"""The bare stack runs the compliance packs as `make synth` does: a construct with an open finding fails it (so a
construct test that synthesizes with the packs on proves it has none)."""

from __future__ import annotations

import pytest
from aws_cdk import aws_s3 as s3

from tests.stacks.constructs.bare import bare_stack


def test_a_plain_bucket_fails_the_packs_on_a_bare_stack() -> None:
    built = bare_stack(packs=True, name="Plain")
    s3.Bucket(built.stack, "Plain")
    with pytest.raises(Exception, match="AwsSolutions-S1"):  # no server access logs
        built.template()
