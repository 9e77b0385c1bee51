"""The hand-made pool of the indicator tests, read as journeys, with and without links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indicators.pools import Data, open_pool, submit_all
from journeys.links import write_links

from needle.journeys import JourneyData
from needle.pool.model import PoolFile


@pytest.fixture(scope="module")
def pool_files(tmp_path_factory: pytest.TempPathFactory) -> list[PoolFile]:
    pool = open_pool(tmp_path_factory.mktemp("journeys-pool"))
    try:
        submit_all(pool, Data.original())
        return pool.files()
    finally:
        pool.close()


@pytest.fixture(scope="module")
def links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_links(tmp_path_factory.mktemp("links") / "person_links.parquet")


@pytest.fixture
def data(pool_files: list[PoolFile]) -> Iterator[JourneyData]:
    """Each partner's young people apart: no linkage yet."""
    with JourneyData(pool_files) as opened:
        yield opened


@pytest.fixture
def linked(pool_files: list[PoolFile], links: Path) -> Iterator[JourneyData]:
    """YC:A1 and SPORT:A1 linked as one young person."""
    with JourneyData(pool_files, links) as opened:
        yield opened
