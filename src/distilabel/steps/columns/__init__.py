"""Steps that reshape columns."""
