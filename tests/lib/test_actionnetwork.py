"""The Action Network client against a local server that behaves like the API (real HTTP)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import actionnetwork as an
from tests.an_server import TOKEN, FakeActionNetwork, person_resource


def people(n: int, modified: str = "2026-06-01T00:00:00Z") -> list[dict]:
    return [
        person_resource(
            {
                "uuid": f"an-{i:03d}",
                "first_name": f"First{i}",
                "last_name": f"Last{i}",
                "email": f" Person{i}@Example.org ",
                "can2_phone": f"(416) 555-{i:04d}",
                "zip_code": "m5v2t6",
                "can2_subscription_status": "subscribed",
                "can2_sms_status": "subscribed",
                "affiliate": "Toronto & York Region Labour Council",
                "language": "en",
            },
            modified,
        )
        for i in range(n)
    ]


class Recorder:
    """time.sleep that also remembers what it was asked to wait (short waits really happen)."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, 0.05))


def client(server: FakeActionNetwork, **kw) -> an.Client:
    kw.setdefault("rate", 100.0)
    kw.setdefault("backoff", 0.01)
    return an.Client(server.url, TOKEN, **kw)


def test_pages_of_25_are_followed_until_a_page_comes_back_empty():
    with FakeActionNetwork(people(60)) as server:
        got = list(client(server).iter_people())
    assert [p["identifiers"][0] for p in got] == [f"action_network:an-{i:03d}" for i in range(60)]
    pages = [(r["query"].get("page", ["1"])[0], r["status"]) for r in server.requests]
    assert pages == [("1", 200), ("2", 200), ("3", 200), ("4", 200)]  # 25, 25, 10, then the empty page


def test_every_request_carries_the_token_and_a_wrong_token_is_refused():
    with FakeActionNetwork(people(3)) as server, pytest.raises(an.ActionNetworkError, match="HTTP 401"):
        list(an.Client(server.url, "wrong", rate=100).iter_people())


def test_429_is_retried_honouring_retry_after():
    sleep = Recorder()
    with FakeActionNetwork(people(60)) as server:
        server.throttle_every, server.retry_after = 2, "3"
        got = list(client(server, sleep=sleep).iter_people())
    assert len(got) == 60
    assert [r["status"] for r in server.requests].count(429) >= 2
    assert sleep.waits.count(3.0) >= 2


def test_a_server_that_stays_down_raises_unavailable_after_bounded_retries():
    with FakeActionNetwork(people(3)) as server:
        server.outage_after_signups, server.outage_requests = 0, 100
        with pytest.raises(an.Unavailable, match="HTTP 500"):
            list(client(server, retries=2).iter_people())
        assert len(server.requests) == 3


def test_at_most_four_requests_a_second():
    with FakeActionNetwork(people(8 * 25)) as server:
        list(an.Client(server.url, TOKEN).iter_people())  # the default rate: 4 a second
        times = [r["at"] for r in server.requests]
    assert len(times) == 9
    # any five consecutive requests span about a second: the client spaces its sends 0.25 s apart;
    # the server stamps arrivals, which a loaded machine can jitter by a few tens of milliseconds
    assert all(times[i + 4] - times[i] >= 0.9 for i in range(len(times) - 4))


def test_links_off_the_api_host_are_not_followed_with_the_token():
    c = an.Client("http://127.0.0.1:9/api/v2/", TOKEN)
    with pytest.raises(an.ActionNetworkError, match="refusing"):
        c.url("https://elsewhere.example/api/v2/people?page=2")


def test_pull_lands_people_normalised_and_then_only_the_changed_ones(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    with FakeActionNetwork(people(30)) as server:
        first = an.pull_people(con, client(server))
        assert first.people == 30 and first.modified_since is None
        row = con.sql(
            "select email_norm, phone_e164, postal_code, affiliate from raw.people where person_id = 'an-007'"
        ).fetchall()
        assert row == [
            ("person7@example.org", "+14165550007", "M5V 2T6", "Toronto & York Region Labour Council")
        ]
        server.people[7]["given_name"] = "Renamed"
        server.people[7]["modified_date"] = "2026-07-01T00:00:00Z"
        server.requests.clear()
        second = an.pull_people(con, client(server))
    assert second.people == 1 and second.modified_since == "2026-06-01T00:00:00Z"
    assert server.requests[0]["query"]["filter"] == ["modified_date gt '2026-06-01T00:00:00Z'"]
    assert con.sql("select count(*) from raw.people").fetchall() == [(30,)]
    assert con.sql("select first_name from raw.people where person_id = 'an-007'").fetchall() == [
        ("Renamed",)
    ]
    con.close()


def test_person_payload_is_only_the_identifier():
    assert an.person_payload("email", "a@b.org") == {"email_addresses": [{"address": "a@b.org"}]}
    assert an.person_payload("sms", "+14165550101") == {"phone_numbers": [{"number": "+14165550101"}]}
