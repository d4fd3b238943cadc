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

The archive's read is bounded (:class:`Limits`): a gzip bomb, an archive of millions of members or a header that
claims gigabytes is refused in one line as soon as it passes a cap, instead of holding the function to its timeout
and failing three times. Every artifact URI must be an ``s3://<bucket>/<key>``: anything else is refused from the
description, before anything is read.
"""

from __future__ import annotations

import gzip
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from botocore.exceptions import BotoCoreError

from promote_model.seal import unfit

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
    """What the package's description gets wrong (an artifact URI that is not S3, the containers' environment), or
    ``""``; nothing is read."""
    not_s3 = unfit(package)
    if not_s3:
        return not_s3
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


GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """How much of a model.tar.gz the check reads before it refuses the archive unread.

    A Roadway archive is a fitted pipeline (model.joblib, megabytes) and ``code/`` (a few files); a big model
    a SageMaker CPU endpoint serves is a few GiB and a few hundred files. A bomb passes these at once: a deflate
    stream of zeros unpacks about 1,000 times its size, and an empty member is one 512-byte header. Reading 4 GiB
    takes the 512 MB function about a minute, well inside its 15 minutes. Tar data is decompressed to skip it (gzip
    cannot be skipped), so the unpacked cap bounds the time; the packed cap bounds a stream of empty deflate
    blocks, which unpack to nothing; the header cap bounds what tarfile holds in memory for one member's long
    name or extended (pax) header, which it reads whole before the member is seen.
    """

    members: int = 10_000
    unpacked: int = 4 * GiB
    packed: int = 4 * GiB
    header: int = 1 << 20


LIMITS = Limits()


class _OverCap(Exception):
    """The archive passed one of its :class:`Limits` (the message says which); the check refuses it."""


class _Counted:
    """A read-only stream that raises :class:`_OverCap` once more than ``cap`` bytes came through it; ``over``
    says what that means (``{}`` is the cap)."""

    def __init__(self, stream: Any, cap: int, over: str) -> None:
        self._stream, self._cap, self._over, self.count = stream, cap, over, 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if 0 <= size <= self._cap + 1 else self._cap + 1)
        self.count += len(data)
        if self.count > self._cap:
            raise _OverCap(self._over.format(_size(self._cap)))
        return data


# Headers whose data tarfile reads whole into memory, and applies to the member after them.
_HEADERS = frozenset(
    (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)
)


def _member_class(cap: int) -> type[tarfile.TarInfo]:
    """TarInfo that refuses a long-name or extended header larger than ``cap`` before tarfile reads it whole."""

    class Header(tarfile.TarInfo):
        @classmethod
        def frombuf(cls, buf: bytes, encoding: str, errors: str) -> tarfile.TarInfo:
            member = super().frombuf(buf, encoding, errors)
            if member.type in _HEADERS and member.size > cap:
                raise _OverCap(f"has a {_size(member.size)} long-name or pax header, more than {_size(cap)}")
            return member

    return Header


def _size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift:,} {unit}"
    return f"{count:,} bytes"


def missing_code(package: dict[str, Any], open_model: Callable[[str], IO[bytes]], limits: Limits = LIMITS) -> str:
    """The first container whose model.tar.gz lacks ``code/<SAGEMAKER_PROGRAM>`` or carries a build file under
    ``code/``, as a refusal, or ``""``. One streaming pass reads every member's header, within ``limits``: an
    archive past one is refused there, the rest unread.

    Only what the bytes say refuses (not a tar, not gzip, cut short, too big); a read that fails on the way raises
    :class:`Unreadable`, so the promotion fails and is retried instead of refusing a good package for good.
    """
    for container in package["InferenceSpecification"]["Containers"]:
        uri, program = container["ModelDataUrl"], container["Environment"][PROGRAM]
        wanted = f"code/{program}"
        body = open_model(uri)
        try:
            packed = _Counted(body, limits.packed, "is more than {} compressed")
            unpacked = _Counted(gzip.GzipFile(fileobj=packed, mode="rb"), limits.unpacked, "unpacks to more than {}")
            with tarfile.open(fileobj=unpacked, mode="r|", tarinfo=_member_class(limits.header)) as archive:
                found = False
                for count, member in enumerate(archive, start=1):
                    if count > limits.members:
                        return f"{uri} holds more than {limits.members:,} members; refused unread"
                    name = member.name.removeprefix("./")
                    if name.startswith("code/") and name.rsplit("/", 1)[-1] in BUILD_FILES:
                        return (
                            f"{uri} carries {name}: the endpoint's offline install would build or fetch from it; "
                            f"remove it and {REREGISTER}"
                        )
                    found = found or (member.isfile() and name == wanted)
                if not found:
                    return f"{uri} has no {wanted}: the serving container would find no entry point; {HOW}"
        except _OverCap as over:
            return f"{uri} {over}; refused unread"
        except BotoCoreError as error:  # before OSError: botocore's read timeouts are OSErrors too
            raise Unreadable(f"{uri}: {error}") from None
        except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as error:
            return f"{uri} is not a gzipped tar archive ({error}); SageMaker could not unpack it"
        finally:
            body.close()
    return ""
