"""What the compliance tests read from a synthesized assembly."""

from __future__ import annotations

import json
from pathlib import Path

from stacks.compliance.gate import (
    RULE_PACKS,
)


def acknowledgements(outdir: Path) -> set[tuple[str, str, str]]:
    found = set()
    for metadata in outdir.glob("assembly-*/*.metadata.json"):
        for path, entries in json.loads(metadata.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    for rule, reason in entry["data"].items():
                        if rule.split("::")[0] in RULE_PACKS:
                            found.add((rule, path.lstrip("/"), reason))
    return found
