"""The engagement ladder's questions on a published warehouse, each on a fresh read-only connection.

    uv run python bench/ladder.py WAREHOUSE [--runs N]

As the dashboard and `rollcall cohort` ask them: the kept days, people per
rung on every day, the movement between two days (whole, one affiliate, one
province), `--rung` and a flow (`--rung-on`) counted and listed. Prints
p50 / slowest in ms. Use the 1M bench's warehouse (`bench/run.py
--keep-warehouse FILE`) on a machine otherwise idle.
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

from pipelines.lib import cohorts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    def fresh(ask) -> tuple[float, float, int]:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            with duckdb.connect(args.warehouse, read_only=True) as con:
                answer = ask(con)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times), max(times), answer

    with duckdb.connect(args.warehouse, read_only=True) as con:
        kept = "select distinct ladder_day from marts.ladder_counts order by 1"
        days = [d for (d,) in con.execute(kept).fetchall()]
        affiliate = con.execute(
            "select affiliate from marts.people group by 1 order by count(*) desc limit 1"
        ).fetchone()[0]
        newest = "select campaign_id from marts.campaigns order by starts desc limit 1"
        campaign = con.execute(newest).fetchone()[0]
        rows = con.execute("select count(*) from marts.ladder").fetchone()[0]
    print(f"{len(days)} kept days ({days[0]} … {days[-1]}), {rows:,} ladder rows")
    last, today = days[-2], days[-1]
    movement = (
        "select rung_before, rung_after, direction, sum(people) from marts.ladder_movement "
        "where day_before = ? and day_after = ? {} group by all"
    )
    questions = {
        "kept days": lambda con: len(
            con.execute("select distinct ladder_day, is_today from marts.ladder_counts").fetchall()
        ),
        "people per rung, every day": lambda con: len(
            con.execute(
                "select ladder_day, rung, sum(people) from marts.ladder_counts group by all"
            ).fetchall()
        ),
        "movement, last month's end → today": lambda con: len(
            con.execute(movement.format(""), [last, today]).fetchall()
        ),
        "movement, first month's end → today": lambda con: len(
            con.execute(movement.format(""), [days[0], today]).fetchall()
        ),
        "movement, one affiliate": lambda con: len(
            con.execute(movement.format("and affiliate = ?"), [last, today, affiliate]).fetchall()
        ),
        "movement, province ON": lambda con: len(
            con.execute(
                movement.format("and country = 'CA' and province_or_state = 'ON'"), [days[0], last]
            ).fetchall()
        ),
        "count --rung clicker": lambda con: cohorts.count(con, cohorts.Cohort(rung="clicker")),
        "count a flow: actor then, listed today": lambda con: cohorts.count(
            con, cohorts.Cohort(rung_on=(f"{days[0]}:actor",), rung="listed")
        ),
        "rows of a flow: opener then and today": lambda con: (
            cohorts.members(con, cohorts.Cohort(rung_on=(f"{last}:opener",), rung="opener")).num_rows
        ),
        "count --campaign … --did opened --rung opener": lambda con: cohorts.count(
            con, cohorts.Cohort(campaign=campaign, did="opened", rung="opener")
        ),
    }
    print("| question | p50 / slowest ms | answer |\n|---|---:|---:|")
    for name, ask in questions.items():
        p50, slowest, answer = fresh(ask)
        print(f"| {name} | {p50:.0f} / {slowest:.0f} | {answer:,} |")


if __name__ == "__main__":
    main()
