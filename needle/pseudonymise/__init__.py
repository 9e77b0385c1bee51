"""Pseudonymisation: personal identifiers in, keyed linkage encodings out.

Names, dates of birth and postcodes are normalised (:mod:`.normalise`) and turned into
exact match keys and hardened Bloom filters with the initiative's secret
(:mod:`.encode`, :mod:`.secret`). Nothing that leaves :func:`encode_people` identifies a
person. The design and its measured evidence: docs/decisions/0004-pseudonymisation-encodings.md.
"""

from needle.pseudonymise.encode import (
    DEFAULT_PARAMS,
    MATCH_KEYS,
    BloomSpec,
    EncodingParams,
    dice,
    dice_matrix,
    encode_people,
    to_words,
)
from needle.pseudonymise.normalise import (
    canonical_given_name,
    nickname_table,
    normalise_name,
    normalise_name_value,
    normalise_people,
    normalise_postcode,
)
from needle.pseudonymise.secret import ENV_VAR, create_secret, load_secret

__all__ = [
    "DEFAULT_PARAMS",
    "ENV_VAR",
    "MATCH_KEYS",
    "BloomSpec",
    "EncodingParams",
    "canonical_given_name",
    "create_secret",
    "dice",
    "dice_matrix",
    "encode_people",
    "load_secret",
    "nickname_table",
    "normalise_name",
    "normalise_name_value",
    "normalise_people",
    "normalise_postcode",
    "to_words",
]
