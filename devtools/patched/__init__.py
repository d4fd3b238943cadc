"""Every reach into a library's private parts that the demo, the tests and the bench make, one module per library.

A private attribute can change in any release without notice. So each module names the version whose private
parts it was written against (``TESTED``) and checks, when imported, that this version is the one installed: an
upgrade fails the first import with one line naming the module and what it reaches into, instead of a test failing
somewhere far away for a reason nobody can see. After an upgrade, read each touch against the new version, then
set ``TESTED``.
"""

from __future__ import annotations

import importlib.metadata


class Unpatchable(RuntimeError):
    """An installed library is not the version a module of devtools/patched/ was written against."""


def require(library: str, tested: str, module: str, touches: str) -> None:
    """Refuse, in one line, a ``library`` other than version ``tested``, whose ``touches`` ``module`` reaches into."""
    installed = importlib.metadata.version(library)
    if installed != tested:
        raise Unpatchable(
            f"{module} reaches into {library} {tested}'s private {touches}, but {library} {installed} is installed: "
            f"check each against {installed}, then set TESTED = {installed!r} there"
        )
