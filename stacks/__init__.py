"""Roadway's stacks, and the constructs they compose (in ``stacks.constructs``)."""
