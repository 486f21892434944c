"""Money as the community reads it: the configured currency, else the one of the community's region, written the
way its first language writes money (¥1,234.50 in a Chinese community, £1,234.50 in an English one in GB).

Decisions: Babel's CLDR tables know which currency a region uses and how each language writes it; writing our own
table of currencies and formats would be a worse copy of that.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_territory_currencies

from kit.community import get_community
from kit.config import DispatchSettings

DEFAULT = "CNY"


@dataclass(frozen=True)
class Money:
    """How one community writes an amount."""

    currency: str
    locale: str

    def __call__(self, amount: float) -> str:
        return str(format_currency(amount, self.currency, locale=self.locale))


def currency_of(configured: str, region: str) -> str:
    """The configured currency ("GBP"), else the region's current one, else CNY."""
    if configured.strip():
        return configured.strip().upper()
    found = get_territory_currencies((region or "").upper()) if region else []
    return str(found[0]) if found else DEFAULT


def locale_of(language: str, region: str) -> str:
    """The most specific locale Babel knows for a language in a region ("en_GB"; "en" for English in China)."""
    for candidate in (f"{language}_{region.upper()}", language, "zh"):
        try:
            Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
        return candidate
    return "zh"  # pragma: no cover - Babel always knows Chinese


def community_money(settings: DispatchSettings) -> Money:
    """The community's way of writing money, from dispatch.currency (empty: the region's) and its first language."""
    community = get_community()
    return Money(currency_of(settings.currency, community.region), locale_of(community.language, community.region))
