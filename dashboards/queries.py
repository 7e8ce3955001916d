"""Every query the dashboard runs, in one place.

Rules kept here, not in the pages:
- Cohorts come from the cohort engine (`pipelines.lib.cohorts`), never from
  SQL of our own; the follow-up page builds on the engine's query.
- Every value a person chose is a bound parameter; the SQL text is made only
  of fixed fragments picked by code (`_BREAKDOWN` maps a choice to a column).
- `scope` (an affiliate, or None for an admin) limits every person-level
  query by `marts.people.affiliate = $scope`.
- The warehouse is opened read-only for one query and closed again, so the
  pipeline can publish a new file at any time. Results are cached briefly,
  keyed on the published file's identity (inode, mtime, size): a new publish
  is a new key, so the next render shows the new data.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.csv as pacsv
import streamlit as st

from pipelines.lib import cohorts
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh

TTL = "10m"  # a safety net; a new publish changes the key before that
DIRECT_DOWNLOAD_ROWS = 10_000  # bigger cohorts get a "prepare the file" step
# The funnel's steps (person_campaign_funnel first_<step>_at; campaign_summary columns):
# the cohort engine's events but `replied`, which the summaries do not count;
# acted = signed, submitted, rsvped, wrote or called (dbt macros/meanings.sql).
EVENT_COLUMNS = tuple(e for e in cohorts.EVENTS if e != "replied")
_BREAKDOWN = {"geo": "p.province_or_state", "affiliate": "p.affiliate"}


def version() -> tuple:
    """Identity of the published warehouse file; a new publish (atomic rename) changes it."""
    path = wh.warehouse_path()
    try:
        s = os.stat(path)
    except FileNotFoundError:
        raise wh.WarehouseMissing(
            f"no warehouse at {path}: run `rollcall run` (or `rollcall demo`) first"
        ) from None
    return (str(path), s.st_ino, s.st_mtime_ns, s.st_size)


def _connect(v: tuple):
    return wh.connect_read(Path(v[0]))


@st.cache_data(ttl=TTL, max_entries=512, show_spinner=False)
def _frame(v: tuple, sql: str, params: dict) -> pl.DataFrame:
    with _connect(v) as con:
        return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())


def _df(sql: str, params: dict | None = None) -> pl.DataFrame:
    return _frame(version(), sql, params or {})


def _scope(alias: str, scope: str | None, params: dict, key: str = "person_id") -> str:
    """A join that keeps only the scoped affiliate's people (empty for an admin).

    `key` person_key for tables that carry it (the integer join is faster).
    """
    if scope is None:
        return ""
    params["scope"] = scope
    return f"join marts.people sp on sp.{key} = {alias}.{key} and sp.affiliate = $scope"


# ------------------------------------------------------------------ registry and filter values


def campaigns() -> list[dict]:
    """The campaign registry (campaigns.yml), newest first."""
    return _df(
        """
        select campaign_id, name_en, name_fr, ask, starts, email_campaign_id, sms_from_e164,
               sms_sent_from, sms_sent_until, min_call_seconds, follow_up_of
        from marts.campaigns
        order by starts desc, campaign_id
        """
    ).to_dicts()


def campaign_key(campaign: str) -> int | None:
    """A campaign's integer key (marts.campaigns), which the funnel and touchpoints are stored in
    order of: a filter on it skips every other campaign's row groups. None if it is not there."""
    keys = _df("select campaign_id, campaign_key from marts.campaigns")
    return dict(keys.iter_rows()).get(campaign)


def filter_options(scope: str | None) -> dict[str, list]:
    """Values the cohort filters offer, from the people the user may see."""
    params: dict = {}
    where = ""
    if scope is not None:
        params["scope"] = scope
        where = "where affiliate = $scope"
    geos = _df(
        f"""
        select country, province_or_state, count(*) as n
        from marts.people {where}
        group by all having province_or_state is not null and country is not null
        order by country, province_or_state
        """,
        params,
    )
    districts = _df(
        f"""
        select d, count(*) as n from (
            select federal_district as d from marts.people {where}
            union all
            select state_district as d from marts.people {where}
        ) where d is not null group by d order by d
        """,
        params,
    )
    affiliates = _df(
        f"select affiliate, count(*) as n from marts.people {where} group by all "
        "having affiliate is not null order by affiliate",
        params,
    )
    return {
        "geos": geos.rows(),
        "districts": districts.get_column("d").to_list(),
        "affiliates": affiliates.get_column("affiliate").to_list(),
    }


# ------------------------------------------------------------------ cohorts (the engine)


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _cohort_summary(
    v: tuple, cohort: cohorts.Cohort, scope: str | None, limit: int
) -> tuple[int, pl.DataFrame]:
    with _connect(v) as con:
        keys = cohorts.check(con, cohort)
        sql, params = cohorts.build_query(cohort, keys, scope_affiliate=scope)
        # One pass over the engine's query: its size (what cohorts.count returns) and its first rows.
        rows = pl.from_arrow(
            con.sql(
                f"select count(*) over () as _size, * from ({sql}) limit {int(limit)}", params=params
            ).to_arrow_table()
        )
    n = int(rows.get_column("_size")[0]) if rows.height else 0
    preview = rows.drop("_size")
    return n, preview


def cohort_summary(cohort: cohorts.Cohort, scope: str | None, limit: int = 100) -> tuple[int, pl.DataFrame]:
    """The cohort's size (cohorts.count, as `rollcall cohort --count`) and its first rows."""
    return _cohort_summary(version(), cohort, scope, limit)


def cohort_csv(cohort: cohorts.Cohort, scope: str | None) -> bytes:
    """The cohort's rows as CSV, byte for byte what `rollcall cohort` writes."""
    return _cohort_csv(version(), cohort, scope)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _cohort_csv(v: tuple, cohort: cohorts.Cohort, scope: str | None) -> bytes:
    with _connect(v) as con:
        table = cohorts.members(con, cohort, scope_affiliate=scope)
    out = io.BytesIO()
    pacsv.write_csv(table, out)
    return out.getvalue()


# ------------------------------------------------------------------ the engagement ladder


def _ladder_where(scope: str | None, affiliate: str | None, geo: str | None, params: dict) -> str:
    """The Ladder page's filters on a ladder mart's own columns (no join): the user's
    scope, an affiliate, a province/state as `country:code`."""
    where = ["true"]
    if scope is not None:
        params["scope"] = scope
        where.append("affiliate = $scope")
    if affiliate is not None:
        params["affiliate"] = affiliate
        where.append("affiliate = $affiliate")
    if geo is not None:
        params["country"], params["geo"] = geo.split(":")
        where.append("country = $country and province_or_state = $geo")
    return " and ".join(where)


def ladder_days() -> list[tuple]:
    """The kept days, oldest first: (day, is_today)."""
    return _df("select distinct ladder_day, is_today from marts.ladder_counts order by ladder_day").rows()


def ladder_over_time(scope: str | None, affiliate: str | None = None, geo: str | None = None) -> pl.DataFrame:
    """People per rung on every kept day (marts.ladder_counts)."""
    params: dict = {}
    where = _ladder_where(scope, affiliate, geo, params)
    return _df(
        f"""
        select ladder_day, is_today, rung, sum(people)::bigint as people
        from marts.ladder_counts where {where}
        group by all order by ladder_day, rung
        """,
        params,
    )


def ladder_movement(
    day_before, day_after, scope: str | None, affiliate: str | None = None, geo: str | None = None
) -> pl.DataFrame:
    """People per (rung before, rung after) between two kept days, with the direction
    (marts.ladder_movement: a view that reads only the two days asked)."""
    params: dict = {"day_before": day_before, "day_after": day_after}
    where = _ladder_where(scope, affiliate, geo, params)
    return _df(
        f"""
        select rung_before, rung_after, direction, sum(people)::bigint as people
        from marts.ladder_movement
        where day_before = $day_before and day_after = $day_after and {where}
        group by all order by rung_before desc, rung_after desc
        """,
        params,
    )


# ------------------------------------------------------------------ campaign funnel


def _opened(include_machine_opens: bool) -> str:
    return "first_opened_any_at" if include_machine_opens else "first_opened_at"


def _step_counts(include_machine_opens: bool) -> str:
    """count(first_<step>_at) per funnel step, opened as asked (human opens, or any)."""
    return ", ".join(
        f"count(f.{_opened(include_machine_opens) if s == 'opened' else f'first_{s}_at'}) as {s}"
        for s in EVENT_COLUMNS
    )


def funnel(campaign: str, scope: str | None, include_machine_opens: bool = False) -> dict[str, int]:
    """People per step (each step counted on its own: a caller need not have opened)."""
    params: dict = {"campaign_key": campaign_key(campaign)}
    join = _scope("f", scope, params, "person_key")
    return _df(
        f"""
        select {_step_counts(include_machine_opens)}, count(*) as people
        from marts.person_campaign_funnel f {join}
        where f.campaign_key = $campaign_key
        """,
        params,
    ).to_dicts()[0]


def funnel_breakdown(campaign: str, by: str, scope: str | None, include_machine_opens: bool = False):
    """The funnel per province/state (`geo`) or per affiliate."""
    column = _BREAKDOWN[by]  # KeyError for anything else: never user text in SQL
    params: dict = {"campaign_key": campaign_key(campaign)}
    scope_where = ""
    if scope is not None:
        params["scope"] = scope
        scope_where = "and p.affiliate = $scope"
    return _df(
        f"""
        select coalesce({column}, '?') as grp, {_step_counts(include_machine_opens)}
        from marts.person_campaign_funnel f
        join marts.people p on p.person_key = f.person_key
        where f.campaign_key = $campaign_key {scope_where}
        group by 1
        order by delivered desc, texted desc, grp
        """,
        params,
    )


TIME_TO_CALL_BUCKETS = ("lt1h", "1_6h", "6_24h", "1_2d", "2_3d", "3_7d", "7_14d", "gt14d")


def time_to_call(campaign: str, scope: str | None, include_machine_opens: bool = False) -> dict:
    """How long after their first open people made their first call (openers who called after opening)."""
    params: dict = {"campaign_key": campaign_key(campaign)}
    join = _scope("f", scope, params, "person_key")
    opened = _opened(include_machine_opens)
    df = _df(
        f"""
        with d as (
            select epoch(f.first_called_at - f.{opened}) / 3600.0 as h
            from marts.person_campaign_funnel f {join}
            where f.campaign_key = $campaign_key and f.{opened} is not null
              and f.first_called_at >= f.{opened}
        )
        select case when h < 1 then 'lt1h' when h < 6 then '1_6h' when h < 24 then '6_24h'
                    when h < 48 then '1_2d' when h < 72 then '2_3d' when h < 168 then '3_7d'
                    when h < 336 then '7_14d' else 'gt14d' end as bucket,
               count(*) as n, (select median(h) from d) as median_h
        from d group by bucket
        """,
        params,
    )
    counts = dict.fromkeys(TIME_TO_CALL_BUCKETS, 0)
    for bucket, n in df.group_by("bucket").agg(pl.col("n").sum()).rows():
        counts[bucket] = n
    median = df.get_column("median_h")[0] if df.height else None
    return {"buckets": counts, "median_hours": median, "n": sum(counts.values())}


# ------------------------------------------------------------------ overview


def _affiliate_filter(scope: str | None, params: dict, alias: str = "") -> str:
    """A condition on a summary table's affiliate column (always true for an admin)."""
    if scope is None:
        return "true"
    params["scope"] = scope
    return f"{alias}affiliate = $scope"


def activity_by_week(scope: str | None) -> pl.DataFrame:
    """Attributed actions per week (human opens only); a call listed by two campaigns counts once."""
    params: dict = {}
    return _df(
        f"""
        select week, action, sum(actions)::bigint as n
        from marts.weekly_activity
        where {_affiliate_filter(scope, params)}
        group by all order by week, action
        """,
        params,
    )


def campaigns_side_by_side(scope: str | None) -> pl.DataFrame:
    params: dict = {}
    sums = ", ".join(f"coalesce(sum(s.{step}), 0)::bigint as {step}" for step in EVENT_COLUMNS)
    return _df(
        f"""
        select c.campaign_id, c.starts, {sums}
        from marts.campaigns c
        left join marts.campaign_summary s
               on s.campaign_id = c.campaign_id and {_affiliate_filter(scope, params, "s.")}
        group by all order by c.starts, c.campaign_id
        """,
        params,
    )


def by_geography(scope: str | None) -> pl.DataFrame:
    """People, and people who acted on any campaign, per province/state."""
    params: dict = {}
    return _df(
        f"""
        select country, province_or_state as geo, sum(people)::bigint as people,
               sum(opened)::bigint as opened, sum(clicked)::bigint as clicked, sum(called)::bigint as called,
               sum(acted)::bigint as acted
        from marts.geography_summary
        where {_affiliate_filter(scope, params)}
        group by all
        order by people desc, geo
        """,
        params,
    )


# ------------------------------------------------------------------ follow-up


def follow_up(follow: dict, did: str, scope: str | None) -> dict:
    """Calls after the follow-up text, texted people against the untexted rest of the parent cohort.

    Parent cohort: people who did `did` on the parent campaign (the cohort
    engine's query) and had not called it before the follow-up's texts began.
    Outcome: a call counted for the follow-up campaign at or after that start
    (after their own text, for the texted).
    """
    parent = cohorts.Cohort(campaign=follow["follow_up_of"], did=did)
    keys = {parent.campaign[0]: campaign_key(parent.campaign[0])}
    parent_sql, params = cohorts.build_query(parent, keys, scope_affiliate=scope, ordered=False)
    start = follow["sms_sent_from"] or follow["starts"]
    params = dict(
        params,
        parent_key=keys[parent.campaign[0]],
        fu_key=campaign_key(follow["campaign_id"]),
        fu_start=start,
    )
    df = _df(
        f"""
        with parent as ({parent_sql}),
        prior as (
            select person_key from marts.campaign_touchpoints
            where campaign_key = $parent_key
              and action = 'called' and occurred_at < $fu_start
        ),
        texted as (
            select person_key, first_texted_at from marts.person_campaign_funnel
            where campaign_key = $fu_key
              and first_texted_at is not null
        ),
        calls as (
            select person_key, occurred_at from marts.campaign_touchpoints
            where campaign_key = $fu_key
              and action = 'called' and occurred_at >= $fu_start
        ),
        eligible as (
            select pa.person_key, x.first_texted_at
            from parent pa left join texted x on x.person_key = pa.person_key
            where pa.person_key not in (select person_key from prior)
        )
        select e.person_key, e.first_texted_at is not null as was_texted,
               min(c.occurred_at) filter (
                   where e.first_texted_at is null or c.occurred_at >= e.first_texted_at
               ) as called_at
        from eligible e left join calls c on c.person_key = e.person_key
        group by all
        """,
        params,
    )
    groups = {}
    for was_texted, name in ((True, "texted"), (False, "control")):
        g = df.filter(pl.col("was_texted") == was_texted)
        daily = (
            g.drop_nulls("called_at")
            .group_by(pl.col("called_at").dt.date().alias("day"))
            .agg(pl.len().alias("n"))
            .sort("day")
        )
        groups[name] = {"people": g.height, "called": int(daily.get_column("n").sum()), "daily": daily}
    return groups


def difference_interval(x1: int, n1: int, x2: int, n2: int, z: float = 1.96) -> tuple[float, float] | None:
    """A 95% interval for the difference of two shares x1/n1 − x2/n2 (Newcombe's, from Wilson's
    score intervals: it stays inside −1…1 and does not collapse to a point on 3 against 3)."""
    if not n1 or not n2:
        return None

    def wilson(x: int, n: int) -> tuple[float, float]:
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
        return centre - half, centre + half

    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    return d - ((p1 - l1) ** 2 + (u2 - p2) ** 2) ** 0.5, d + ((u1 - p1) ** 2 + (p2 - l2) ** 2) ** 0.5


SMALL_GROUP = 30  # fewer people than this in a group: the page says the numbers are too few to judge


def segment_lift(scope: str | None) -> pl.DataFrame:
    """Saved segments' measured lift (dbt `segments.segment_lift`): treatment against held-out control.

    For an affiliate-scoped user, the same numbers over that affiliate's
    members only (dbt `segments.segment_lift_by_affiliate`, the same formula).
    Empty when no segment has been built yet.
    """
    params: dict = {}
    if scope is None:
        sql = "select * from segments.segment_lift order by segment_id"
    else:
        params["scope"] = scope
        sql = "select * from segments.segment_lift_by_affiliate where affiliate = $scope order by segment_id"
    v = version()
    with _connect(v) as con:
        built = con.sql(
            "select count(*) from information_schema.tables"
            " where table_schema = 'segments' and table_name = 'segment_lift'"
        ).fetchall()[0][0]
    if not built:
        return pl.DataFrame()
    return _frame(v, sql, params)


def segment_syncs() -> pl.DataFrame:
    """Each segment's latest Action Network sync (`segments.sync_runs`, written by the push):
    when it finished, its mode and outcome, how many it added, removed and failed. Empty before any."""
    v = version()
    with _connect(v) as con:
        found = con.sql(
            "select count(*) from information_schema.tables"
            " where table_schema = 'segments' and table_name in ('sync_runs', 'definitions')"
        ).fetchall()[0][0]
    if found < 2:
        return pl.DataFrame()
    return _frame(
        v,
        """
        select r.segment_id, r.segment_id as campaign_id, d.name_en, d.name_fr, r.mode, r.finished_at,
               r.outcome, r.added, r.removed, r.failed
        from segments.sync_runs r
        left join segments.definitions d on d.segment_id = r.segment_id
        qualify row_number() over (partition by r.segment_id order by r.finished_at desc) = 1
        order by r.segment_id
        """,
        {},
    )


def built_segments() -> set[str]:
    """Ids of the segments built in the published warehouse (none before the first build)."""
    with _connect(version()) as con:
        try:
            return {
                sid for (sid,) in con.sql("select distinct segment_id from segments.membership").fetchall()
            }
        except duckdb.CatalogException:
            return set()


def segment_treatment(segment: seg.Segment) -> dict:
    """A built segment's treatment list as the Action Network upload CSV (what
    `rollcall segments export --format csv` writes: current treatment members
    reachable on the channel now; never a control or unreachable member), with
    the members left out of it."""
    return _segment_treatment(version(), segment)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _segment_treatment(v: tuple, segment: seg.Segment) -> dict:
    with _connect(v) as con:
        rows = seg.export_rows(con, segment)
        left_out = seg.not_sent(con, segment)
    out = io.BytesIO()
    pacsv.write_csv(seg.upload(rows, segment), out)
    return {"csv": out.getvalue(), "rows": rows.num_rows, **left_out}


# ------------------------------------------------------------------ data health


def loads() -> pl.DataFrame:
    """Per source: the last load, files, rows loaded and rejected (no person data)."""
    return _df(
        """
        select source, max(loaded_at) as last_load, count(*) as files,
               sum(rows_loaded) as rows_loaded, sum(rows_rejected) as rows_rejected
        from marts.loaded_files group by source order by source
        """
    )


def rejected_reasons() -> pl.DataFrame:
    """Rejected rows per source and kind of reason (the quoted bad value stripped out)."""
    return _df(
        """
        select source, trim(regexp_replace(reason, '"[^"]*"', '', 'g')) as reason, count(*) as n
        from marts.rejected_rows group by all order by n desc, source, reason
        """
    )


def rejected_sample(limit: int = 200) -> pl.DataFrame:
    """Rejected rows with file, line and value: admins only (values can be anyone's)."""
    return _df(
        "select source, file, line, reason, raw_value from marts.rejected_rows "
        "order by source, file, line limit $limit",
        {"limit": limit},
    )


def unmatched() -> pl.DataFrame:
    """Events whose email or phone matched no person, per channel."""
    return _df(
        """
        select channel, sum(events)::bigint as events, count(identifier) as identifiers
        from marts.unmatched_identifiers group by channel order by channel
        """
    )


def unattributed_actions() -> pl.DataFrame:
    """Action Network actions on pages no campaign lists, per page (kept and counted, never dropped)."""
    return _df(
        """
        select page_kind, page_id, actions, unmatched, last_acted_at
        from marts.unattributed_actions order by actions desc, page_kind, page_id
        """
    )


def unmatched_identifiers(limit: int = 100) -> pl.DataFrame:
    """The most frequent unmatched emails/phones: admins only."""
    return _df(
        """
        select channel, identifier, events, last_seen
        from marts.unmatched_identifiers
        order by events desc, identifier limit $limit
        """,
        {"limit": limit},
    )


# ------------------------------------------------------------------ data health, for an affiliate user


def last_loads() -> pl.DataFrame:
    """Per source, when it was last loaded: the freshness an affiliate user may see (no counts)."""
    return _df(
        "select source, max(loaded_at) as last_load from marts.loaded_files group by source order by source"
    )


def scoped_people(scope: str) -> dict:
    """The affiliate's people, and how many have an email address and a phone number."""
    return _df(
        "select count(*) as people, count(email) as with_email, count(phone) as with_phone "
        "from marts.people where affiliate = $scope",
        {"scope": scope},
    ).to_dicts()[0]


def scoped_events(scope: str) -> pl.DataFrame:
    """The affiliate's people's attributed actions per channel: how many, for how many people, the latest.

    From campaign_touchpoints (the published actions; every raw event stays in the build warehouse).
    """
    return _df(
        """
        select case when t.action in ('texted', 'replied') then 'sms'
                    when t.action = 'called' then 'call' else 'email' end as channel,
               count(*) as events, count(distinct t.person_key) as people, max(t.occurred_at) as last_event
        from marts.campaign_touchpoints t join marts.people p on p.person_key = t.person_key
        where p.affiliate = $scope
        group by 1 order by 1
        """,
        {"scope": scope},
    )
