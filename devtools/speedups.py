"""The one switch for the test harness's speed-ups: ``ROADWAY_SPEEDUPS=0`` turns every one off, so that a failure
can be told from a speed-up's doing (bisect by running the failing test with the switch off).

What it turns off: botocore's service models and client classes shared across sessions (devtools/patched/botocore.py),
moto reading JSON templates as JSON first and the moto road's state copied instead of laid again
(devtools/patched/moto.py), and the test run's ``gc.freeze`` with its larger collection threshold
(tests/conftest.py). What it leaves: sharing one synth of a config between pytest's workers (tests/synths.py),
which changes no behaviour (both workers read the same assembly, written once under a lock) and only saves
synthesizing it twice. ``.ci/run`` runs the suite both ways.
"""

from __future__ import annotations

import os

SWITCH = "ROADWAY_SPEEDUPS"


def enabled() -> bool:
    """Whether the speed-ups are on (the default); ``ROADWAY_SPEEDUPS=0`` turns them off, anything else is refused."""
    value = os.environ.get(SWITCH, "1")
    if value not in ("0", "1"):
        raise ValueError(f"{SWITCH} is {value!r}: expected 0 (speed-ups off) or 1 (on, the default)")
    return value == "1"


def apply() -> list[str]:
    """Turn on the speed-ups of this process's AWS clients and moto, unless switched off; which ones are on."""
    if not enabled():
        return []
    from devtools.patched import botocore, moto

    botocore.share_service_models()  # botocore's models parsed once per process, not once per session
    botocore.share_client_classes()  # and each service's client class built once, not once per client
    moto.json_templates_first()  # moto reads the CDK's JSON templates as JSON, not through pure-Python YAML
    return ["shared service models", "shared client classes", "JSON templates first"]
