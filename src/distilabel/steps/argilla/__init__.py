"""Steps that send rows to Argilla datasets, for people to review and annotate."""
