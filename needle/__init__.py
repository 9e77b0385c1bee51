"""Needle: shared measurement and learning infrastructure for collective impact.

The core library is framework-free: the CLI and (later) the web app and API call it.
"""

from needle.errors import NeedleInputError
from needle.periods import Period, parse_period

__all__ = ["NeedleInputError", "Period", "parse_period"]
