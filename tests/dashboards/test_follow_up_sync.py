"""The Follow-up page says when each segment's tag was last synced to Action Network, and what changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg
from tests.an_server import TOKEN, FakeActionNetwork
from tests.dashboards.apptest import open_page, shown_text
from tests.dashboards.conftest import ADMIN, OHIO, copy_built

pytestmark = pytest.mark.usefixtures("dash_env")
OPENERS = {
    "id": "openers",
    "name": {"en": "Opened the PRO Act email", "fr": "A ouvert le courriel PRO Act"},
    "cohort": {"campaign": "pro-act", "did": "opened"},
    "channel": "email",
    "outcome": {"event": "called"},
    "destinations": ["actionnetwork"],
}


@pytest.fixture
def synced(built, tmp_path, monkeypatch):
    """A private warehouse whose `openers` segment was synced twice: all added, then one removed."""
    copy = copy_built(built, tmp_path)
    monkeypatch.setenv("ROLLCALL_WAREHOUSE", str(copy["warehouse"]))
    segment = seg._parse_segment(OPENERS, Path("segments.yml"))
    con = duckdb.connect(str(copy["warehouse"]))
    try:
        seg.build(con, [segment], now=dt.datetime(2026, 6, 20))
        with FakeActionNetwork() as server:
            first = an.sync_segment(con, an.Client(server.url, TOKEN, rate=500.0), segment)
            (leaver,) = [p for (p,) in con.sql("select person_id from segments.membership").fetchall()][:1]
            con.execute("update marts.reachability set reachable_email = false where person_id = ?", [leaver])
            second = an.sync_segment(
                con, an.Client(server.url, TOKEN, rate=500.0), segment, max_remove_pct=None
            )
    finally:
        con.close()
    assert first.added >= 2 and (second.added, second.removed) == (0, 1)
    return second


def test_follow_up_shows_each_segments_last_sync_in_english_and_french(synced):
    en = shown_text(open_page("follow_up", ADMIN))
    assert "Action Network tags: last sync" in en
    assert "Opened the PRO Act email: last synced" in en and "0 added and 1 removed." in en
    assert "Mirror (adds and removes)" in en and "Synced" in en
    fr = shown_text(open_page("follow_up", ADMIN, lang="fr"))
    assert "Étiquettes Action Network : dernière synchronisation" in fr
    assert "A ouvert le courriel PRO Act : dernière synchronisation le" in fr
    assert "0 étiquettes ajoutées et 1 retirées." in fr
    assert "--" not in en and "--" not in fr


def test_follow_up_sync_section_is_for_admins_only(synced):
    assert "last synced" not in shown_text(open_page("follow_up", OHIO))
