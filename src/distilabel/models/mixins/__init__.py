"""Mixins shared by model classes: CUDA device placement and Magpie pre-query templates."""
