"""A Lambda layer of pinned PyPI packages for the functions' Python and architecture, built without Docker.

``make layers`` (``make synth`` and ``make test`` run it) installs ``lambdas/layers/<name>.txt`` with pip's
``--platform`` and ``--require-hashes`` into ``build/layers/<name>/python``; synth packages that folder. Every pin
carries the sha256 of the one wheel pip selects for that platform, so the pins name the bytes of every wheel
installed, and pip refuses any other file (a re-uploaded wheel, a mirror's) by name. The asset's hash is the
pins' (hashes included) and the platform's, not the built files': the same pins give the same template on every
machine, and the asset id follows the bytes installed. What pip writes beside the wheels' files is its own:
``--no-compile`` writes no ``__pycache__``, and ``make layers`` deletes the console scripts (``python/bin``, whose
``#!`` names the builder's interpreter) and each ``*.dist-info/RECORD`` (which lists those scripts' hashes), so
two builders' layers hold the same files, byte for byte (file times and owners aside).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import AssetHashType, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parents[3]
PLATFORM = "manylinux_2_28_aarch64 cp314"  # the Makefile's pip --platform/--python-version (a test agrees)
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64


class LayerMissing(RuntimeError):
    """A layer was not built; one line says how to build it."""


@dataclass(frozen=True)
class PinnedLayer:
    name: str  # lambdas/layers/<name>.txt, built into build/layers/<name>/
    marker: str  # a top-level package the built layer must hold
    description: str

    @property
    def requirements(self) -> Path:
        return ROOT / "lambdas" / "layers" / f"{self.name}.txt"

    @property
    def directory(self) -> Path:
        return ROOT / "build" / "layers" / self.name

    def pins(self) -> dict[str, str]:
        """Each requirement's name and version: ``name==version`` then its ``--hash=`` options, on one line or
        continued with backslashes (pip's requirements-file syntax)."""
        logical = self.requirements.read_text().replace("\\\n", " ").splitlines()
        requirements = [line.split()[0] for line in logical if line.strip() and not line.lstrip().startswith("#")]
        return dict(requirement.split("==") for requirement in requirements)

    def build(self, scope: Construct, construct_id: str, layer_name: str | None = None) -> lambda_.LayerVersion:
        if not (self.directory / "python" / self.marker).is_dir():
            where = self.directory.relative_to(ROOT)
            raise LayerMissing(f"{where} is missing: run `make layers` (make synth and test do)")
        digest = hashlib.sha256(self.requirements.read_bytes() + PLATFORM.encode()).hexdigest()
        return lambda_.LayerVersion(
            scope,
            construct_id,
            layer_version_name=layer_name,
            code=lambda_.Code.from_asset(str(self.directory), asset_hash=digest, asset_hash_type=AssetHashType.CUSTOM),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"{self.description} (lambdas/layers/{self.name}.txt)",
            removal_policy=RemovalPolicy.RETAIN,
        )


STATISTICS = PinnedLayer("drift-statistics", "scipy", "Roadway drift job: numpy and scipy")
POWERTOOLS = PinnedLayer("powertools", "aws_lambda_powertools", "Roadway promotion: Powertools for AWS Lambda")
LAYERS = (STATISTICS, POWERTOOLS)
