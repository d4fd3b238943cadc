"""Whether a package's serving container would find its entry point, checked before anything is copied.

The SageMaker scikit-learn container imports the module named by ``SAGEMAKER_PROGRAM`` from
``SAGEMAKER_SUBMIT_DIRECTORY`` (sagemaker-containers' serving environment); with either missing, an endpoint
never becomes healthy, and moto cannot show it. Roadway's packages carry their serving code inside model.tar.gz
under ``code/`` (model_code/registration.py), so the directory is ``/opt/ml/model/code``: a source directory in
S3 would stay behind in the source account, unreadable downstream. The archive is streamed, never held.
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
        if not container.get("ModelDataUrl"):
            return f"container {number} has no ModelDataUrl to carry its code"
    return ""


class Unreadable(Exception):
    """The archive could not be read to its end (a network error): a reason to retry, not to refuse."""


def missing_code(package: dict[str, Any], open_model: Callable[[str], IO[bytes]]) -> str:
    """The first container whose model.tar.gz lacks ``code/<SAGEMAKER_PROGRAM>``, as a refusal, or ``""``.

    Only what the bytes say refuses (not a tar, not gzip, cut short); a read that fails on the way raises
    :class:`Unreadable`, so the promotion fails and is retried instead of refusing a good package for good.
    """
    for container in package["InferenceSpecification"]["Containers"]:
        uri, program = container["ModelDataUrl"], container["Environment"][PROGRAM]
        wanted = f"code/{program}"
        body = open_model(uri)
        try:
            with tarfile.open(fileobj=body, mode="r|gz") as archive:
                if not any(member.isfile() and member.name.removeprefix("./") == wanted for member in archive):
                    return f"{uri} has no {wanted}: the serving container would find no entry point; {HOW}"
        except BotoCoreError as error:  # before OSError: botocore's read timeouts are OSErrors too
            raise Unreadable(f"{uri}: {error}") from None
        except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as error:
            return f"{uri} is not a gzipped tar archive ({error}); SageMaker could not unpack it"
        finally:
            body.close()
    return ""
