"""Steps that embed texts with an ``Embeddings`` model."""
