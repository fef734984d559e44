"""Deita's complexity evolution: Evol-Instruct's in-depth rewrites only."""
