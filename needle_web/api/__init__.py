"""The REST API under /api/ (django-ninja, OpenAPI), with per-partner tokens."""
