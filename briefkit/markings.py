"""Protective markings of the NZ Protective Security Requirements, lowest first."""

from __future__ import annotations

from briefkit.errors import did_you_mean

ORDER: tuple[str, ...] = (
    "UNCLASSIFIED",
    "IN-CONFIDENCE",
    "SENSITIVE",
    "RESTRICTED",
    "CONFIDENTIAL",
    "SECRET",
    "TOP SECRET",
)
DEFAULT = "UNCLASSIFIED"


def normalise(marking: str) -> str:
    """Return the canonical spelling of ``marking`` or raise ``ValueError`` with a suggestion."""
    text = " ".join(str(marking).strip().upper().replace("_", " ").split())
    text = text.replace("IN CONFIDENCE", "IN-CONFIDENCE")
    if text in ORDER:
        return text
    hint = did_you_mean(text, ORDER, quote=False)
    raise ValueError(f"{marking!r} is not a protective marking; use one of {', '.join(ORDER)}.{hint}")


def rank(marking: str) -> int:
    """Position of ``marking`` in :data:`ORDER` (0 = UNCLASSIFIED)."""
    return ORDER.index(normalise(marking))

