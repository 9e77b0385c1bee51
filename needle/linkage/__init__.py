"""Privacy-preserving linkage: the same young person recognised across partners from the
keyed encodings alone (docs/decisions/0009-linkage.md).

:func:`link` reads the pool, scores pairs with a Fellegi-Sunter model (Splink on DuckDB,
m and u estimated from the data), clusters links into stable person ids and writes
``HOME/indicators/person_links.parquet``, which the indicators count young people by.
"""

from needle.linkage.model import Thresholds
from needle.linkage.review import decide_pair, review_queue
from needle.linkage.run import LinkResult, link, link_status

__all__ = ["LinkResult", "Thresholds", "decide_pair", "link", "link_status", "review_queue"]
