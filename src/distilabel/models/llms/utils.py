"""Helpers providers use to build outputs (kept at distilabel's import path)."""

from distilabel.models.llms.outputs import prepare_output

__all__ = ["prepare_output"]
