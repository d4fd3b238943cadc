"""What a policy statement means, as much of it as Roadway's rule pack asks: the pack judges meaning, not spelling.

Small on purpose (the full evaluator the tests prove grants with is tests/iam.py, which app code may not import):

- :func:`grants`: an Allow statement's ``Action`` or ``NotAction`` covers an action, IAM's way (wildcards ``*`` and
  ``?`` anywhere in the name, action names case-insensitive; a ``NotAction`` that does not exclude it grants it);
- :func:`binds`: a statement's condition requires a key and rejects some of its values (``StringLike: "*"``, an
  ``…IfExists`` or a ``ForAllValues`` that a request without the key satisfies, constrain nothing);
- :func:`allows_everything`: a statement allows every action on every resource to everyone, unconditionally (a
  condition that rejects no value of any key it names, such as ``StringLike: "*"``, is no condition).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any


def listed(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


@cache
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body + r"\Z", re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def like(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """Whether ``value`` matches IAM wildcard ``pattern`` as a whole."""
    return _glob(pattern, case_sensitive).match(value) is not None


def grants(statement: Mapping[str, Any], action: str) -> bool:
    """Whether ``statement`` is an Allow whose Action (or NotAction) covers ``action``."""
    if statement.get("Effect") != "Allow":
        return False

    def named(entries: Any) -> bool:
        return any(isinstance(a, str) and like(a, action, case_sensitive=False) for a in listed(entries))

    if "NotAction" in statement:
        return not named(statement["NotAction"])
    return named(statement.get("Action", []))


def _test_holds(operator: str, patterns: list[str], value: str | None) -> bool | None:
    """One condition test on one single-valued key, for a request holding ``value`` (``None``: the key is absent).
    ``None`` for an operator this does not model."""
    qualifier, _, op = operator.rpartition(":")
    if op == "Null":
        return (str(patterns[0]).lower() == "true") == (value is None) if patterns else None
    base = op.removesuffix("IfExists")
    negated = base.startswith(("StringNot", "ArnNot"))
    if value is None:
        return op.endswith("IfExists") or qualifier == "ForAllValues" or (negated and qualifier != "ForAnyValue")
    positive = base.replace("Not", "", 1) if negated else base
    if positive == "StringEquals":
        hit = value in patterns
    elif positive == "StringEqualsIgnoreCase":
        hit = value.lower() in [p.lower() for p in patterns]
    elif positive in ("StringLike", "ArnLike", "ArnEquals"):
        hit = any(like(p, value) for p in patterns)
    else:
        return None
    return hit != negated


def _tests_on(condition: Mapping[str, Any], key: str) -> Iterable[tuple[str, Any]]:
    """The (operator, values) tests of a Condition block on ``key`` (key names are case-insensitive in IAM)."""
    for operator, tests in (condition or {}).items():
        for name, expected in (tests or {}).items() if isinstance(tests, dict) else ():
            if name.lower() == key.lower():
                yield operator, expected


def binds(statement: Mapping[str, Any], key: str, values: Iterable[str]) -> bool:
    """Whether the statement's condition requires ``key`` and rejects at least one of its possible ``values``:
    the tests on ``key`` are false for a request without it and for some value. A test this cannot read (an
    unmodelled operator, a policy variable or a token for a value) proves nothing, so the key is not bound."""
    tests = list(_tests_on(statement.get("Condition") or {}, key))
    for _, expected in tests:
        if not all(isinstance(p, (str, bool)) and "${" not in str(p) for p in listed(expected)):
            return False

    def holds(value: str | None) -> bool | None:
        results = [_test_holds(op, [str(p) for p in listed(expected)], value) for op, expected in tests]
        return None if None in results else all(results)

    answers = [holds(None)] + [holds(v) for v in values]
    return None not in answers and answers[0] is False and False in answers[1:]


def _wildcards_only(pattern: Any) -> bool:
    """A StringLike pattern that every non-empty value matches: ``*``, ``**``, ``?*``, ``*?*`` ..."""
    rest = pattern.replace("*", "") if isinstance(pattern, str) else "x"
    return rest == "" or (rest == "?" and "*" in pattern)


def _rejects_a_value(operator: str, expected: Any) -> bool:
    """Whether a test rejects some request that carries its key. Asking only that the key be present (``Null:
    false``, ``StringLike: "*"``) or letting it be absent (``…IfExists``, ``ForAllValues``) rejects no value; an
    operator this does not model (numeric, date, IP ...) is taken at its word."""
    patterns = listed(expected)
    op = operator.rpartition(":")[2].removesuffix("IfExists")
    if op == "Null":
        return str(patterns[0]).lower() != "false" if patterns else True
    if op.startswith(("StringNot", "ArnNot")):
        return bool(patterns)
    if op in ("StringLike", "ArnLike", "ArnEquals"):
        return not any(_wildcards_only(p) for p in patterns)
    return True


def constrains(condition: Mapping[str, Any] | None) -> bool:
    """Whether a Condition block rejects any value of any key it names (see :func:`_rejects_a_value`)."""
    for operator, tests in (condition or {}).items():
        if not isinstance(tests, dict) or any(_rejects_a_value(operator, e) for e in tests.values()):
            return True
    return False


def _to_everyone(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # everyone but a few
    principal = statement.get("Principal", "*")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in listed(principal.get("AWS", []))


def allows_everything(statement: Mapping[str, Any]) -> bool:
    """Whether ``statement`` allows every action on every resource to everyone with no condition that constrains:
    ``*`` (or ``*:*``) actions, ``*`` (or ``arn:*:*:*:*:*``) resources."""
    if statement.get("Effect") != "Allow" or not _to_everyone(statement) or constrains(statement.get("Condition")):
        return False
    every_action = any(isinstance(a, str) and re.fullmatch(r"\*+(:\*+)?", a) for a in listed(statement.get("Action")))
    every_resource = any(
        isinstance(r, str) and (re.fullmatch(r"\*+", r) or re.fullmatch(r"arn(:\*+){5}", r))
        for r in listed(statement.get("Resource"))
    )
    return every_action and every_resource
