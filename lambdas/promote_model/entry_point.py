"""Whether a package's serving container would start, checked before anything is copied: the one place that
decides what environment and what build files a served package may carry.

The SageMaker scikit-learn container imports the module named by ``SAGEMAKER_PROGRAM`` from
``SAGEMAKER_SUBMIT_DIRECTORY`` (sagemaker-containers' serving environment); with either missing, an endpoint
never becomes healthy, and moto cannot show it. Roadway's packages carry their serving code inside model.tar.gz
under ``code/`` (model_code/registration.py), so the directory is ``/opt/ml/model/code``: a source directory in
S3 would stay behind in the source account, unreadable downstream. The archive is streamed, never held.

Before the import, the image's toolkit pip-installs the code directory (model_code/serve.py has the steps). Under
network isolation that install works only with ``PIP_NO_BUILD_ISOLATION=0`` and ``PIP_NO_INDEX=1``; any other
``PIP_*`` (an index, find-links, a config file) or ``PYTHONPATH`` would change what runs, and a ``setup.py``,
``setup.cfg``, ``pyproject.toml`` or ``requirements.txt`` under ``code/`` would replace the generated build or
fetch packages. So the environment is exactly :data:`ENVIRONMENT` (the program's name aside) and none of those
files travel: anything else is refused, packages registered before these rules with a "re-register" line.
"""

from __future__ import annotations

import gzip
import tarfile
import zlib
from collections.abc import Callable
from typing import IO, Any

from botocore.exceptions import BotoCoreError

PROGRAM = "SAGEMAKER_PROGRAM"
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
CODE_IN_MODEL = "/opt/ml/model/code"
HOW = "register it with model_code/registration.py"
REREGISTER = "re-register it with model_code/registration.py"
# The offline install's settings (model_code/registration.py spells them too; a test keeps the two equal).
PIP_OFFLINE = {"PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_INDEX": "1"}
ENVIRONMENT = {SUBMIT_DIRECTORY: CODE_IN_MODEL, **PIP_OFFLINE}  # and PROGRAM, whose value is the package's
BUILD_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "requirements.txt")


def declared_problem(package: dict[str, Any]) -> str:
    """What the containers' environment gets wrong, or ``""``."""
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    if not containers:
        return f"the package has no container: {HOW}"
    for number, container in enumerate(containers, start=1):
        environment = container.get("Environment") or {}
        program = environment.get(PROGRAM, "")
        if not program:
            return f"container {number} sets no {PROGRAM}: the serving container would find no entry point; {HOW}"
        if "/" in program or not program.endswith(".py"):
            return f"container {number}: {PROGRAM} must name a .py file in the code directory, got {program!r}"
        if environment.get(SUBMIT_DIRECTORY) != CODE_IN_MODEL:
            return (
                f"container {number}: {SUBMIT_DIRECTORY} must be {CODE_IN_MODEL} (the code travels inside "
                f"model.tar.gz), got {environment.get(SUBMIT_DIRECTORY)!r}; {HOW}"
            )
        extra = sorted(set(environment) - {PROGRAM, *ENVIRONMENT})
        if extra:
            return (
                f"container {number} sets {', '.join(extra)}: a served package's environment is exactly "
                f"{PROGRAM}, {', '.join(ENVIRONMENT)}; {REREGISTER}"
            )
        wrong = {key: environment.get(key) for key, value in PIP_OFFLINE.items() if environment.get(key) != value}
        if wrong:
            wanted = " and ".join(f"{key}={value}" for key, value in PIP_OFFLINE.items())
            return (
                f"container {number} lacks {wanted} (has {wrong}): its code cannot pip-install at the "
                f"network-isolated endpoint's start; {REREGISTER}"
            )
        if not container.get("ModelDataUrl"):
            return f"container {number} has no ModelDataUrl to carry its code"
    return ""


class Unreadable(Exception):
    """The archive could not be read to its end (a network error): a reason to retry, not to refuse."""


def missing_code(package: dict[str, Any], open_model: Callable[[str], IO[bytes]]) -> str:
    """The first container whose model.tar.gz lacks ``code/<SAGEMAKER_PROGRAM>`` or carries a build file under
    ``code/``, as a refusal, or ``""``. One streaming pass reads every member's header.

    Only what the bytes say refuses (not a tar, not gzip, cut short); a read that fails on the way raises
    :class:`Unreadable`, so the promotion fails and is retried instead of refusing a good package for good.
    """
    for container in package["InferenceSpecification"]["Containers"]:
        uri, program = container["ModelDataUrl"], container["Environment"][PROGRAM]
        wanted = f"code/{program}"
        body = open_model(uri)
        try:
            with tarfile.open(fileobj=body, mode="r|gz") as archive:
                found = False
                for member in archive:
                    name = member.name.removeprefix("./")
                    if name.startswith("code/") and name.rsplit("/", 1)[-1] in BUILD_FILES:
                        return (
                            f"{uri} carries {name}: the endpoint's offline install would build or fetch from it; "
                            f"remove it and {REREGISTER}"
                        )
                    found = found or (member.isfile() and name == wanted)
                if not found:
                    return f"{uri} has no {wanted}: the serving container would find no entry point; {HOW}"
        except BotoCoreError as error:  # before OSError: botocore's read timeouts are OSErrors too
            raise Unreadable(f"{uri}: {error}") from None
        except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as error:
            return f"{uri} is not a gzipped tar archive ({error}); SageMaker could not unpack it"
        finally:
            body.close()
    return ""
