# Roadway: `make synth` (every stage, compliance gate, reports) and `make test` (the whole suite).
# Both install what is missing into .venv and node_modules from the pinned files.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config/roadway.yaml
REQUIREMENTS := requirements.txt requirements-dev.txt $(wildcard requirements-model.txt)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The drift job's statistics layer: numpy and scipy for Lambda's python3.14 on ARM64, from PyPI's wheels (no
# Docker). Its platform is stacks/constructs/drift_monitor.py LAYER_PLATFORM; their own test suites are left out.
LAYER := build/layers/drift-statistics
LAYER_REQUIREMENTS := lambdas/layers/drift-statistics.txt

.PHONY: help deps layers synth test demo diagram report-png lint clean

help:
	@echo "make synth   synthesize every stage into cdk.out/ and run the compliance packs (CONFIG=$(CONFIG))"
	@echo "make test    run the whole test suite"
	@echo "make demo    drive a trained model dev -> test -> prod on a local moto_server (no AWS needed)"
	@echo "make diagram redraw docs/architecture.png from the app (needs Graphviz: apt-get install graphviz)"
	@echo "make report-png  render the compliance report in headless Chromium (apt-get install chromium)"
	@echo "make lint    ruff on the project"
	@echo "make clean   remove cdk.out and caches (keeps .venv and node_modules)"

$(VENV)/.installed: $(REQUIREMENTS) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(addprefix -r ,$(REQUIREMENTS))
	$(PY) -m pip install --quiet --no-deps --editable .   # the `roadway` command (roadway/cli.py)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(LAYER).installed: $(LAYER_REQUIREMENTS) $(VENV)/.installed
	rm -rf $(LAYER)
	$(PY) -m pip install --quiet --no-deps --no-compile --only-binary=:all: --platform manylinux_2_28_aarch64 \
	  --implementation cp --python-version 3.14 --target $(LAYER)/python -r $(LAYER_REQUIREMENTS)
	find $(LAYER)/python -depth -type d -name tests -exec rm -rf {} +
	touch $@

layers: $(LAYER).installed

deps: $(VENV)/.installed node_modules/.installed $(LAYER).installed

# The report is written even when the gate fails, so the open findings can be read; synth's status is kept.
synth: deps
	rm -rf cdk.out
	npx cdk synth --quiet -c config=$(CONFIG); status=$$?; \
	  if [ -f cdk.out/validation-report.json ]; then $(PY) -m roadway.compliance_report cdk.out; fi; \
	  exit $$status

test: deps
	$(PY) -m pytest -n 2   # two workers: the suite is bound by moto set-ups and synths, not I/O

demo: deps
	$(PY) -m roadway.demo

diagram: deps
	$(PY) -m roadway.diagram docs/architecture

# A real browser's view of the auditor's report; not part of `make test`, so CI needs no browser.
report-png: synth
	@command -v chromium >/dev/null || { echo "roadway: chromium is not installed (apt-get install chromium)"; exit 2; }
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --user-data-dir=$$(mktemp -d) --hide-scrollbars \
	  --window-size=1400,1800 --screenshot=cdk.out/compliance/index.png "file://$(CURDIR)/cdk.out/compliance/index.html" 2>/dev/null
	@test -s cdk.out/compliance/index.png && echo "Rendered cdk.out/compliance/index.png"

lint: deps
	$(VENV)/bin/ruff check .

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache build
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
