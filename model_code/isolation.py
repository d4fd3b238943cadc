"""Importing a package's entry point as the serving container does, and only as it does.

In the container, the entry point and its siblings exist only as the model package's code directory, pip-installed
as top-level modules; this repository's ``model_code`` package does not exist there. Here it does, on the path of
every test and of ``python -m model_code.serve``. Without this module, an entry point that forgot a sibling (say a
``features.py`` left out of model.tar.gz) would import the working tree's copy and pass here, then fail to start on
the endpoint. So the import happens with the repository's package hidden (a finder that refuses it, its modules
taken out of ``sys.modules`` for the duration), with the code directory alone on the path, and with the modules of
an earlier package forgotten. It is apart from serve.py because it changes the interpreter's import machinery, which
nothing else in model_code may touch: one place to read when an import behaves oddly.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any


class InstalledInstead(Exception):
    """The container's first try would import an installed module of the entry point's name, not the file."""

    def __init__(self, name: str, where: str) -> None:
        super().__init__(f"{name} is installed ({where})")
        self.name, self.where = name, where


class ImportFailed(Exception):
    """Importing the entry point raised ``cause``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Hide(importlib.abc.MetaPathFinder):
    """Refuse one top-level package, so an entry point cannot reach the working tree the container lacks."""

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == self.package or name.startswith(self.package + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@contextmanager
def as_in_container(package: str) -> Iterator[None]:
    hidden = {n: m for n, m in sys.modules.items() if n == package or n.startswith(package + ".")}
    for name in hidden:
        del sys.modules[name]
    finder = _Hide(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(hidden)


def load(module: str, code_dir: Path) -> ModuleType:
    """Import ``module`` as a top-level module with its siblings importable, as the pip-installed code dir.

    Call it inside as_in_container, so the working tree's package is out of reach as it is in the image.
    """
    top = module.split(".")[0]
    installed = _installed(top)
    if installed:
        raise InstalledInstead(top, installed)
    local = {p.stem for p in code_dir.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
    earlier = [Path(d) for d in _CODE_DIRS]
    for name, loaded in list(sys.modules.items()):
        file = Path(getattr(loaded, "__file__", None) or "/")
        if name.split(".")[0] in local or any(file.is_relative_to(d) for d in earlier):
            del sys.modules[name]  # an earlier package's modules: this one must stand on its own files
    for old in _CODE_DIRS:
        if old in sys.path:
            sys.path.remove(old)
    _CODE_DIRS[:] = [str(code_dir)]
    sys.path.insert(0, str(code_dir))
    try:
        return importlib.import_module(module)
    except Exception as error:
        raise ImportFailed(error) from None


_CODE_DIRS: list[str] = []  # the code directory this process put on sys.path


def _installed(name: str) -> str:
    """Where the container's first try, importlib.import_module(name) before the code dir exists, would succeed.

    Only the interpreter's own and installed modules count: not the working directory, not a code directory.
    """
    if name in sys.builtin_module_names:
        return "built in"
    skip = {str(Path.cwd()), "", *_CODE_DIRS}
    paths = [p for p in sys.path if p not in skip and str(Path(p).resolve()) != str(Path.cwd())]
    spec = importlib.machinery.PathFinder.find_spec(name, paths)
    return str(spec.origin or name) if spec is not None else ""
