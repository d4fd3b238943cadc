"""Roadway's tests (a package, so that no installed `tests` package can shadow it)."""
