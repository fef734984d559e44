"""Jinja2 prompt templates shipped with the tasks."""
