"""Steps: the units a pipeline chains together."""
