"""Both catalogues hold every text the pages ask for; numbers and dates follow the language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from dashboards.i18n import Texts, catalogue

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def test_english_and_french_catalogues_have_the_same_messages():
    assert set(catalogue("en")) == set(catalogue("fr"))
    assert len(catalogue("fr")) > 100


def test_every_literal_message_id_in_the_code_is_in_both_catalogues():
    used = set()
    for path in DASHBOARDS.rglob("*.py"):
        used |= set(
            re.findall(r"""\bT\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text(encoding="utf-8"))
        )
    assert len(used) > 80
    for lang in ("en", "fr"):
        assert used <= set(catalogue(lang)), used - set(catalogue(lang))


def test_french_texts_are_translated_not_copied():
    same = {k for k in catalogue("en") if catalogue("en")[k] == catalogue("fr")[k]}
    assert same <= {
        "app.title",
        "cohort.sentence",
        "country.CA",
        "source.campaigns",
        "ttc.lt1h",
        "health.source",
        "ladder.flow_option",  # "{rung_from} → {rung_to} ({n})": no word to translate
    }


def test_numbers_and_dates_in_each_language():
    en, fr = Texts("en"), Texts("fr")
    assert en.int(4212) == "4,212" and fr.int(4212) == "4\u00a0212"
    assert en.pct(0.328) == "32.8%" and fr.pct(0.328) == "32,8\u00a0%"
    assert en.date(dt.date(2026, 6, 2)) == "Jun 2, 2026" and fr.date(dt.date(2026, 6, 2)) == "2 juin 2026"
    campaign = {
        "campaign_id": "x",
        "name_en": "Pharmacare now",
        "name_fr": "L'assurance médicaments maintenant",
    }
    assert fr.campaign_name(campaign) == "L'assurance médicaments maintenant"
    assert en.campaign_name({"campaign_id": "x", "name_en": None, "name_fr": "Seulement"}) == "Seulement"
