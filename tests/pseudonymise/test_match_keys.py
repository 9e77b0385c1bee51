"""The match keys computed inside Polars are exactly HMAC-SHA256 as the standard library
computes it, so the encodings do not depend on which implementation ran."""

from __future__ import annotations

import hmac
from datetime import date

import polars as pl

from needle.pseudonymise.encode import DEFAULT_PARAMS, MATCH_KEYS, _derive, encode_people

SECRET = bytes(range(100, 132))


def test_exact_match_key_is_hmac_sha256_of_its_components():
    frame = pl.DataFrame(
        {
            "person_ref": ["A"],
            "given_name": ["Amy"],
            "family_name": ["Smith"],
            "date_of_birth": [date(2010, 3, 4)],
            "postcode": ["M32 0FP"],
        }
    )
    encoded = encode_people(frame, SECRET, seed=1)
    column, label, parts = MATCH_KEYS[0]
    values = {"given_compact": "amy", "family_compact": "smith", "dob": "2010-03-04"}
    values["postcode"] = "M320FP"
    message = "\x1f".join([label, *(values[p] for p in parts)]).encode()
    key = _derive(SECRET, DEFAULT_PARAMS.scheme, "match-key").hex().encode()
    expected = hmac.new(key, message, "sha256").hexdigest()[: 2 * DEFAULT_PARAMS.match_key_bytes]
    assert encoded[column][0] == expected
