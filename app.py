#!/usr/bin/env python3
"""CDK entry point (see cdk.json): every stage of the road, from config/roadway.yaml or -c config=PATH."""

import sys

from roadway.cdk_app import main

if __name__ == "__main__":
    sys.exit(main())
