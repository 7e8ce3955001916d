"""The cohort engine: *did A* [*but not B*] [*within N days*] on one campaign, filtered.

One module answers every cohort question, for the CLI, the dashboard and the
exports alike. The SQL is assembled only from fixed fragments chosen by
validated names; every value a person typed is a bound parameter.

Meanings (DESIGN.md):
- A cohort is the people with a first A for the campaign.
- Without `within_days`, "but not B" keeps those with no B for the campaign
  at all; with it, those with no B at a time t with first A ≤ t ≤ first A + N×24 h.
- `opened` counts human opens only unless `include_machine_opens`.
- `reachable` keeps people reachable on that channel now (marts.reachability).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb
import pyarrow as pa

MAX_WITHIN_DAYS = 36_525  # 100 years: past any campaign, short of any date overflow
EVENTS = ("delivered", "opened", "clicked", "texted", "replied", "called")
CHANNELS = ("email", "sms")
LANGUAGES = ("en", "fr")

# The columns of a cohort row, in order (DESIGN: command line).
COLUMNS = (
    "person_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "zip_code",
    "province_or_state",
    "affiliate",
    "language",
)


class CohortError(ValueError):
    """A cohort question that cannot be asked; the message is one line for a person."""


@dataclass(frozen=True)
class Cohort:
    campaign: str
    did: str
    did_not: str | None = None
    within_days: int | None = None
    province: str | None = None
    state: str | None = None
    district: str | None = None
    affiliate: str | None = None
    language: str | None = None
    reachable: str | None = None
    include_machine_opens: bool = False

    def __post_init__(self) -> None:
        if not self.campaign:
            raise CohortError("a cohort needs a campaign")
        for name in ("did", "did_not"):
            value = getattr(self, name)
            if value is not None and value not in EVENTS:
                raise CohortError(
                    f"--{name.replace('_', '-')} must be one of {', '.join(EVENTS)}, not {value!r}"
                )
        if self.did is None:
            raise CohortError("a cohort needs --did")
        if self.within_days is not None:
            if self.did_not is None:
                raise CohortError("--within needs --did-not (within N days of doing what?)")
            if (
                isinstance(self.within_days, bool)
                or not isinstance(self.within_days, int)
                or not 0 <= self.within_days <= MAX_WITHIN_DAYS
            ):
                raise CohortError(
                    f"--within must be a whole number of days from 0 to {MAX_WITHIN_DAYS} (100 years), "
                    f"not {self.within_days!r}"
                )
        if self.did_not is not None and self.did_not == self.did:
            raise CohortError("--did and --did-not name the same event: the cohort would be empty")
        if self.province and self.state:
            raise CohortError("--province and --state cannot both be given (one is Canadian, one US)")
        for name in ("province", "state"):
            value = getattr(self, name)
            if value is not None:
                if not (len(value) == 2 and value.isalpha()):
                    raise CohortError(f"--{name} takes a two-letter code such as ON or OH, not {value!r}")
                object.__setattr__(self, name, value.upper())
        if self.language is not None and self.language not in LANGUAGES:
            raise CohortError(f"--language must be en or fr, not {self.language!r}")
        if self.reachable is not None and self.reachable not in CHANNELS:
            raise CohortError(f"--reachable must be email or sms, not {self.reachable!r}")

    def describe(self) -> dict:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, False)
        }


def _first_column(event: str, include_machine_opens: bool) -> str:
    if event == "opened" and include_machine_opens:
        return "first_opened_any_at"
    return f"first_{event}_at"


def build_query(cohort: Cohort, scope_affiliate: str | None = None, ordered: bool = True) -> tuple[str, dict]:
    """SQL and bound parameters for the members of a cohort: their rows (COLUMNS)
    ordered by person_id, or, not `ordered`, only their person_id (for counting).

    `scope_affiliate` limits the answer to one affiliate's people (an
    affiliate-scoped user); it is applied whatever the cohort says.
    """
    did_col = _first_column(cohort.did, cohort.include_machine_opens)
    params: dict = {"campaign": cohort.campaign}
    where: list[str] = []
    not_col = None
    if cohort.did_not is not None:
        # The funnel holds one row per person and campaign: the first B is on A's row.
        not_col = _first_column(cohort.did_not, cohort.include_machine_opens)
        if cohort.within_days is None:
            where.append("a.not_at is null")
        else:
            params["within_days"] = cohort.within_days
            # An open is a human open; a machine open is its own action (machine_opened).
            params["did_not_actions"] = (
                ["opened", "machine_opened"]
                if cohort.did_not == "opened" and cohort.include_machine_opens
                else [cohort.did_not]
            )
            # No B at a time t with A <= t <= A + N days. The first B decides,
            # unless it came before A: then a later B may still fall inside.
            where.append(
                """(a.not_at is null
                     or a.not_at > a.did_at + $within_days * interval 1 day
                     or (a.not_at < a.did_at and not exists (
                         select 1 from marts.campaign_touchpoints t
                         where t.person_key = a.person_key and t.campaign_id = $campaign
                           and list_contains($did_not_actions, t.action)
                           and t.occurred_at >= a.did_at
                           and t.occurred_at <= a.did_at + $within_days * interval 1 day)))"""
            )
    people_filters: list[str] = []
    if cohort.province is not None:
        params["province"] = cohort.province
        people_filters.append("p.country = 'CA' and p.province_or_state = $province")
    if cohort.state is not None:
        params["state"] = cohort.state
        people_filters.append("p.country = 'US' and p.province_or_state = $state")
    if cohort.district is not None:
        params["district"] = cohort.district
        people_filters.append("(p.federal_district = $district or p.state_district = $district)")
    if cohort.affiliate is not None:
        params["affiliate"] = cohort.affiliate
        people_filters.append("p.affiliate = $affiliate")
    if scope_affiliate is not None:
        params["scope_affiliate"] = scope_affiliate
        people_filters.append("p.affiliate = $scope_affiliate")
    if cohort.language is not None:
        params["language"] = cohort.language
        people_filters.append("p.language = $language")
    where += people_filters
    joins = []
    if ordered or people_filters:
        # Every funnel person is a person (funnel rows come from matched
        # people only), so a bare count needs no join.
        joins.append("join marts.people p on p.person_key = a.person_key")
    if cohort.reachable is not None:
        joins.append("join marts.reachability r on r.person_key = a.person_key")
        where.append(f"r.reachable_{cohort.reachable}")
    selected = ", ".join(f"p.{c}" for c in COLUMNS) if ordered else "a.person_key"
    sql = f"""
        with a as (
            select person_key, {did_col} as did_at, {not_col or "null"} as not_at
            from marts.person_campaign_funnel
            where campaign_id = $campaign and {did_col} is not null
        )
        select {selected}
        from a
        {" ".join(joins)}
        {"where " + " and ".join(where) if where else ""}
        {"order by p.person_id" if ordered else ""}
    """
    return sql, params


def check_campaign(con: duckdb.DuckDBPyConnection, campaign: str) -> None:
    known = [c for (c,) in con.sql("select campaign_id from marts.campaigns order by 1").fetchall()]
    if campaign not in known:
        raise CohortError(f"unknown campaign {campaign!r}; known: {', '.join(known) or 'none'}")


def count(con: duckdb.DuckDBPyConnection, cohort: Cohort, scope_affiliate: str | None = None) -> int:
    """How many people are in the cohort."""
    check_campaign(con, cohort.campaign)
    sql, params = build_query(cohort, scope_affiliate, ordered=False)
    return con.execute(f"select count(*) from ({sql})", params).fetchall()[0][0]


def members(con: duckdb.DuckDBPyConnection, cohort: Cohort, scope_affiliate: str | None = None) -> pa.Table:
    """The cohort's rows (COLUMNS), ordered by person_id."""
    check_campaign(con, cohort.campaign)
    sql, params = build_query(cohort, scope_affiliate)
    return con.sql(sql, params=params).to_arrow_table()
