"""What a lock file or a pip listing pins, by canonical package name."""

from __future__ import annotations

import re
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()



def pins(lock: Path) -> dict[str, str]:
    return pins_in(lock.read_text())



def pins_in(text: str) -> dict[str, str]:
    """``name==version`` lines (a lock, a requirements file, `pip list --format=freeze`), names canonical."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(3)
    return found
