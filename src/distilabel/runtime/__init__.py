"""The machinery shared by every model: event loops, concurrency, retries, caching."""
