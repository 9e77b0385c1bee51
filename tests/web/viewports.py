"""Window sizes the browser tests use: a laptop and a small phone (iPhone SE/12 mini width)."""

from __future__ import annotations

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
