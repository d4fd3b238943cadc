"""The CDK app: its wiring (``app``), stages, stacks, the constructs they compose (``constructs``) and the
compliance gate (``compliance``). It imports the contract (``roadway``) and the runtime's name modules, never the
CLI or the development tools."""
