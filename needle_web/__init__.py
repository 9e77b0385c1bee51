"""Needle's web platform: a Django project over the core library (issue 5)."""
