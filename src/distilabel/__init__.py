"""distilabel: build datasets with large language models.

Importing the package is cheap on purpose: providers import their SDKs inside
``load()``, and the public modules are imported only when they are used.
"""

__version__ = "1.5.3"
