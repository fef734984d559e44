"""Base clients (distilabel 1.5's ``distilabel.models.base_clients``): the fields and
SDK clients a model shares with others of its provider.

``OpenAILLM`` and ``OpenAIImageGeneration`` are ``OpenAIBaseClient``s, and
``InferenceEndpointsLLM`` and ``InferenceEndpointsImageGeneration`` are
``InferenceEndpointsBaseClient``s (``isinstance`` says so). A custom model can
inherit one: ``class MyModel(OpenAIBaseClient, AsyncLLM)``.
"""

from distilabel.models.base_clients.inference_endpoints import InferenceEndpointsBaseClient
from distilabel.models.base_clients.openai import OpenAIBaseClient

__all__ = ["InferenceEndpointsBaseClient", "OpenAIBaseClient"]
