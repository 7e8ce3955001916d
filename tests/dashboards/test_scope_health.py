"""An affiliate user finds no organisation-wide figure on Data health or the Overview."""

from __future__ import annotations

import pytest

from dashboards import queries
from tests.dashboards.apptest import metrics, open_page, shown_text
from tests.dashboards.conftest import ADMIN, OHIO

pytestmark = pytest.mark.usefixtures("dash_env")


def tables(at) -> str:
    return "\n".join(t.value.to_csv(index=False) for t in at.table)


def test_data_health_shows_an_affiliate_only_its_own_people_and_says_what_is_hidden():
    admin = open_page("data_health", ADMIN)
    assert "Rows loaded" in tables(admin) and admin.get("plotly_chart")  # the organisation's counts

    at = open_page("data_health", OHIO)
    shown = shown_text(at) + tables(at)
    assert metrics(at) == {"People": "3", "With an email address": "3", "With a phone number": "3"}
    for organisation_wide in ("Files", "Rows loaded", "Rows rejected", "Distinct emails / phones"):
        assert organisation_wide not in shown
    assert not at.get("plotly_chart")  # no rejected-rows chart
    assert "You see the members of **Ohio AFL-CIO** only." in shown
    assert any("belong to no affiliate" in i.value for i in at.info)
    # the events listed are the Ohio people's only
    events = at.table[0].value
    ohio_events = queries.scoped_events(OHIO.scope)
    assert [int(n) for n in events["Events"]] == ohio_events.get_column("events").to_list()
    assert sum(int(n) for n in events["Events"]) < 50  # 50 touchpoints in the whole fixture


def test_overview_totals_are_the_affiliates():
    admin, ohio = metrics(open_page("overview", ADMIN)), metrics(open_page("overview", OHIO))
    assert admin["Emails delivered"] == "8" and ohio["Emails delivered"] == "3"
    assert int(ohio["Called"]) < int(admin["Called"])


def test_data_health_in_french_translates_reasons_and_headers():
    at = open_page("data_health", ADMIN, lang="fr")
    shown = tables(at) + shown_text(at)
    for english in ("invalid phone", "unparsable", "rows_loaded", "None", "not a phone number"):
        assert english not in shown.replace("`", "").split("Valeur reçue")[0], english
    assert "téléphone invalide (laissé vide sur la personne)" in shown
    assert "Lignes chargées" in shown
