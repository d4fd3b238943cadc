"""A package whose serving container would not find its entry point is refused before anything is copied: moto
serves any package, a real scikit-learn container does not start without SAGEMAKER_PROGRAM and its file."""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from typing import Any

import pytest
from promote_model import entry_point
from promote_model.handler import handler

from devtools.moto_accounts import approval_event
from devtools.moto_road import model_tarball
from model_code import registration
from tests.lambdas.promote_model.helpers import assert_refused
from tests.moto_road import Road

IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"  # unit tests only


def package(**environment: str) -> dict[str, Any]:
    container = {"Image": IMAGE, "ModelDataUrl": "s3://b/pipelines/r/model.tar.gz", "Environment": environment}
    return {"InferenceSpecification": {"Containers": [container]}}


def test_one_spelling_for_the_container_contract() -> None:
    """The promoter (runtime code) and the registration (model code) cannot import each other: this keeps them equal."""
    expected = {entry_point.PROGRAM: registration.ENTRY_POINT, **entry_point.ENVIRONMENT}
    assert expected == registration.CONTAINER_ENVIRONMENT
    assert entry_point.declared_problem(package(**registration.CONTAINER_ENVIRONMENT)) == ""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "container 1 sets no SAGEMAKER_PROGRAM"),
        ({"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}, "sets no SAGEMAKER_PROGRAM"),
        ({"SAGEMAKER_PROGRAM": "code/inference.py"}, "must name a .py file in the code directory"),
        ({"SAGEMAKER_PROGRAM": "inference"}, "must name a .py file"),
        ({"SAGEMAKER_PROGRAM": "inference.py"}, "SAGEMAKER_SUBMIT_DIRECTORY must be /opt/ml/model/code"),
        # Registered before the offline install's settings: refused with the way out.
        (
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
            "lacks PIP_NO_BUILD_ISOLATION=0 and PIP_NO_INDEX=1 (has {'PIP_NO_BUILD_ISOLATION': None, "
            "'PIP_NO_INDEX': None}): its code cannot pip-install at the network-isolated endpoint's start; "
            "re-register it",
        ),
        ({**registration.CONTAINER_ENVIRONMENT, "PIP_NO_BUILD_ISOLATION": "1"}, "lacks PIP_NO_BUILD_ISOLATION=0"),
        ({**registration.CONTAINER_ENVIRONMENT, "PIP_NO_INDEX": "0"}, "lacks PIP_NO_BUILD_ISOLATION=0"),
        *(
            ({**registration.CONTAINER_ENVIRONMENT, key: "x"}, f"sets {key}: a served package's environment is exactly")
            for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "PYTHONPATH",
                        "SAGEMAKER_REQUIREMENTS")
        ),
        (
            {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://dev-bucket/code.tar.gz"},
            "the code travels inside model.tar.gz",
        ),
    ],
)
def test_an_environment_the_container_cannot_start_from_is_named(environment: dict[str, str], expected: str) -> None:
    assert expected in entry_point.declared_problem(package(**environment))


def test_no_container_is_a_problem_too() -> None:
    assert "no container" in entry_point.declared_problem({"InferenceSpecification": {"Containers": []}})


def opener(archive: bytes) -> Any:
    return lambda uri: io.BytesIO(archive)


@pytest.mark.parametrize("program", ["inference.py", "serve.py"])
def test_the_archive_must_hold_the_named_file_under_code(program: str) -> None:
    described = package(**{**registration.CONTAINER_ENVIRONMENT, "SAGEMAKER_PROGRAM": program})
    found = entry_point.missing_code(described, opener(model_tarball(512, program)))
    assert found == ""
    missing = entry_point.missing_code(described, opener(model_tarball(512, "other.py")))
    assert f"has no code/{program}" in missing
    assert "not a gzipped tar archive" in entry_point.missing_code(described, opener(gzip.compress(b"not a tar")))


@pytest.mark.parametrize("build_file", [*entry_point.BUILD_FILES, "lib/pyproject.toml"])
def test_a_build_file_under_code_is_refused_in_the_same_pass(build_file: str) -> None:
    """The offline install would run a shipped setup.py or pyproject.toml instead of the generated one, or fetch
    what a requirements.txt names."""
    described = package(**registration.CONTAINER_ENVIRONMENT)
    archive = model_tarball(512, "inference.py", extra={f"code/{build_file}": b"x"})
    assert f"carries code/{build_file}" in entry_point.missing_code(described, opener(archive))
    assert entry_point.missing_code(described, opener(model_tarball(512, "inference.py"))) == ""


def test_a_package_without_the_container_environment_is_refused(road: Road) -> None:
    source = road.register("dev", environment={})
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", "container 1 sets no SAGEMAKER_PROGRAM")


def test_a_package_whose_archive_lacks_the_entry_point_is_refused(road: Road) -> None:
    source = road.register("dev", code=None)
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", "has no code/inference.py")


def test_the_demos_and_the_docs_registration_carries_the_environment() -> None:
    request = registration.package_request(
        group="house-price",
        image=IMAGE,
        model_data_url="s3://b/pipelines/r/model.tar.gz",
        evaluation_uri="s3://b/pipelines/r/evaluation.json",
        training_data="data/ames.csv",
    )
    assert entry_point.declared_problem(request) == ""
    assert request["ModelApprovalStatus"] == "PendingManualApproval"


def test_a_read_that_fails_on_the_way_is_retried_not_refused() -> None:
    """A timeout while streaming says nothing about the package: the promotion fails (and is retried)."""
    from botocore.exceptions import ReadTimeoutError

    class Stalling(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise ReadTimeoutError(endpoint_url="https://s3.eu-west-1.amazonaws.com")

    described = package(**registration.CONTAINER_ENVIRONMENT)
    with pytest.raises(entry_point.Unreadable, match="Read timeout"):
        entry_point.missing_code(described, lambda uri: Stalling())
    truncated = model_tarball(4096)[:-200]
    assert "not a gzipped tar archive" in entry_point.missing_code(described, opener(truncated))


# The archive's read is bounded. The caps are lowered here so that each bomb passes one within a megabyte; every
# bomb is a stream made as it is read (nothing held), which fails the test if read on past BUDGET.
SMALL = entry_point.Limits(members=100, unpacked=1 << 20, packed=64 << 10, header=4 << 10)
BUDGET = 512 << 10  # compressed bytes: about 512 MiB of zeros unpacked
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


class Bomb(io.RawIOBase):
    """A gzip stream: ``head`` (deflated), then ``tail`` (raw deflate blocks) repeated for ever."""

    def __init__(self, head: bytes, tail: bytes) -> None:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._pending = GZIP_HEADER + deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
        self._tail, self.given = tail, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = size if size is not None and size >= 0 else 1 << 16
        while len(self._pending) < want:
            self._pending += self._tail
        data, self._pending = self._pending[:want], self._pending[want:]
        self.given += len(data)
        assert self.given <= BUDGET, f"read {self.given:,} compressed bytes: the archive's read has no cap"
        return data


def zeros(size: int) -> bytes:
    """A raw deflate block that unpacks to ``size`` zeros and refers to nothing before it (a full flush)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflate.compress(bytes(size)) + deflate.flush(zlib.Z_FULL_FLUSH)


def header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    member = tarfile.TarInfo(name)
    member.size, member.type = size, kind
    return member.tobuf(tarfile.GNU_FORMAT)


def refusal(bomb: Any, limits: entry_point.Limits = SMALL) -> str:
    return entry_point.missing_code(package(**registration.CONTAINER_ENVIRONMENT), lambda uri: bomb, limits)


def test_a_gzip_bomb_is_refused_once_it_unpacks_past_the_cap() -> None:
    """A member that claims a tebibyte of zeros, about 1,000 times smaller compressed: refused after the cap."""
    bomb = Bomb(header("model.joblib", 1 << 40), zeros(1 << 20))
    reason = refusal(bomb)
    assert reason == "s3://b/pipelines/r/model.tar.gz unpacks to more than 1 MiB; refused unread"
    assert bomb.given < 256 << 10


def test_compressed_bytes_that_unpack_to_nothing_are_capped_too() -> None:
    """Empty deflate blocks (five bytes each, nothing unpacked): only the compressed count can stop them."""
    empty = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = empty.flush(zlib.Z_SYNC_FLUSH)
    assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(block * 1000) == b""
    bomb = Bomb(header("model.joblib", 1024)[:100], block)
    assert refusal(bomb) == "s3://b/pipelines/r/model.tar.gz is more than 64 KiB compressed; refused unread"


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME])
def test_a_header_tarfile_would_hold_whole_is_refused_before_it_is_read(kind: bytes) -> None:
    """tarfile reads a pax header or a GNU long name into memory before it yields the member: a claimed 64 MiB
    one is refused from its size alone."""
    bomb = Bomb(header("././@PaxHeader", 64 << 20, kind), zeros(1 << 20))
    assert refusal(bomb, entry_point.Limits(header=4 << 10)) == (
        "s3://b/pipelines/r/model.tar.gz has a 64 MiB long-name or pax header, more than 4 KiB; refused unread"
    )
    assert bomb.given < 64 << 10


def many_members(count: int) -> bytes:
    """``count`` empty members, then the entry point: a package that would pass but for its size."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for number in range(count):
            tar.addfile(tarfile.TarInfo(f"data/{number:06}"))
        code = b"def model_fn(d):\n    return d\n"
        entry = tarfile.TarInfo("code/inference.py")
        entry.size = len(code)
        tar.addfile(entry, io.BytesIO(code))
    return buffer.getvalue()


def test_an_archive_of_too_many_members_is_refused() -> None:
    """101 members (100 empty ones and the entry point) against a cap of 100; 100 pass."""
    described = package(**registration.CONTAINER_ENVIRONMENT)
    assert entry_point.missing_code(described, opener(many_members(99)), SMALL) == ""
    reason = entry_point.missing_code(described, opener(many_members(100)), SMALL)
    assert reason == "s3://b/pipelines/r/model.tar.gz holds more than 100 members; refused unread"


def test_the_caps_are_far_above_a_model_archive() -> None:
    assert entry_point.Limits(members=10_000, unpacked=4 << 30, packed=4 << 30, header=1 << 20) == entry_point.LIMITS
    assert refusal(io.BytesIO(model_tarball(1 << 20)), entry_point.LIMITS) == ""


# An artifact URI must be an S3 object's: anything else would be neither sealed nor copied, only carried along.
@pytest.mark.parametrize(
    ("where", "uri"),
    [
        ("model", "https://b.s3.eu-west-1.amazonaws.com/pipelines/r/model.tar.gz"),
        ("model", "arn:aws:s3:eu-west-1:111122223333:accesspoint/ap/object/pipelines/r/model.tar.gz"),
        ("model", "s3://b"),
        ("metrics", "https://b.s3.eu-west-1.amazonaws.com/pipelines/r/evaluation.json"),
        ("baseline", "s3:/b/pipelines/r/baseline/statistics.json"),
    ],
)
def test_an_artifact_uri_that_is_not_s3_is_refused_in_one_line(where: str, uri: str) -> None:
    described = package(**registration.CONTAINER_ENVIRONMENT)
    if where == "model":
        described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] = uri
    elif where == "metrics":
        described["ModelMetrics"] = {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": uri}}}
    else:
        described["DriftCheckBaselines"] = {"ModelDataQuality": {"Statistics": {"S3Uri": uri}}}
    field = "ModelDataUrl" if where == "model" else "S3Uri"
    assert entry_point.declared_problem(described) == (
        f"{field} {uri!r} is not an s3://<bucket>/<key> URI: artifacts are sealed, checked and copied only as S3 "
        "objects"
    )


def test_a_package_whose_model_is_not_in_s3_is_refused_not_retried(road: Road) -> None:
    """Before, the entry-point check raised ValueError on it: a failure, three attempts, a dead letter."""
    uri = "https://example.com/model.tar.gz"
    container = {"Image": road.image, "ModelDataUrl": uri, "Environment": dict(registration.CONTAINER_ENVIRONMENT)}
    source = road.register("dev", InferenceSpecification={"Containers": [container]})
    road.act_as("test")
    assert_refused(road, handler(approval_event(source)), "test", f"ModelDataUrl {uri!r} is not an s3://")
