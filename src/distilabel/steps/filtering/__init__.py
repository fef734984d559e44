"""Steps that filter or deduplicate rows: MinHash (near-identical text) and embedding neighbours."""
