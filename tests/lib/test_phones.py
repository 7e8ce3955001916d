"""Phone normalisation: the per-exchange fast path agrees with phonenumbers' full parser."""

from __future__ import annotations

import random

import duckdb
import pytest

from pipelines.lib import ingest, phones


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("(416) 555-0134", "+14165550134"),
        ("416.555.0134", "+14165550134"),
        ("+1 416 555 0134", "+14165550134"),
        ("1-416-555-0134", "+14165550134"),
        ("555-CALL-NOW", None),
        ("12", None),
        ("+44 20 7946 0958", "+442079460958"),
        ("", None),
    ],
)
def test_human_formats_become_e164(written, e164):
    assert phones.to_e164(written) == e164


def test_the_exchange_fast_path_agrees_with_the_full_parser():
    rng = random.Random(20261122)
    shapes = ["({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}{b}{c}", "+1{a}{b}{c}"]
    numbers = []
    for _ in range(6000):
        digits = f"{rng.randint(0, 9_999_999_999):010d}"
        if rng.random() < 0.3:
            digits = "246" + digits[3:]  # Barbados: its mobile ranges fix a seventh digit
        a, b, c = digits[:3], digits[3:6], digits[6:]
        numbers.append(rng.choice(shapes).format(a=a, b=b, c=c))
    numbers += ["555-CALL-NOW", "+44 20 7946 0958", "416-555-0134 x12", "911"]
    con = duckdb.connect()
    ingest.ensure_raw_schema(con)
    con.execute("create temp table _batch as select unnest(?::varchar[]) as phone", [numbers])
    ingest._register_phones(con, "phone")
    fast = dict(con.sql("select raw, e164 from _phones").fetchall())
    assert {n: fast[n] for n in numbers} == {n: phones.to_e164(n) for n in numbers}
    assert sum(v is not None for v in fast.values()) > 100  # both valid and invalid numbers were tried


def test_the_prefix_table_is_the_installed_phonenumbers_own_answers():
    """phones.PREFIX_TABLE holds what phonenumbers says of every NANP prefix: written for the
    phonenumbers installed (after an upgrade: `uv run python -m pipelines.lib.phones`), and
    agreeing with the parser on prefixes drawn at random and on every Barbados exchange."""
    assert phones._prefix_table() is not None, "run: uv run python -m pipelines.lib.phones"
    rng = random.Random(20261203)
    prefixes = phones.all_prefixes()
    drawn = rng.sample(prefixes[:1_000_000], 3000) + prefixes[1_000_000:][::7]
    table = {p: phones.nanp_prefix_valid(p) for p in drawn}
    assert table == {p: phones._parsed_prefix_valid(p) for p in drawn}
    assert 100 < sum(table.values()) < len(drawn)  # valid and invalid prefixes both drawn
