"""Development tools: the moto world, the demo, the diagram and the traffic generator.

They drive the road without AWS and are never installed nor imported by the installed code (``roadway``,
``promote_model``, ``drift_monitor``); the import rules in pyproject.toml hold that.
"""
