"""Evol-Instruct: make instructions harder (in depth) or new (in breadth), one rewrite at a time."""
