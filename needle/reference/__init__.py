"""Reference data: postcodes to coarse geography and deprivation, for the Trafford demo
and for any area in England.

Why: partners submit a young person's postcode; Needle keeps only the coarse attributes
indicators need (LSOA 2021, ward, local authority, English IMD 2019 decile and quintile)
and never stores the postcode. Those attributes come from public reference files that a
user loads once into a store (``load_reference`` / ``needle reference load``), with their
licences and attribution recorded, and that every derivation then opens
(``open_reference``). The store also keeps Census 2021 denominators (population by age and
sex, and by ethnic group, per LSOA). ``build_reference`` builds the same in memory; the
synthetic initiative uses it on the bundled Trafford files (``bundled_sources``). See
docs/guides/reference-data.md.

The public surface is this module's ``__all__``; the submodules are internal.
"""

from needle.reference.boundaries import Boundaries, read_boundaries
from needle.reference.bridge import LSOA_METHODS, POSTCODE_METHODS, BridgeResult, bridge_imd
from needle.reference.lookup import (
    GEOGRAPHY_COLUMNS,
    derive_geography,
    normalise_postcode_expr,
    unknown_postcode_message,
)
from needle.reference.sources import (
    Sources,
    bundled_sources,
    read_ethnicity,
    read_imd,
    read_lsoa_lookup,
    read_names,
    read_population,
    read_postcodes,
)
from needle.reference.store import (
    Reference,
    build_reference,
    load_reference,
    open_reference,
    reference_store_dir,
)

__all__ = [
    "GEOGRAPHY_COLUMNS",
    "LSOA_METHODS",
    "POSTCODE_METHODS",
    "Boundaries",
    "BridgeResult",
    "Reference",
    "Sources",
    "bridge_imd",
    "build_reference",
    "bundled_sources",
    "derive_geography",
    "load_reference",
    "normalise_postcode_expr",
    "open_reference",
    "read_boundaries",
    "read_ethnicity",
    "read_imd",
    "read_lsoa_lookup",
    "read_names",
    "read_population",
    "read_postcodes",
    "reference_store_dir",
    "unknown_postcode_message",
]
