"""Generator steps: where a pipeline's rows come from."""
