"""Who wrote what a pipeline run ran: the one person whose own folder holds every piece of code the run's definition
names, who also last changed the pipeline and started the run.

A team's members all read the team's folder, but each writes only their own folder in it (``teams/<team>/<user>/``,
by their role's tag). So the code a definition names there is that person's: nobody else could have put it there or
changed it. The run's author is that person, and only when the pipeline's last modifier and the run's starter are
the same person; anything else is refused, naming what differs. Pure: the registry's answers in, a verdict out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from promote_model.identity import person

# roadway/naming.py TEAMS_PREFIX; tests/stacks/constructs/studio/test_evidence_pipeline.py holds the two equal.
TEAMS_PREFIX = "teams"


@dataclass(frozen=True)
class Authorship:
    author: str | None
    reason: str  # empty when the run has one author

    @property
    def passed(self) -> bool:
        return not self.reason


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def code_owners(definition: str) -> dict[str, set[str]]:
    """Whose folders the definition's steps name (``teams/<team>/<user>/…``), with the URIs in each.

    Only the steps: a pipeline parameter's value (the training data, say) is the run's input, not its code."""
    try:
        document = json.loads(definition)
    except (TypeError, json.JSONDecodeError):
        return {}
    owners: dict[str, set[str]] = {}
    for text in _strings(document.get("Steps", []) if isinstance(document, dict) else []):
        if not text.startswith("s3://"):
            continue
        parts = text[len("s3://") :].split("/")
        if len(parts) >= 5 and parts[1] == TEAMS_PREFIX and parts[3]:
            owners.setdefault(f"{parts[2]}/{parts[3]}", set()).add(text)
    return owners


def of_run(definition: str, started_by: Any, last_modified_by: Any) -> Authorship:
    """The run's author, or why it has none (one line)."""
    owners = code_owners(definition)
    if not owners:
        return Authorship(None, "its run names no code in a person's own folder (teams/<team>/<user>/)")
    if len(owners) > 1:
        return Authorship(None, f"its run names code in more than one person's folder ({', '.join(sorted(owners))})")
    ((folder, _),) = owners.items()
    author = folder.split("/", 1)[1]
    for role, context in (("started the run", started_by), ("last changed the pipeline", last_modified_by)):
        who = person(context)
        if who is None or who.casefold() != author.casefold():
            return Authorship(author, f"its code is {author}'s (teams/{folder}/) but {who or 'no known person'} {role}")
    return Authorship(author, "")
