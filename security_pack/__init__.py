"""Content-side code for the NZ International Security Briefing Pack, one module per domain.

Pure functions over the DataFrames that ``briefkit.table`` returns (see ``data/README.md``):
what the notebooks show is computed, charted and phrased here, and the notebooks only narrate.
Knowledge of New Zealand, its threats and regions lives here, never in ``briefkit``.

    import security_pack as sp
    now = sp.current_threat_level(history, scale)

Modules, each holding its computations, charts (``*_exhibit``) and sentences (``*_sentence``):

- ``threat_level``: the national terrorism threat level (steps, spells, now, step chart)
- ``operations``: peace support operations and uniformed contributions
- ``treaties``: disarmament and non-proliferation treaties, by country and by threat
- ``regions``: regions, forums, armed conflict, each threat's regional footprint
- ``threats``: the five threats, the roles on each, one indicator chart per threat
- ``shared``: New Zealand's name, the ``Exhibit`` record, source lines and as-of dates

Reference mappings are data, never constants here: regions, their countries, country-name
spellings, each threat's treaty domains and indicator tables are tables in ``data/`` (sourced,
marked, validated) that the notebooks read with ``bk.table("...")`` and pass in.
"""

from __future__ import annotations

from .operations import (
    annual_contributions,
    contribution_facts,
    contribution_sentences,
    contributions_exhibit,
    current_operations,
    current_operations_sentence,
    largest_operation_sentence,
    leadership,
    operations_exhibit,
    operations_in,
    operations_sentence,
    operations_table,
    operations_timeline,
    personnel_text,
    short_name,
)
from .regions import (
    canonical_country,
    check_region,
    conflict_region,
    conflict_sentence,
    conflicts_exhibit,
    footprint_sentence,
    forum_members_table,
    forum_summary,
    forums_for_region,
    forums_sentence,
    network_sentence,
    place_name,
    region_countries,
    region_names,
    regional_footprint,
)
from .shared import NZ, Exhibit, as_of, source_line
from .threat_level import (
    CurrentLevel,
    current_threat_level,
    describe_change,
    level_ranks,
    threat_level_exhibit,
    threat_level_peak,
    threat_level_periods,
    threat_level_steps,
)
from .threats import (
    THREAT_ORDER,
    Indicator,
    agency_list,
    direction_sentence,
    evidence_notes,
    flagged_items,
    mfat_point,
    page_dating,
    indicator,
    indicator_tables,
    page_year,
    position_text,
    quote_with_sic,
    record_facts,
    record_sentence,
    threat_instruments,
    threat_overview,
    threat_record,
    threat_row,
    trend_summary,
)
from .treaties import (
    PARTY,
    coverage_sentence,
    parse_partial_date,
    pending_sentence,
    ratification_exhibit,
    ratification_timeline,
    ratified_sentence,
    treaties_for_threat,
    treaty_dates,
    treaty_facts,
    treaty_matrix,
    treaty_sentence,
    unverified_sentence,
)

__all__ = [
    # shared
    "NZ", "Exhibit", "as_of", "source_line",
    # threat_level
    "CurrentLevel", "current_threat_level", "describe_change", "level_ranks", "threat_level_exhibit",
    "threat_level_peak", "threat_level_periods", "threat_level_steps",
    # operations
    "annual_contributions", "contribution_facts", "contribution_sentences",
    "contributions_exhibit", "current_operations", "current_operations_sentence",
    "largest_operation_sentence", "leadership", "operations_exhibit", "operations_in",
    "operations_sentence", "operations_table", "operations_timeline", "personnel_text", "short_name",
    # treaties
    "PARTY", "coverage_sentence", "parse_partial_date", "unverified_sentence", "pending_sentence",
    "ratification_exhibit", "ratification_timeline", "ratified_sentence", "treaties_for_threat",
    "treaty_dates", "treaty_facts", "treaty_matrix", "treaty_sentence",
    # regions
    "canonical_country", "check_region", "conflict_region", "conflict_sentence", "conflicts_exhibit",
    "footprint_sentence", "forum_members_table", "forum_summary", "forums_for_region",
    "forums_sentence", "network_sentence", "place_name", "region_countries", "region_names", "regional_footprint",
    # threats
    "THREAT_ORDER", "Indicator", "agency_list", "direction_sentence", "evidence_notes", "flagged_items", "mfat_point", "page_dating", "indicator", "indicator_tables", "page_year",
    "position_text", "quote_with_sic", "record_facts", "record_sentence", "threat_instruments", "threat_overview", "threat_record",
    "threat_row", "trend_summary",
]
