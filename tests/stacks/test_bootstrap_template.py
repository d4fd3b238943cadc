"""The bounded bootstrap template (stacks/bootstrap_template.py), proved on the pinned CDK CLI's own template: the
file `cdk bootstrap --show-template` prints (as data; the CLI re-serializes it, dropping the comments)."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from devtools.synth import CONFIG_PATH
from roadway.config import IamConfig
from stacks import bootstrap_template
from stacks.bootstrap_template import governed, roles_of

ROOT = Path(__file__).resolve().parents[2]
PINNED = ROOT / "node_modules" / "aws-cdk" / "lib" / "api" / "bootstrap" / "bootstrap-template.yaml"
BOUNDARY = "governance/org-boundary"
BOUNDARY_ARN = "arn:aws:iam::aws:policy/PowerUserAccess"
PATH = "/roadway/"
BY_NAME = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/governance/org-boundary"}


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    return yaml.safe_load(PINNED.read_text())


def test_every_role_carries_the_boundary_by_name_and_the_path(pinned: dict[str, Any]) -> None:
    result = governed(pinned, permissions_boundary=BOUNDARY, role_path=PATH)
    roles = roles_of(result)
    assert len(roles) == len(roles_of(pinned)) >= 5
    assert {r: role["Properties"]["PermissionsBoundary"] for r, role in roles.items()} == dict.fromkeys(roles, BY_NAME)
    assert {r: role["Properties"]["Path"] for r, role in roles.items()} == dict.fromkeys(roles, PATH)


def test_a_boundary_given_by_arn_is_used_as_is(pinned: dict[str, Any]) -> None:
    roles = roles_of(governed(pinned, permissions_boundary=BOUNDARY_ARN, role_path=PATH))
    assert len(roles) == len(roles_of(pinned))
    assert {r: role["Properties"]["PermissionsBoundary"] for r, role in roles.items()} == dict.fromkeys(
        roles, BOUNDARY_ARN
    )


def test_a_role_arn_spelled_as_text_is_refused_under_a_path_not_left_behind(pinned: dict[str, Any]) -> None:
    """The pinned template names its roles by ${Role.Arn} only, which follows a path; an upgrade that spells one as
    text would leave that ARN pathless, so it is refused (and taken where no path moves anything)."""
    assert governed(pinned, permissions_boundary=BOUNDARY, role_path=PATH)["Outputs"] == pinned["Outputs"]
    spelled = copy.deepcopy(pinned)
    deploy = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-${Qualifier}-deploy-role-${AWS::AccountId}"
    spelled["Outputs"]["DeployRole"] = {"Value": {"Fn::Sub": deploy}}
    with pytest.raises(ValueError, match=r"^the template spells a role's ARN as text \('arn:.*deploy-role"):
        governed(spelled, permissions_boundary=BOUNDARY, role_path=PATH)
    for path in (None, "/"):
        assert governed(spelled, permissions_boundary=BOUNDARY, role_path=path)["Outputs"]["DeployRole"]


def test_without_a_path_no_role_gets_one(pinned: dict[str, Any]) -> None:
    result = governed(pinned, permissions_boundary=BOUNDARY, role_path=None)
    assert [r for r, role in roles_of(result).items() if "Path" in role["Properties"]] == []
    assert result["Parameters"]["BootstrapVariant"]["Default"] == "Roadway: every role bounded"


def test_a_path_alone_moves_every_role_and_leaves_the_boundaries_as_the_cli_has_them(pinned: dict[str, Any]) -> None:
    """An organization may demand a path and no boundary: the stacks then name the bootstrap roles by pathed ARNs,
    so the template must put them there."""
    result = governed(pinned, permissions_boundary=None, role_path=PATH)
    roles = roles_of(result)
    assert {r: role["Properties"]["Path"] for r, role in roles.items()} == dict.fromkeys(roles, PATH)
    assert {r: role["Properties"].get("PermissionsBoundary") for r, role in roles.items()} == {
        r: role["Properties"].get("PermissionsBoundary") for r, role in roles_of(pinned).items()
    }
    assert result["Parameters"]["BootstrapVariant"]["Default"] == "Roadway: path /roadway/"


def test_the_input_is_left_as_it_was(pinned: dict[str, Any]) -> None:
    before = copy.deepcopy(pinned)
    governed(pinned, permissions_boundary=BOUNDARY, role_path=PATH)
    assert pinned == before


def test_the_variant_says_roadway_so_the_cli_will_not_overwrite_it_silently(pinned: dict[str, Any]) -> None:
    shipped = pinned["Parameters"]["BootstrapVariant"]["Default"]
    variant = governed(pinned, permissions_boundary=BOUNDARY, role_path=PATH)["Parameters"]["BootstrapVariant"]
    assert shipped == "AWS CDK: Default Resources"
    assert variant["Default"] == "Roadway: every role bounded, path /roadway/"
    assert variant["Type"] == "String"


def test_a_template_without_roles_is_refused() -> None:
    bucket_only = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}}}
    with pytest.raises(ValueError, match=r"^the template has no AWS::IAM::Role"):
        governed(bucket_only, permissions_boundary=BOUNDARY, role_path=None)


def test_main_on_a_config_without_a_boundary_says_the_shipped_template_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "roadway-bootstrap.yaml"
    code = bootstrap_template.main(["--config", str(CONFIG_PATH), "--source", str(PINNED), "--out", str(out)])
    said = capsys.readouterr()
    assert (code, said.out, not out.exists()) == (2, "", True)
    assert len(said.err.splitlines()) == 1
    assert "shipped `cdk bootstrap` template is fine" in said.err and "nor iam.role_path" in said.err


def _configured(monkeypatch: pytest.MonkeyPatch, **iam: str) -> None:
    monkeypatch.setattr(bootstrap_template, "load_config", lambda path: SimpleNamespace(iam=IamConfig(**iam)))


def test_main_writes_the_bounded_template_and_says_where(
    pinned: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _configured(monkeypatch, permissions_boundary=BOUNDARY, role_path=PATH)
    out = tmp_path / "build" / "bootstrap" / "roadway-bootstrap.yaml"
    assert bootstrap_template.main(["--config", "c.yaml", "--source", str(PINNED), "--out", str(out)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert (
        len(said) == 1 and str(out) in said[0] and " 5 roles (Roadway: every role bounded, path /roadway/)" in said[0]
    )
    written = yaml.load(out.read_text(), Loader=yaml.CSafeLoader)
    assert written == governed(pinned, permissions_boundary=BOUNDARY, role_path=PATH)


@pytest.mark.parametrize(
    ("config", "source", "said"),
    [
        ("missing.yaml", "ok", "config file not found"),
        ("c.yaml", "missing", "cannot read the source template"),
        ("c.yaml", "bad", "not a template in YAML's long form (line 1)"),
        ("c.yaml", "list", "expected a CloudFormation template"),
        ("c.yaml", "roleless", "the template has no AWS::IAM::Role"),
    ],
)
def test_main_refuses_bad_input_in_one_line(
    config: str,
    source: str,
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = {"ok": PINNED.read_text(), "bad": "Resources: [unclosed", "list": "- 1\n", "roleless": "Resources: {}\n"}
    if source in sources:
        (tmp_path / source).write_text(sources[source])
    if config == "c.yaml":
        _configured(monkeypatch, permissions_boundary=BOUNDARY)
    arguments = ["--config", str(tmp_path / config), "--source", str(tmp_path / source), "--out", str(tmp_path / "o")]
    assert bootstrap_template.main(arguments) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and said in err, err
    assert not (tmp_path / "o").exists()
