"""An initiative's home and configuration: create one (``init_home``, ``needle init``),
open one (``open_home``), and read, check and write its ``needle.toml``.

Why: every other part of Needle needs to know which initiative it is working for, where
its reference data, database and pooled data are, how small a number each audience may
see, and where the linkage secret is. The :class:`Home` answers all of these from one
folder. See docs/guides/initiative.md and docs/decisions/0006-initiative-home.md.

The public surface is this module's ``__all__``; the submodules are internal.
"""

from needle.initiative.config import (
    AUDIENCES,
    FREQUENCIES,
    TRAFFORD,
    DisclosureConfig,
    InitiativeConfig,
    LinkageConfig,
    PartnerConfig,
    PeriodsConfig,
    config_to_toml,
    load_config,
    parse_config,
    period_containing,
    trafford_demo_config,
    write_config,
)
from needle.initiative.home import (
    CONFIG_FILE,
    DATABASE_FILE,
    POOL_DIR,
    Home,
    InitResult,
    init_home,
    open_home,
)

__all__ = [
    "AUDIENCES",
    "CONFIG_FILE",
    "DATABASE_FILE",
    "FREQUENCIES",
    "POOL_DIR",
    "TRAFFORD",
    "DisclosureConfig",
    "Home",
    "InitResult",
    "InitiativeConfig",
    "LinkageConfig",
    "PartnerConfig",
    "PeriodsConfig",
    "config_to_toml",
    "init_home",
    "load_config",
    "open_home",
    "parse_config",
    "period_containing",
    "trafford_demo_config",
    "write_config",
]
