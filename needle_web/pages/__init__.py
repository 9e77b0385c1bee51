"""The pages every visitor meets first: the home page and the health check."""
