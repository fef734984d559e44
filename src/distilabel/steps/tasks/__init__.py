"""Tasks: steps that call an LLM."""
