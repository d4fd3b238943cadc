"""Serve a model package on this machine the way the SageMaker scikit-learn container would, to curl it first.

    python -m model_code.serve out/model.tar.gz [--port 8080] [--host 127.0.0.1] [--env KEY=VALUE ...]

MODEL is a model.tar.gz or a directory laid out like /opt/ml/model. The container's environment (what the model
package's container Environment carries: SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, ...) comes from the process
environment, overridden by --env. A package the real endpoint could not start fails here too: one line, exit 2.

The contract, read from (our own code, nothing copied):
- aws/sagemaker-scikit-learn-container, src/sagemaker_sklearn_container/serving.py, the same on branch 1.2-1
  @ b440c40 and on master @ eae7b6b, from which the 1.9-0 image that model_code/registration.py registers builds its
  serving wheel (aws/deep-learning-containers docker/sklearn/1.9-0, which sets SAGEMAKER_SERVING_MODULE to
  serving:main, as 1.2-1 did): the module named by SAGEMAKER_PROGRAM
  (".py" dropped) is imported from SAGEMAKER_SUBMIT_DIRECTORY; its model_fn, input_fn, predict_fn, output_fn replace
  the defaults one by one, or transform_fn replaces the last three (both at once is an error). Defaults: model_fn
  raises, input_fn decodes JSON/CSV/NPY to an array (float32 for JSON and CSV), predict_fn is model.predict,
  output_fn encodes the prediction as the Accept type.
- aws/sagemaker-containers v2.8.6.post2 @ 150ff46 (what both images pin), src/sagemaker_containers/:
  _env.py ServingEnv (SAGEMAKER_SUBMIT_DIRECTORY defaults to /opt/ml/code, the model is at /opt/ml/model,
  SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT defaults to application/json); _files.py download_and_extract (the submit
  directory is a directory, a tar.gz or an s3:// tarball; the SDK's repack puts it at /opt/ml/model/code);
  _modules.py import_module (the directory is pip-installed, so its files import as top-level modules);
  _worker.py (GET /ping answers 200; the ContentType or Content-Type header, else application/json; Accept missing
  or */* means the default accept; the body is text only for exactly application/json or text/csv);
  _transformer.py (415 when the default input_fn has no decoder, 406 when the default output_fn has no encoder,
  JSON body {"error", "error-message", "stack-trace"}; every exception from a user function is wrapped in
  ClientError and nothing catches it, so Flask answers 500); _encoders.py (the default decoders and encoders).

- the same release's _modules.py prepare and install, which run before that import: into the code directory
  (unless it ships a setup.py) it writes a setup.py that installs the directory's files as top-level modules, a
  setup.cfg and a MANIFEST.in, then runs ``python -m pip install .`` there (with ``-r requirements.txt`` when one
  is present), under the container's environment. pip builds with build isolation unless told otherwise, and the
  isolated build fetches setuptools from the index: under network isolation there is none, so the package's
  environment must carry PIP_NO_BUILD_ISOLATION=0 and PIP_NO_INDEX=1 (model_code/registration.py).

The build happens here too, with this interpreter's pip and setuptools (the serving venv pins the image's: pip
26.1.2, setuptools 83), on a copy of the code directory, into a scratch directory that is then imported from, with
no pip configuration of this machine and the index on a closed loopback port: what cannot install offline there
does not install here. Where this differs on purpose: a 500 carries one line naming the failing function instead
of Flask's generic page; S3 is not read; .npy bodies are loaded without pickle; this repository's own model_code
package is hidden while the entry point is imported, so its siblings come from the package, as in the container,
not from the working tree.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from model_code import isolation

JSON, CSV, NPY, ANY = "application/json", "text/csv", "application/x-npy", "*/*"
TEXT_TYPES = (JSON, CSV)  # the only types the container hands over as str; everything else is bytes
PROGRAM, SUBMIT_DIR = "SAGEMAKER_PROGRAM", "SAGEMAKER_SUBMIT_DIRECTORY"
DEFAULT_ACCEPT = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"
CONTAINER_MODEL_DIR, CONTAINER_CODE_DIR = "/opt/ml/model", "/opt/ml/code"
HANDLERS = ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")


class StartError(Exception):
    """A package the real endpoint could not start either; the message is the one line the user sees."""


class UnsupportedFormat(Exception):
    """The default decoder or encoder has no codec for the type: 415 on the way in, 406 on the way out."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Content type {content_type} is not supported by this framework.\n\n"
            "Please implement input_fn to to deserialize the request data or an output_fn to\n"
            "serialize the response. For more information, see the SageMaker Python SDK README."
        )


class HandlerError(Exception):
    """A user function raised: the container answers 500. Keeps which function, for the one-line answer."""

    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(f"{stage} raised {_one_line(error)}{_where(error)}")


# --- The container's defaults (sagemaker_sklearn_container.serving + sagemaker_containers._encoders) ---


def default_model_fn(model_dir: str) -> Any:
    raise NotImplementedError("Please provide a model_fn implementation (the scikit-learn container has no default)")


def default_input_fn(body: str | bytes, content_type: str) -> np.ndarray:
    """Exact-match decoding, as the container does: 'text/csv; charset=utf-8' is unsupported here."""
    if content_type == JSON:
        array = np.array(json.loads(body))
    elif content_type == CSV:
        rows = list(csv.reader(io.StringIO(str(body)), delimiter=",", quotechar='"', doublequote=True, strict=True))
        array = np.array(rows).squeeze()
        with suppress(ValueError):  # the container keeps the text and fails on the float32 cast below
            array = array.astype(float)
    elif content_type == NPY:
        array = np.load(io.BytesIO(body if isinstance(body, bytes) else body.encode()), allow_pickle=False)
    else:
        raise UnsupportedFormat(content_type)
    return array.astype(np.float32) if content_type in TEXT_TYPES else array


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[str | bytes, str]:
    if accept == JSON:
        return json.dumps(prediction, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)), accept
    if accept == CSV:
        array = np.array(prediction)
        array = array.reshape(-1, 1) if array.ndim == 1 else array
        stream = io.StringIO()
        csv.writer(stream, lineterminator="\n").writerows(array if array.ndim else [[array]])
        return stream.getvalue(), accept
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, prediction)
        return buffer.getvalue(), accept
    raise UnsupportedFormat(accept)


# --- Finding and importing the entry point (sagemaker_containers._env, _files, _modules) ---


@dataclass(frozen=True)
class EntryPoint:
    module: str  # SAGEMAKER_PROGRAM without ".py", as ServingEnv.module_name
    code_dir: Path


def container_env(pairs: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment, overridden by --env KEY=VALUE pairs."""
    env = dict(os.environ if environ is None else environ)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise StartError(f"--env expects KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def unpack(model: Path, scratch: Path) -> Path:
    """The directory SageMaker would mount at /opt/ml/model: the tarball extracted, or the directory itself."""
    if model.is_dir():
        return model
    if not model.is_file() or not tarfile.is_tarfile(model):
        raise StartError(f"MODEL {model} is neither a model.tar.gz nor a directory laid out like /opt/ml/model")
    target = scratch / "model"
    with tarfile.open(model) as tar:
        tar.extractall(target, filter="data")
    return target


def locate(env: Mapping[str, str], model_dir: Path, scratch: Path) -> EntryPoint:
    """Resolve SAGEMAKER_PROGRAM in SAGEMAKER_SUBMIT_DIRECTORY, mapping container paths onto the unpacked model."""
    program = env.get(PROGRAM, "").strip()
    if not program:
        raise StartError(
            f"{PROGRAM} is not set: the container imports the entry point it names (e.g. {PROGRAM}=inference.py, "
            f"a file in {SUBMIT_DIR}); set it in the package's container Environment or pass --env {PROGRAM}=..."
        )
    module = program[:-3] if program.endswith(".py") else program
    submit = env.get(SUBMIT_DIR) or CONTAINER_CODE_DIR
    code_dir = _code_dir(submit, model_dir, scratch, explicit=SUBMIT_DIR in env)
    relative = Path(*module.split("."))
    present = sorted(p.name for p in code_dir.iterdir()) if code_dir.is_dir() else []
    if not (code_dir / relative.with_suffix(".py")).is_file() and not (code_dir / relative / "__init__.py").is_file():
        holds = ", ".join(present) if present else "nothing"
        raise StartError(
            f"{PROGRAM}={program} is not in the code directory ({SUBMIT_DIR}={submit}, which holds {holds}): "
            f"expected {relative.with_suffix('.py')} there"
        )
    return EntryPoint(module, code_dir)


def _code_dir(submit: str, model_dir: Path, scratch: Path, explicit: bool) -> Path:
    if submit.startswith("s3://"):
        raise StartError(
            f"{SUBMIT_DIR}={submit}: this local server does not read S3; pass --env {SUBMIT_DIR}=<the local "
            "sourcedir.tar.gz or directory>, or pack the code under code/ in model.tar.gz (/opt/ml/model/code)"
        )
    path = Path(submit)
    if path == Path(CONTAINER_MODEL_DIR) or path.is_relative_to(CONTAINER_MODEL_DIR):
        return model_dir / path.relative_to(CONTAINER_MODEL_DIR)
    if path == Path(CONTAINER_CODE_DIR) and not path.exists():
        why = "is not set, so the container looks in" if not explicit else "is"
        raise StartError(
            f"{SUBMIT_DIR} {why} {CONTAINER_CODE_DIR}, which holds no code in the scikit-learn image: "
            f"set {SUBMIT_DIR}=/opt/ml/model/code with the entry point packed under code/ in model.tar.gz"
        )
    if path.is_file() and tarfile.is_tarfile(path):
        target = scratch / "code"
        with tarfile.open(path) as tar:
            tar.extractall(target, filter="data")
        return target
    if path.is_dir():
        return path
    raise StartError(f"{SUBMIT_DIR}={submit} is neither a directory nor a tarball on this machine")


# --- Installing the code directory (sagemaker_containers._modules prepare and install) ---

# The index a network-isolated container cannot reach: a closed port on loopback, refused at once.
NO_NETWORK_INDEX = "http://127.0.0.1:9/simple"
# What the generated setup.py says, in our words: the directory's files become top-level modules named after it.
_GENERATED = {
    "setup.py": "from setuptools import setup\n\nsetup(name={name!r}, version='1.0.0', packages=[''], "
    "include_package_data=True)\n",
    "setup.cfg": "[wheel]\nuniversal = 1\n",
    "MANIFEST.in": "recursive-include . *\nrecursive-exclude . __pycache__*\nrecursive-exclude . *.pyc\n",
}
_BUILDS: dict[str, Path] = {}  # one install per code and environment in this process (the tests start many)


def _pip_environment(env: Mapping[str, str], home: Path) -> dict[str, str]:
    """The container's PIP_ settings, and nothing of this machine's: no pip configuration, no cache, and every
    index or link pointed where a network-isolated container's would lead (nowhere)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        **{key: value for key, value in env.items() if key.startswith("PIP_")},
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_INDEX_URL": NO_NETWORK_INDEX,
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_RETRIES": "0",
        "PIP_DEFAULT_TIMEOUT": "5",
    }


def install(entry: EntryPoint, env: Mapping[str, str]) -> EntryPoint:
    """The code directory built and installed as the container does it before the import; the entry point as
    installed. A failure is the endpoint's: it never answers /ping."""
    pip_env = {k: v for k, v in sorted(env.items()) if k.startswith("PIP_")}
    digest = hashlib.sha256(json.dumps(pip_env).encode())
    for path in sorted(p for p in entry.code_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(entry.code_dir)).encode() + b"\0" + path.read_bytes())
    key = f"{entry.module}-{digest.hexdigest()[:16]}"
    if key not in _BUILDS:
        _BUILDS[key] = _build(entry, env, _build_root() / key)
    return EntryPoint(entry.module, _BUILDS[key])


def _build(entry: EntryPoint, env: Mapping[str, str], work: Path) -> Path:
    source, site = work / "code", work / "site-packages"
    shutil.copytree(entry.code_dir, source, ignore=shutil.ignore_patterns("__pycache__"))
    if not (source / "setup.py").exists():
        for name, text in _GENERATED.items():
            (source / name).write_text(text.format(name=entry.module))
    command = [sys.executable, "-m", "pip", "install", ".", "--target", str(site), "--quiet"]
    if (source / "requirements.txt").exists():
        command += ["-r", "requirements.txt"]
    done = subprocess.run(
        command, cwd=source, env=_pip_environment(env, work), capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        said = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("ERROR")]
        why = said[-1] if said else (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise StartError(
            f"pip install of the code directory failed, as in the network-isolated container ({why}): the "
            "package's environment needs PIP_NO_BUILD_ISOLATION=0 and PIP_NO_INDEX=1 and its code no "
            "requirements.txt (register it with model_code/registration.py)"
        )
    return site


def _build_root() -> Path:
    if not _BUILD_ROOT:
        root = Path(tempfile.mkdtemp(prefix="roadway-serve-build-"))
        atexit.register(shutil.rmtree, root, True)
        _BUILD_ROOT.append(root)
    return _BUILD_ROOT[0]


_BUILD_ROOT: list[Path] = []


def load(entry: EntryPoint) -> ModuleType:
    """Import the entry point as the container does (model_code/isolation.py says how, and why apart from here).

    Call it inside as_in_container, so the working tree's package is out of reach as it is in the image.
    """
    try:
        return isolation.load(entry.module, entry.code_dir)
    except isolation.InstalledInstead as error:
        raise StartError(
            f"{PROGRAM}: the container would import the installed module {error.name!r} ({error.where}) instead of "
            "the code directory's file: rename the entry point"
        ) from None
    except isolation.ImportFailed as error:
        raise StartError(
            f"importing {entry.module} from {entry.code_dir} failed: {HandlerError('import', error.cause)}"
        ) from None


# --- Serving (sagemaker_containers._transformer, _worker) ---


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str


class Model:
    """The loaded module's handlers over the container's defaults, and the model model_fn returned."""

    def __init__(self, module: ModuleType, model_dir: Path, default_accept: str = JSON) -> None:
        found = {name: getattr(module, name, None) for name in HANDLERS}
        if found["transform_fn"] and any(found[n] for n in ("input_fn", "predict_fn", "output_fn")):
            raise StartError("Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
        self.transform_fn: Callable[..., Any] | None = found["transform_fn"]
        self.input_fn = found["input_fn"] or default_input_fn
        self.predict_fn = found["predict_fn"] or default_predict_fn
        self.output_fn = found["output_fn"] or default_output_fn
        self.user = {name for name, fn in found.items() if fn}
        self.default_accept = default_accept
        self.model = self._call("model_fn", found["model_fn"] or default_model_fn, str(model_dir))

    def _call(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        """A user function's failure becomes HandlerError (the container's ClientError); defaults raise as they are."""
        if stage not in self.user:
            return fn(*args)
        try:
            return fn(*args)
        except Exception as error:
            raise HandlerError(stage, error) from error

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply:
        content_type = content_type or JSON
        accept = self.default_accept if not accept or accept == ANY else accept
        data: str | bytes = body.decode("utf-8", errors="replace") if content_type in TEXT_TYPES else body
        try:
            if self.transform_fn is not None:
                result = self._call("transform_fn", self.transform_fn, self.model, data, content_type, accept)
            else:
                try:
                    decoded = self._call("input_fn", self.input_fn, data, content_type)
                except UnsupportedFormat as error:
                    return _format_error(error, 415)
                prediction = self._call("predict_fn", self.predict_fn, decoded, self.model)
                try:
                    result = self._call("output_fn", self.output_fn, prediction, accept)
                except UnsupportedFormat as error:
                    return _format_error(error, 406)
            return _reply(result)
        except HandlerError as error:
            return Reply(500, f"{error}\n".encode(), "text/plain; charset=utf-8")
        except Exception as error:  # a default failed on the data, e.g. the float32 cast: Flask's 500 too
            return Reply(500, f"{_one_line(error)}{_where(error)}\n".encode(), "text/plain; charset=utf-8")


def _reply(result: Any) -> Reply:
    """A (body, content type) tuple as the container's Response; Flask's own rules for anything else."""
    if isinstance(result, tuple) and len(result) == 2:
        body, mimetype = result
        return Reply(200, _bytes(body), _with_charset(str(mimetype)))
    if isinstance(result, (str, bytes)):
        return Reply(200, _bytes(result), "text/html; charset=utf-8")
    if isinstance(result, (dict, list)):
        return Reply(200, json.dumps(result).encode(), JSON)
    return Reply(
        500, f"the handlers returned {type(result).__name__}, not (body, content_type)\n".encode(), "text/plain"
    )


def _bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def _with_charset(mimetype: str) -> str:
    return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") and "charset" not in mimetype else mimetype


def _format_error(error: UnsupportedFormat, status: int) -> Reply:
    body = {"error": "UnsupportedFormatError", "error-message": str(error), "stack-trace": traceback.format_exc()}
    return Reply(status, json.dumps(body).encode(), JSON)


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _where(error: BaseException) -> str:
    """The innermost frame of the user's code, so the one line says where to look."""
    frames = traceback.extract_tb(error.__traceback__)
    mine = [f for f in frames if f.filename != __file__]
    if not mine:
        return ""
    frame = mine[-1]
    return f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})"


class Server(ThreadingHTTPServer):
    """GET /ping and POST /invocations, as the container's nginx + gunicorn expose them."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], model: Model, log: bool = True) -> None:
        self.model, self.log = model, log
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/ping":
            self._send(Reply(200, b"", JSON))
        else:
            self._send(Reply(404, b"not found: the container serves GET /ping and POST /invocations\n", "text/plain"))

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/invocations":
            self._send(Reply(404, b"not found: the container serves GET /ping and POST /invocations\n", "text/plain"))
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("ContentType") or self.headers.get("Content-Type")
        reply = self.server.model.invoke(body, content_type, self.headers.get("Accept"))
        if reply.status >= 500:
            sys.stderr.write(f"POST /invocations -> {reply.status}: {reply.body.decode(errors='replace').strip()}\n")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log:
            super().log_message(format, *args)


def start(
    model: Path, env: Mapping[str, str], scratch: Path, host: str = "127.0.0.1", port: int = 8080, log: bool = True
) -> Server:
    """Unpack, import and load as the container would, then bind; the caller runs serve_forever."""
    model_dir = unpack(model, scratch)
    entry = install(locate(env, model_dir, scratch), env)
    with isolation.as_in_container(__name__.split(".")[0]):  # model_fn too: a pickle must not need the working tree
        module = load(entry)
        try:
            loaded = Model(module, model_dir, env.get(DEFAULT_ACCEPT) or JSON)
        except StartError:
            raise
        except Exception as error:  # the container answers 500 to every /ping: the endpoint never comes up
            reason = error if isinstance(error, HandlerError) else f"{_one_line(error)}{_where(error)}"
            raise StartError(f"loading the model failed: {reason}") from None
    return Server((host, port), loaded, log=log)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port, 0-65535 (0: any free one), got {text!r}")
    return int(text)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model_code.serve", description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="model.tar.gz, or a directory laid out like /opt/ml/model")
    parser.add_argument("--port", type=_port, default=8080, help="0-65535 (default 8080; 0: any free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="container environment")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="roadway-serve-") as scratch:
        try:
            env = container_env(args.env)
            os.environ.update(env)  # the user's code sees the container's environment
            server = start(args.model, env, Path(scratch), args.host, args.port)
        except StartError as error:
            sys.stderr.write(f"serve: {str(error).splitlines()[0]}\n")
            return 2
        except OSError as error:  # the port is taken, the file unreadable
            sys.stderr.write(f"serve: {error}\n")
            return 2
        sys.stderr.write(f"serving {env[PROGRAM]} on {server.url} (GET /ping, POST /invocations); Ctrl-C stops\n")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
