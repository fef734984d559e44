"""Magpie: instructions and conversations drawn from an instruct model's own chat template."""
