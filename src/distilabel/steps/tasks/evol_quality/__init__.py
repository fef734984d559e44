"""Deita's quality evolution: rewrite answers to be better."""
