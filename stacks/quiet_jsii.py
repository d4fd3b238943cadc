"""Keep synth's output to what a user needs, before the CDK's Node process starts.

- jsii prints an 11-line banner on every start when Node is past its end of life; Roadway prints one line.
- cdk-nag 3.0.2's own rules read a deprecated property of ``CfnEventBusPolicy``, and jsii prints a deprecation
  warning for it at every synth although Roadway's code does not use it. Deprecations are silenced here; a test
  builds the app with ``JSII_DEPRECATED=fail`` (without cdk-nag) so that Roadway's own use of a deprecated API
  still fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# Node majors the CDK supports (aws-cdk's own banner, November 2026).
SUPPORTED_NODE = (22, 24)


def node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(version.strip().lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def quiet_jsii(*, announce: bool = True) -> None:
    """``announce``: print the one line about an old Node (synth does; the test suite does not)."""
    os.environ.setdefault("JSII_DEPRECATED", "quiet")
    major = node_major()
    if major is not None and major < min(SUPPORTED_NODE):
        if announce and os.environ.get("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") != str(major):
            print(
                f"roadway: Node {major} is past its end of life; the CDK supports Node "
                f"{' and '.join(map(str, SUPPORTED_NODE))} (synth still works)",
                file=sys.stderr,
            )
        os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = str(major)
