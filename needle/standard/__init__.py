"""The Needle Youth Data Standard: its definition and what is generated from it."""

from needle.standard.model import (
    CURRENT_VERSION,
    CodeList,
    Column,
    Entity,
    Rule,
    Standard,
    StandardDefinitionError,
    available_versions,
    load_standard,
    load_standard_file,
    normalise_token,
)

__all__ = [
    "CURRENT_VERSION",
    "CodeList",
    "Column",
    "Entity",
    "Rule",
    "Standard",
    "StandardDefinitionError",
    "available_versions",
    "load_standard",
    "load_standard_file",
    "normalise_token",
]
