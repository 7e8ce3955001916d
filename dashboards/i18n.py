"""Texts, numbers and dates in English or French.

Every label a person reads comes from a gettext catalogue,
`dashboards/locales/<lang>/LC_MESSAGES/messages.po`, read with Babel (no
compile step). Message ids are symbolic (`cohort.title`), so both languages
have a catalogue and a test can check that they list the same ids.
Numbers and dates are formatted by Babel with the Canadian locales:
`4,212` / `4 212`, `Jun 2, 2026` / `2 juin 2026`.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from babel import Locale
from babel import dates as bdates
from babel import numbers as bnumbers
from babel.messages.pofile import read_po

LANGUAGES = ("en", "fr")
LOCALES = {"en": "en_CA", "fr": "fr_CA"}
LOCALE_DIR = Path(__file__).resolve().parent / "locales"


@cache
def catalogue(lang: str) -> dict[str, str]:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        cat = read_po(handle, locale=LOCALES[lang])
    return {m.id: m.string for m in cat if m.id and m.string}


class Texts:
    """The texts of one language: `T("cohort.count", n=fmt_int(4212))`."""

    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else "en"
        self.locale = LOCALES[self.lang]

    def __call__(self, key: str, **values) -> str:
        text = catalogue(self.lang).get(key) or catalogue("en").get(key) or key
        return text.format(**values) if values else text

    def int(self, n: int | float | None) -> str:
        return "—" if n is None else bnumbers.format_decimal(int(n), locale=self.locale)

    def dec(self, x: float | None, digits: int = 1) -> str:
        if x is None:
            return "—"
        return bnumbers.format_decimal(x, format="#,##0." + "0" * digits, locale=self.locale)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A share (0.328) as the locale writes it: 32.8% / 32,8 %."""
        if x is None:
            return "—"
        pattern = Locale.parse(self.locale).percent_formats[None].pattern
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
        return bnumbers.format_percent(x, format=pattern, locale=self.locale)

    def date(self, d: dt.date | dt.datetime | None, form: str = "medium") -> str:
        if d is None:
            return "—"
        if isinstance(d, dt.datetime):
            d = d.date()
        text = bdates.format_date(d, form, locale=self.locale)
        if self.lang == "fr" and d.day == 1 and text.startswith("1 "):
            text = "1er " + text[2:]  # le 1er juin
        return text

    def datetime(self, d: dt.datetime | None) -> str:
        if d is None:
            return "—"
        return bdates.format_datetime(d, "medium", locale=self.locale)

    def campaign_name(self, campaign: dict) -> str:
        """A campaign's name from campaigns.yml in this language (falls back to the other, then the id)."""
        other = "fr" if self.lang == "en" else "en"
        return campaign.get(f"name_{self.lang}") or campaign.get(f"name_{other}") or campaign["campaign_id"]

    def de(self, name: str) -> str:
        """French "de" before a name, elided before a vowel: `d’` for Ohio AFL-CIO, `de ` for FTQ.

        Empty in English (the English texts do not use it).
        """
        if self.lang != "fr":
            return ""
        return "d’" if name[:1].lower() in "aeiouyàâäéèêëîïôöûùüœ" and name[:1] else "de "

    def plotly_separators(self) -> str:
        """Plotly's `separators` (decimal, thousands) for this locale."""
        return ", " if self.lang == "fr" else ".,"
