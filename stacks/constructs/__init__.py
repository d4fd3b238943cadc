"""Reusable parts of the road: one construct per file, named for what it is."""
