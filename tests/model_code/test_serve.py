"""model_code.serve: the packaged model answers over HTTP as the scikit-learn container would, or refuses to start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model_code import inference, registration, serve
from tests.model_code.serving_venv import in_the_serving_venv

ROOT = Path(__file__).resolve().parents[2]
pytestmark = in_the_serving_venv
# The container Environment every package is registered with (model_code/registration.py).
PACKAGE_ENV = dict(registration.CONTAINER_ENVIRONMENT)
BARE_ENV = {**PACKAGE_ENV, "SAGEMAKER_PROGRAM": "doubler.py"}



def call(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Status, Content-Type and body, for errors too."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Any]:
    """Start a server on a free port in a thread; the test passes the package and its environment."""
    servers: list[serve.Server] = []

    def run(model: Path, env: dict[str, str]) -> str:
        server = serve.start(model, env, tmp_path / f"scratch{len(servers)}", port=0, log=False)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return server.url

    yield run
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def url(trained: dict[str, Any], running: Any) -> str:
    return running(trained["work"] / "model.tar.gz", PACKAGE_ENV)


def direct(model: dict[str, Any], body: str, content_type: str, accept: str) -> tuple[str, str]:
    return inference.output_fn(inference.predict_fn(inference.input_fn(body, content_type), model), accept)


def test_ping_answers_200_once_the_model_is_loaded(url: str) -> None:
    assert call(f"{url}/ping")[0] == 200
    assert call(f"{url}/elsewhere")[0] == 404


def test_csv_and_json_give_what_inference_py_gives(url: str, trained: dict[str, Any], houses: pd.DataFrame) -> None:
    model, invocations = trained["model"], f"{url}/invocations"
    csv_body = houses.to_csv(index=False)  # with its header row
    status, kind, body = call(invocations, csv_body.encode(), {"Content-Type": "text/csv", "Accept": "text/csv"})
    assert (status, kind, body) == (200, "text/csv; charset=utf-8", direct(model, csv_body, "text/csv", "text/csv")[0])
    assert len(body.split()) == len(houses)

    json_body = houses.to_json(orient="records")
    expected = json.loads(direct(model, json_body, "application/json", "application/json")[0])
    status, kind, body = call(invocations, json_body.encode(), {"Content-Type": "application/json"})
    assert (status, kind, json.loads(body)) == (200, "application/json", expected)
    # No Content-Type means JSON and Accept */* means the default accept (application/json), as in the container.
    status, _, body = call(invocations, json_body.encode(), {"Content-Type": "", "Accept": "*/*"})
    assert (status, json.loads(body)) == (200, expected)
    # The same houses in either format are priced the same.
    assert json.loads(call(invocations, csv_body.encode(), {"Content-Type": "text/csv"})[2]) == expected


def test_the_explained_answer_through_the_container_start_sequence(
    url: str, trained: dict[str, Any], houses: pd.DataFrame
) -> None:
    """The package's code, installed and imported as the image does it, answers the explained type; an unknown
    Accept is the container's 500 with inference.py's one line naming the three it knows."""
    invocations, body = f"{url}/invocations", houses.to_csv(index=False).encode()
    status, kind, text = call(invocations, body, {"Content-Type": "text/csv", "Accept": inference.EXPLAINED})
    assert (status, kind) == (200, inference.EXPLAINED)
    answer = json.loads(text)
    plain = json.loads(call(invocations, body, {"Content-Type": "text/csv"})[2])
    assert answer["predictions"] == plain["predictions"]
    assert len(answer["explanations"]) == len(houses)
    status, _, text = call(invocations, body, {"Content-Type": "text/csv", "Accept": "image/png"})
    assert status == 500 and text.count("\n") == 1
    assert f"ask for text/csv, application/json or {inference.EXPLAINED}" in text


def test_unsupported_content_type_gets_the_containers_500_with_inference_py_message(url: str) -> None:
    """inference.py has its own input_fn: the container wraps what it raises and answers 500, not its 415."""
    status, kind, body = call(f"{url}/invocations", b"1,2,3", {"Content-Type": "text/plain"})
    assert status == 500
    assert kind.startswith("text/plain")
    assert body.count("\n") == 1 and "unsupported content type 'text/plain'" in body and "input_fn" in body


def test_malformed_body_answers_one_line_and_the_server_stays_up(url: str) -> None:
    status, _, body = call(f"{url}/invocations", b'{"Lot.Area": ', {"Content-Type": "application/json"})
    assert status == 500
    assert body.count("\n") == 1 and "unreadable JSON" in body and "Traceback" not in body
    status, _, body = call(f"{url}/invocations", b"a,b\n1", {"Content-Type": "text/csv"})
    assert status == 500 and body.count("\n") == 1 and "line 2 has 1 fields" in body
    assert call(f"{url}/ping")[0] == 200


@pytest.fixture
def bare_package(tmp_path: Path) -> Path:
    """A directory package whose module has only model_fn: the container's default decoders/encoders apply."""
    code = tmp_path / "bare" / "code"
    code.mkdir(parents=True)
    (code / "doubler.py").write_text(
        textwrap.dedent(
            """
            class Doubler:
                def predict(self, rows):
                    return rows.sum(axis=-1) * 2

            def model_fn(model_dir):
                return Doubler()
            """
        )
    )
    return tmp_path / "bare"


def test_defaults_decode_exact_types_and_refuse_others_with_415_and_406(bare_package: Path, running: Any) -> None:
    url = running(bare_package, BARE_ENV)
    invocations = f"{url}/invocations"
    assert call(invocations, b"1,2\n3,4", {"Content-Type": "text/csv"})[::2] == (200, "[6.0, 14.0]")
    assert call(invocations, b"[[1, 2]]", {"Content-Type": "application/json", "Accept": "text/csv"})[2] == "6.0\n"
    status, kind, body = call(invocations, b"1,2", {"Content-Type": "text/plain"})
    assert (status, kind) == (415, "application/json")
    assert json.loads(body)["error"] == "UnsupportedFormatError"
    assert "Content type text/plain is not supported" in json.loads(body)["error-message"]
    # The defaults match exactly: a charset parameter is already unsupported.
    assert call(invocations, b"1,2", {"Content-Type": "text/csv; charset=utf-8"})[0] == 415
    assert call(invocations, b"1,2", {"Content-Type": "text/csv", "Accept": "application/xml"})[0] == 406


def test_the_entry_point_gets_no_help_from_the_working_tree(trained: dict[str, Any], tmp_path: Path) -> None:
    """In the container model_code does not exist: a package missing features.py must fail here as it would there."""
    package = tmp_path / "package"
    shutil.copytree(trained["work"] / "model", package)
    (package / "code" / "features.py").unlink()
    with pytest.raises(serve.StartError, match="No module named 'features'"):
        serve.start(package, PACKAGE_ENV, tmp_path / "scratch", port=0, log=False)


def test_the_code_is_pip_installed_offline_and_imported_as_installed(url: str) -> None:
    """As the image's toolkit does before its import: a setup.py written into the code, `pip install .` with the
    image's pip and setuptools (the serving venv's) and no index; the entry point then comes from the install."""
    import importlib.metadata

    assert importlib.metadata.version("pip") == "26.1.2" and importlib.metadata.version("setuptools") == "83.0.0"
    assert call(f"{url}/ping")[0] == 200
    installed = Path(sys.modules["inference"].__file__ or "")
    assert installed.parent.name == "site-packages" and installed.parent.parent.parent.name.startswith(
        "roadway-serve-build-"
    ), installed
    assert (installed.parent / "features.py").is_file() and (installed.parent / "scoring.py").is_file()


def test_without_build_isolation_off_the_code_cannot_install_offline(bare_package: Path, tmp_path: Path) -> None:
    """What a network-isolated endpoint does with a package registered before the settings: the isolated build
    fetches its setuptools from an index it cannot reach, the install fails, /ping never answers."""
    env = {k: v for k, v in BARE_ENV.items() if k != "PIP_NO_BUILD_ISOLATION"}
    with pytest.raises(serve.StartError, match="pip install of the code directory failed"):
        serve.start(bare_package, env, tmp_path / "scratch", port=0, log=False)


def test_a_requirements_file_cannot_install_under_network_isolation(bare_package: Path, tmp_path: Path) -> None:
    """With the settings, pip asks no index: what a requirements.txt names cannot be had (the promotion refuses
    such a package before it gets here)."""
    (bare_package / "code" / "requirements.txt").write_text("requests==2.34.2\n")
    with pytest.raises(serve.StartError, match="pip install of the code directory failed"):
        serve.start(bare_package, BARE_ENV, tmp_path / "scratch", port=0, log=False)


def test_transform_fn_with_input_fn_is_refused_at_start(bare_package: Path, tmp_path: Path) -> None:
    module = bare_package / "code" / "doubler.py"
    module.write_text(module.read_text() + "\ndef transform_fn(*a): ...\n\ndef input_fn(*a): ...\n")
    with pytest.raises(serve.StartError, match="Cannot use transform_fn"):
        serve.start(bare_package, BARE_ENV, tmp_path / "scratch", port=0, log=False)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "SAGEMAKER_PROGRAM is not set"),
        (["--env", "SAGEMAKER_PROGRAM=predict.py"], "SAGEMAKER_PROGRAM=predict.py is not in the code directory"),
    ],
    ids=["unset", "missing-file"],
)
def test_a_package_without_its_entry_point_exits_2_with_one_line(
    trained: dict[str, Any], args: list[str], said: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_")}
    env["SAGEMAKER_SUBMIT_DIRECTORY"] = "/opt/ml/model/code"
    archive = trained["work"] / "model.tar.gz"
    assert tarfile.is_tarfile(archive)
    done = subprocess.run(
        [sys.executable, "-m", "model_code.serve", str(archive), "--port", "0", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and "SAGEMAKER_PROGRAM" in lines[0]


@pytest.mark.parametrize("port", ["80801", "-1", "http"])
def test_a_port_that_is_none_is_one_line_not_a_trace(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    """socket.bind's OverflowError used to end the command in a traceback."""
    from model_code.serve import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args(["model.tar.gz", "--port", port])
    assert exited.value.code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .splitlines()[-1]
        .endswith(f"argument --port: expected a TCP port, 0-65535 (0: any free one), got {port!r}")
    )
