"""Submit to one (org, period) again and again until killed: the victim of the crash test.

    python crash_submitter.py HOME DATABASE_URL ORG PERIOD BASE_PEOPLE

The test starts ``submit_forever`` in a fresh process for each trial. Each submission's
tag is unique; its rows carry the tag and their number is derived from it
(``pool_helpers.people_count``), so whoever checks the pool after a SIGKILL knows the
exact rows the visible version must have.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pool_helpers import make_tables, people_count, submit

from needle.pool import Pool


def submit_forever(home: str, url: str, org: str, period: str, base: int) -> None:
    pool = Pool.open(home, database_url=url)
    while not pool.partners():  # the first trial may open (and create) the pool first
        time.sleep(0.01)
    for i in itertools.count():
        tag = f"{os.getpid()}-{i}-{uuid.uuid4().hex[:8]}"
        submit(
            pool, org, tag, period=period, tables=make_tables(tag, people=people_count(tag, base))
        )


if __name__ == "__main__":
    home, url, org, period, base = sys.argv[1:6]
    submit_forever(home, url, org, period, int(base))
