#!/usr/bin/env python3
"""CDK entry point (see cdk.json): every stage of the road, from config/roadway.yaml or -c config=PATH."""

import sys

from stacks.quiet_jsii import quiet_jsii

quiet_jsii()  # before the CDK is imported: its Node process reads these once, at start

from stacks.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
