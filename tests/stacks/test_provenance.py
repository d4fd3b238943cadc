"""What is deployed is what was synthesized: the provenance check before `make diff`/`make deploy`, and the
CDK settings every synth runs with (feature flags, no deprecated API of our own)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.synth import ROOT, Synth
from stacks import provenance
from stacks.compliance.report import write_report
from stacks.compliance.verdict import Verdict, judge

PASSED = judge({"pluginReports": []}, [])


def make_plan(*args: str) -> list[str]:
    """The commands `make` would run (``-n``), with the installs taken as done."""
    installed = [f"-o{target}" for target in (".venv/.installed", ".venv/.synth-installed", "node_modules/.installed")]
    return subprocess.run(
        ["make", "-n", *installed, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()


# The two recommended flags Roadway does not take, and why (see cdk.json and CHANGELOG.md).
DELIBERATE = {
    # Weak references (Fn::GetStackOutput) would drop every export a deployed road's stacks import from each
    # other, and CloudFormation refuses to delete an export in use: a road deployed before cannot update.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
    # More usage data sent to AWS; Roadway synthesizes offline and reports no versions (versionReporting false).
    "@aws-cdk/core:enableAdditionalMetadataCollection": False,
    # Roadway's accounts are in the aws partition; config validates the region.
    "@aws-cdk/core:target-partitions": ["aws"],
}


@pytest.fixture
def assembly(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "road.yaml"
    config.write_text("project: roadway\n")
    outdir = tmp_path / "cdk.out"
    (outdir / "assembly-Dev").mkdir(parents=True)
    (outdir / "assembly-Dev" / "DevStudio.template.json").write_text('{"Resources": {}}')
    (outdir / "validation-report.json").write_text('{"pluginReports": []}')
    provenance.write(outdir, provenance.record(outdir, config, [], PASSED))
    write_report(outdir)
    return outdir, config


def test_the_synthesized_assembly_may_be_deployed(assembly: tuple[Path, Path]) -> None:
    outdir, config = assembly
    assert provenance.check(outdir)["config"]["path"] == provenance.display_path(config)
    assert provenance.check(outdir, config)["config"]["sha256"] == provenance.sha256_of(config)


def test_refuses_an_assembly_whose_config_changed_or_differs(assembly: tuple[Path, Path], tmp_path: Path) -> None:
    outdir, config = assembly
    with pytest.raises(provenance.ProvenanceError, match=r"not .*other.yaml: run `make synth CONFIG="):
        provenance.check(outdir, tmp_path / "other.yaml")
    config.write_text("project: changed\n")
    with pytest.raises(provenance.ProvenanceError, match=r"changed after .* was synthesized"):
        provenance.check(outdir)
    config.unlink()
    with pytest.raises(provenance.ProvenanceError, match="no longer exists"):
        provenance.check(outdir)
    with pytest.raises(provenance.ProvenanceError, match="missing: run `make synth"):
        provenance.check(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("verdict", "says"),
    [
        (Verdict(reasons=("1 open finding (…)",), open_findings=1), "compliance gate failed: 1 open finding"),
        (Verdict(reasons=("too big to deploy: stack s: 501 resources",), open_findings=0), "failed: too big"),
    ],
)
def test_refuses_an_assembly_that_failed_the_compliance_gate(
    assembly: tuple[Path, Path], verdict: Verdict, says: str
) -> None:
    """CDK writes every template before the packs fail synth: those templates must not be deployable, and the
    refusal gives synth's reason (not "open findings" for a stack that is too big)."""
    outdir, config = assembly
    provenance.write(outdir, provenance.record(outdir, config, [], verdict))
    with pytest.raises(provenance.ProvenanceError, match=says):
        provenance.check(outdir)


def test_refuses_an_assembly_synthesized_again_or_edited_after_its_report(assembly: tuple[Path, Path]) -> None:
    """A bare `cdk bootstrap` or `cdk synth` re-synthesizes into cdk.out (templates and provenance, not the report):
    the report the reviewers read is then of another synth. An edited template no longer has the judged digest."""
    outdir, config = assembly
    again = provenance.record(outdir, config, [], PASSED)
    again["generated_at"] = "2030-01-01T00:00:00Z"
    provenance.write(outdir, again)
    with pytest.raises(provenance.ProvenanceError, match=r"report.json is missing or was written for another synth"):
        provenance.check(outdir)
    write_report(outdir)
    assert provenance.check(outdir) == again
    (outdir / "assembly-Dev" / "DevStudio.template.json").write_text('{"Resources": {"Open": {}}}')
    with pytest.raises(provenance.ProvenanceError, match=r"changed after `make synth` judged it"):
        provenance.check(outdir)
    (outdir / "assembly-Dev" / "DevStudio.template.json").write_text('{"Resources": {}}')
    (outdir / "compliance" / "report.json").unlink()
    with pytest.raises(provenance.ProvenanceError, match=r"report.json is missing"):
        provenance.check(outdir)


def test_the_check_is_one_line_and_an_exit_code(
    assembly: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    outdir, config = assembly
    assert provenance.main(["check", str(outdir)]) == 0
    assert capsys.readouterr().out.startswith(f"roadway: {outdir} as synthesized at ")
    config.write_text("changed: true\n")
    assert provenance.main(["check", str(outdir)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "changed after" in err


def test_make_deploy_passes_the_profile_it_is_given() -> None:
    plan = "\n".join(make_plan("deploy", "STAGE=Dev", "PROFILE=p"))
    assert "npx cdk deploy --app cdk.out 'Dev/*' --profile p" in plan


@pytest.mark.parametrize(
    ("args", "config_arg"),
    [(["STAGE=Prod"], ""), (["STAGE=prod", "CONFIG=config/acme.yaml"], "config/acme.yaml")],
)
def test_make_diff_and_deploy_use_the_checked_assembly(args: list[str], config_arg: str) -> None:
    """No second synth: the CLI is pointed at cdk.out, after the check; CONFIG is passed only when given; the
    config's stage name (prod) is the CDK's (Prod)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for target, verb in (("deploy", "deploy"), ("diff", "diff")):
        plan = make_plan(target, *args)
        check = next(i for i, line in enumerate(plan) if "-m stacks.provenance check cdk.out" in line)
        assert plan[check].split("check cdk.out")[1].strip().strip("'") == config_arg
        run = next(i for i, line in enumerate(plan) if line.startswith("npx cdk "))
        assert check < run and plan[run].strip() == f"npx cdk {verb} --app cdk.out 'Prod/*'"


def test_synth_records_the_config_it_was_given(synth: Synth) -> None:
    made = provenance.read(synth.outdir)
    assert made is not None and made["config"]["path"] == "config/roadway.yaml"
    assert provenance.check(synth.outdir, ROOT / "config/roadway.yaml") == made


def test_every_feature_flag_is_set_and_only_the_named_ones_differ_from_the_recommendation(synth: Synth) -> None:
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    report = next(a for a in manifest["artifacts"].values() if a["type"] == "cdk:feature-flag-report")
    flags = report["properties"]["flags"]
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    unset = [name for name, flag in flags.items() if "recommendedValue" in flag and name not in context]
    assert unset == [], "a new aws-cdk-lib brings flags: adopt each deliberately in cdk.json"
    differ = {
        name: context[name]
        for name, flag in flags.items()
        if name in context and "recommendedValue" in flag and context[name] != flag["recommendedValue"]
    }
    assert differ == DELIBERATE


# What would make code of ours run while the app is synthesized rather than built: an aspect, a lazy value, a
# validation, a jsii interface the CDK calls back (the compliance rules, which run only with the packs), or an
# override of a method the CDK calls at synth (a stack's logical IDs). A new kind of callback needs adding here.
RUNS_AT_SYNTH = (
    "Aspects.of(",
    "IAspect",
    "Lazy.",
    "add_validation(",
    "IValidation",
    "@jsii.implements(",
    "def allocate_logical_id(",
)
# Code of ours that runs at synth and that the child below synthesizes (a governed stage: its aspect runs there).
SYNTHESIZED_IN_THE_CHILD = ("stacks/organization.py",)


def test_roadways_own_code_uses_no_deprecated_cdk_api() -> None:
    """The app silences jsii's deprecation warnings (cdk-nag 3.0.2's rules read one); without cdk-nag, any
    deprecated API in our code fails the build here.

    jsii checks a deprecated class, property or method when it is called, so building the app (every construct of
    ours made, on the shipped road) is where our code would call one; without the packs, nothing of ours runs when
    the app is synthesized, which this test also holds, and the synth (3 s) is left out. After the app, the child
    proves that a deprecated property does fail there (after: jsii fails on each deprecated name once only)."""
    at_synth = [
        f"{path.relative_to(ROOT)}: {marker}"
        for path in sorted((ROOT / "stacks").rglob("*.py"))
        if "compliance" not in path.parts and str(path.relative_to(ROOT)) not in SYNTHESIZED_IN_THE_CHILD
        for marker in RUNS_AT_SYNTH
        if marker in path.read_text()
    ]
    assert at_synth == [], "code of ours now runs at synth: synthesize the app in the child below as well"
    script = (
        "from aws_cdk import App, Stack, aws_lambda, aws_logs\n"
        "from stacks.app import build_app, cli_context\n"
        "from roadway.config import load_config\n"
        # Assets are not copied (the drift layer is 150 MB); the code that builds them still runs.
        "app = App(context=cli_context(stage_assets=False))\n"
        "build_app(app, load_config('config/roadway.yaml'), compliance=False)\n"
        # Our code that runs at synth (SYNTHESIZED_IN_THE_CHILD): the organization's aspects visit every construct of
        # a governed stage, as synth would have them (CDK's own template validation, 2.5 s, is left out).
        "from aws_cdk import Aspects, CfnResource, Stage\n"
        "from devtools.variants import governed\n"
        "from stacks import organization\n"
        "stage = Stage(App(), 'Governed')\n"
        "organization.govern(stage, governed(load_config('config/roadway.yaml')))\n"
        "for kind in ('AWS::IAM::Role', 'AWS::Lambda::Function'):\n"
        "    CfnResource(Stack(stage, kind.split(':')[2]), 'R', type=kind, properties={})\n"
        "for node in stage.node.find_all():\n"
        "    for aspect in Aspects.of(stage).all:\n"
        "        aspect.visit(node)\n"
        "print('built')\n"
        "try:\n"
        "    aws_lambda.Function(Stack(App(), 'Probe'), 'F', runtime=aws_lambda.Runtime.PYTHON_3_12,\n"
        "        handler='index.handler', code=aws_lambda.Code.from_inline('x'),\n"
        "        log_retention=aws_logs.RetentionDays.ONE_DAY)\n"
        "except Exception as error:\n"
        "    print('refused:', str(error).splitlines()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "JSII_DEPRECATED": "fail", "PYTHONPATH": f"{ROOT}:{ROOT}/lambdas"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    built, refused = result.stdout.strip().splitlines()
    assert refused.startswith("refused: aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated"), refused
    assert built == "built"


def test_make_bootstrap_reads_the_assembly_and_never_synthesizes() -> None:
    """With cdk.json naming the app, a bare `cdk bootstrap` re-synthesizes the default config into cdk.out (the CLI's
    defineEnvironments reads the app's assembly); `--app cdk.out` reads the one `make synth` wrote instead."""
    plan = "\n".join(make_plan("bootstrap", "STAGE=dev", "PROFILE=p", "BOOTSTRAP_TEMPLATE=bootstrap/bounded.yaml"))
    assert "-m stacks.provenance environment cdk.out 'dev')" in plan
    assert 'npx cdk bootstrap --app cdk.out "$environment" --profile p' in plan
    assert "--template 'bootstrap/bounded.yaml'" in plan
    assert "npx cdk synth" not in plan and "npx cdk bootstrap aws://" not in plan


def test_the_stage_environment_comes_from_the_assembly(synth: Synth, tmp_path: Path) -> None:
    assert provenance.environment(synth.outdir, "dev") == "aws://111111111111/eu-west-1"
    assert provenance.environment(synth.outdir, "Prod") == "aws://333333333333/eu-west-1"
    with pytest.raises(provenance.ProvenanceError, match=r"has no stage 'qa': expected one of Dev, Test, Prod"):
        provenance.environment(synth.outdir, "qa")
    with pytest.raises(provenance.ProvenanceError, match=r"holds no assembly of `make synth`: run `make synth"):
        provenance.environment(tmp_path, "Dev")


def test_a_profile_the_aws_config_lacks_is_said_before_the_cdk_calls_it_missing_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws_config = tmp_path / "config"
    aws_config.write_text("[profile roadway-dev]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_config))
    assert provenance.main(["profile", "roadway-dev"]) == 0
    assert provenance.main(["profile", "roadway-prd"]) == 1
    assert capsys.readouterr().err == (
        "roadway: PROFILE=roadway-prd is not a profile of your AWS config (~/.aws/config); known: roadway-dev "
        "(aws configure sso --profile roadway-prd)\n"
    )
    plan = make_plan("diff", "STAGE=dev", "PROFILE=p")
    assert plan.index(".venv/bin/python -m stacks.provenance profile 'p'") < next(
        i for i, line in enumerate(plan) if line.startswith("npx cdk diff --app cdk.out 'Dev/*'")
    )
