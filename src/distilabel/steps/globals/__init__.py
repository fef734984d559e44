"""Global steps: steps that see every row of the dataset at once."""
