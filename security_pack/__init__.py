"""Content-side computations for the NZ International Security Briefing Pack.

Pure functions over the DataFrames that ``briefkit.table`` returns (see ``data/README.md``):
what the notebooks show is computed and unit-tested here, and the notebooks only narrate.
Knowledge of New Zealand, its threats and regions lives here, never in ``briefkit``.

    import security_pack as sp
    now = sp.current_threat_level(history, scale)

Modules: ``analysis`` (tables and facts), ``figures`` (the pack's recurring charts),
``indicators`` (one indicator chart per threat), ``narrative`` (sentences that branch on the
data), ``meta`` (source lines, as-of dates).
"""

from __future__ import annotations

from .analysis import *  # noqa: F401,F403  (the public surface is analysis.__all__)
from .analysis import __all__ as _analysis_all
from .figures import (
    Exhibit,
    conflicts_exhibit,
    contributions_exhibit,
    operations_exhibit,
    ratification_exhibit,
    threat_level_exhibit,
)
from .indicators import INDICATOR_TABLES, Indicator, indicator, indicator_tables
from .meta import as_of, source_line
from .narrative import *  # noqa: F401,F403
from .narrative import __all__ as _narrative_all

__all__ = list(_analysis_all) + [
    "Exhibit", "conflicts_exhibit", "contributions_exhibit", "operations_exhibit",
    "ratification_exhibit", "threat_level_exhibit",
    "INDICATOR_TABLES", "Indicator", "indicator", "indicator_tables",
    "as_of", "source_line",
] + list(_narrative_all)
