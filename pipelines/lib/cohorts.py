"""The cohort engine: *did A* [*but not B*] [*within N days*] on one campaign or several, filtered.

One module answers every cohort question, for the CLI, the dashboard and the
exports alike. The SQL is assembled only from fixed fragments chosen by
validated names; every value a person typed is a bound parameter.

One schema for a cohort question: `FIELDS` below. Each field says its name
in the `Cohort` dataclass, its CLI flag and its segments.yml key, and the CLI
parser (`add_arguments`), the CLI reader (`Cohort.from_flags`), segments.yml
(`Cohort.from_mapping` / `to_mapping`), the builder page (`Cohort(**values)`,
`to_flags`) all read it. A question that cannot be asked raises
`CohortError(code, **params)`: the CLI prints `str(error)` (one English line
naming the flags), segments.yml `error.text("yaml")` (naming its keys), and the
page `cohort.error.<code>` from the EN/FR catalogues.

Meanings (DESIGN.md):
- A cohort is the people with a first A for the campaign.
- Without `within_days`, "but not B" keeps those with no B for the campaign
  at all; with it, those with no B at a time t with first A ≤ t ≤ first A + N×24 h.
- Several campaigns (`--campaign` repeated): A is the first A on any of
  them, and B is any B on any of them (an A on one, a B on the other counts).
- `acted` is any of signed, submitted, rsvped, wrote or called: the funnel's
  first_acted_at, and for "within N days" the actions marts.action_meanings
  lists (both from dbt's macros/meanings.sql, the one place it is written).
- `opened` counts human opens only unless `include_machine_opens`.
- `reachable` keeps people reachable on that channel now (marts.reachability).
- `rung` keeps people on that rung of the engagement ladder today, and each
  `rung_on` (DAY:RUNG) those on that rung on that kept day (marts.ladder,
  whose model holds the rule). A question of rungs alone, with no campaign,
  asks it of everyone in the people export: the Ladder page's flows are
  such questions (`rung_on` twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields

import duckdb
import pyarrow as pa

MAX_WITHIN_DAYS = 36_525  # 100 years: past any campaign, short of any date overflow
EVENTS = (
    "delivered",
    "opened",
    "clicked",
    "texted",
    "replied",
    "called",
    "signed",
    "submitted",
    "rsvped",
    "wrote",
    "acted",
)
CHANNELS = ("email", "sms")
# The engagement ladder's rungs, lowest first (dbt: macros/ladder.sql, whose
# marts.ladder_rungs a test holds this to; the SQL maps names to numbers).
RUNGS = ("unreachable", "listed", "opener", "clicker", "actor", "repeat_actor")
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


@dataclass(frozen=True)
class Field:
    """One part of a cohort question, as every surface names it."""

    name: str  # the Cohort attribute (and the page's key)
    flag: str  # the `rollcall cohort` flag
    key: str | None  # the segments.yml key under `cohort:` (None: not written there)
    kind: str  # text | campaigns | event | days | geo | choice | switch | rung_on
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str | None = None

    def label(self, surface: str) -> str:
        """How an error names this field: `--did-not` on the CLI, `did_not` in segments.yml."""
        return self.flag if surface == "cli" else (self.key or self.name)


FIELDS = (
    # one or several: a tuple of campaign ids (--campaign repeated; a list in segments.yml)
    # (required unless the question is of rungs alone)
    Field("campaign", "--campaign", "campaign", "campaigns"),
    Field("did", "--did", "did", "event", EVENTS),
    Field("did_not", "--did-not", "did_not", "event", EVENTS),
    Field("within_days", "--within", "within", "days"),
    Field("province", "--province", "province", "geo"),
    Field("state", "--state", "state", "geo"),
    Field("district", "--district", "district", "text"),
    Field("affiliate", "--affiliate", "affiliate", "text"),
    Field("language", "--language", "language", "choice", LANGUAGES),
    Field("reachable", "--reachable", None, "choice", CHANNELS),  # a segment's channel sets it
    Field("rung", "--rung", "rung", "choice", RUNGS),
    # one or several DAY:RUNG: on that rung on that kept day (month end or today)
    Field("rung_on", "--rung-on", "rung_on", "rung_on"),
    Field("include_machine_opens", "--include-machine-opens", "include_machine_opens", "switch"),
)
BY_NAME = {f.name: f for f in FIELDS}
BY_KEY = {f.key: f for f in FIELDS if f.key}

# The one English line per error code ({name}, {did}, … are field labels on the surface used).
MESSAGES = {
    "no_campaign": "a cohort needs a campaign (or only {rung} / {rung_on})",
    "no_did": "a cohort needs {did}",
    "not_an_event": "{name} must be one of {choices}, not {value!r}",
    "not_a_choice": "{name} must be {choices}, not {value!r}",
    "within_without_did_not": "{within} needs {did_not} (within N days of doing what?)",
    "bad_days": "{within} must be a whole number of days from 0 to 36525 (100 years), not {value!r}",
    "out_is_folder": "--out {out} is a folder: name a file in it (for example {example})",
    "out_no_folder": "--out {out}: there is no folder {folder}; create it first",
    "out_not_writable": "--out {out}: the folder {folder} is not writable",
    "same_event": "{did} and {did_not} name the same event: the cohort would be empty",
    "province_and_state": "{province} and {state} cannot both be given (one is Canadian, one US)",
    "bad_geo": "{name} takes a two-letter code such as ON or OH, not {value!r}",
    "unknown_key": "unknown key {value!r} (known: {choices})",
    "unknown_campaign": "unknown campaign {value!r}; known: {choices}",
    "bad_campaign": "{campaign} takes campaign ids, not {value!r}",
    "parquet_needs_out": "--format parquet needs --out FILE",
    "bad_rung_on": "{rung_on} takes DAY:RUNG such as 2026-09-30:clicker (RUNG: {choices}), not {value!r}",
    "unknown_ladder_day": "{rung_on}: the ladder is not kept on {value}; kept days: {choices}",
}


class CohortError(ValueError):
    """A cohort question that cannot be asked: a `code` with `params`, worded per surface.

    `str(error)` is the CLI's one English line; `text("yaml")` names segments.yml
    keys instead of flags; the page words `code` from its catalogues.
    """

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.text("cli"))

    def text(self, surface: str = "cli") -> str:
        labels = {f.name: f.label(surface) for f in FIELDS}
        labels["within"] = labels["within_days"]
        values = dict(self.params)
        if "field" in values:
            values["name"] = BY_NAME[values["field"]].label(surface)
        if isinstance(values.get("choices"), tuple | list):
            values["choices"] = (
                _either(values["choices"]) if self.code == "not_a_choice" else ", ".join(values["choices"])
            )
        return MESSAGES[self.code].format(**{**labels, **values})


def _rung_on(value) -> tuple[tuple[str, str], ...]:
    """`rung_on` as ((ISO day, rung), …): from "DAY:RUNG" strings (one or a list) or pairs."""
    if value is None or value == "" or value == ():
        return ()
    values = [value] if isinstance(value, str) else value
    pairs = []
    for one in values if isinstance(values, list | tuple) else [values]:
        if isinstance(one, str):
            day, _, rung = one.partition(":")
        elif isinstance(one, list | tuple) and len(one) == 2:
            day, rung = one
        else:
            raise CohortError("bad_rung_on", value=one, choices=RUNGS)
        try:
            day = dt.date.fromisoformat(str(day)).isoformat()
        except ValueError:
            raise CohortError("bad_rung_on", value=one, choices=RUNGS) from None
        if rung not in RUNGS:
            raise CohortError("bad_rung_on", value=one, choices=RUNGS)
        pairs.append((day, rung))
    return tuple(dict.fromkeys(pairs))


def _either(choices) -> str:
    choices = list(choices)
    return " or ".join(choices) if len(choices) <= 2 else ", ".join(choices[:-1]) + " or " + choices[-1]


def _campaigns(value) -> tuple[str, ...]:
    """A cohort's campaigns as a tuple of ids, in the order given, each once (one id or several)."""
    if value is None or value == "":
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v for v in values):
        raise CohortError("bad_campaign", value=value)
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class Cohort:
    campaign: tuple[str, ...] | str = ()
    did: str | None = None
    did_not: str | None = None
    within_days: int | None = None
    province: str | None = None
    state: str | None = None
    district: str | None = None
    affiliate: str | None = None
    language: str | None = None
    reachable: str | None = None
    rung: str | None = None
    rung_on: tuple[tuple[str, str], ...] | tuple[str, ...] | str = ()
    include_machine_opens: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "campaign", _campaigns(self.campaign))
        object.__setattr__(self, "rung_on", _rung_on(self.rung_on))
        rungs_only = self.rung is not None or bool(self.rung_on)
        if not self.campaign and (self.did or self.did_not or not rungs_only):
            raise CohortError("no_campaign")
        for name in ("did", "did_not"):
            value = getattr(self, name)
            if value is not None and value not in EVENTS:
                raise CohortError("not_an_event", field=name, value=value, choices=EVENTS)
        if self.did is None and self.campaign:
            raise CohortError("no_did")
        if self.within_days is not None:
            if self.did_not is None:
                raise CohortError("within_without_did_not")
            if (
                isinstance(self.within_days, bool)
                or not isinstance(self.within_days, int)
                or not 0 <= self.within_days <= MAX_WITHIN_DAYS
            ):
                raise CohortError("bad_days", value=self.within_days)
        if self.did_not is not None and self.did_not == self.did:
            raise CohortError("same_event")
        if self.province and self.state:
            raise CohortError("province_and_state")
        for name in ("province", "state"):
            value = getattr(self, name)
            if value is not None:
                if not (isinstance(value, str) and len(value) == 2 and value.isalpha()):
                    raise CohortError("bad_geo", field=name, value=value)
                object.__setattr__(self, name, value.upper())
        for name in ("language", "reachable", "rung"):
            value = getattr(self, name)
            if value is not None and value not in BY_NAME[name].choices:
                raise CohortError("not_a_choice", field=name, value=value, choices=BY_NAME[name].choices)

    def describe(self) -> dict:
        described = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) not in (None, False, ())
        }
        if self.campaign:
            # one campaign as a plain id, several as a list (as segments.yml writes them)
            described["campaign"] = self.campaign[0] if len(self.campaign) == 1 else list(self.campaign)
        if self.rung_on:
            described["rung_on"] = [f"{day}:{rung}" for day, rung in self.rung_on]
        return described

    # --- the one schema, read and written on each surface --------------------

    @classmethod
    def from_flags(cls, args, **fixed) -> Cohort:
        """From `rollcall cohort`'s parsed flags (`add_arguments`)."""
        values = {f.name: getattr(args, f.name, None) for f in FIELDS}
        values["include_machine_opens"] = bool(values["include_machine_opens"])
        return cls(**{**values, **fixed})

    @classmethod
    def from_mapping(cls, question: dict, **fixed) -> Cohort:
        """From segments.yml's `cohort:` mapping (its keys are FIELDS' `key`); `fixed` adds fields."""
        unknown = sorted(set(question) - set(BY_KEY))
        if unknown:
            raise CohortError("unknown_key", value=unknown[0], choices=sorted(BY_KEY))
        values = {BY_KEY[k].name: v for k, v in question.items()}
        campaign = values.get("campaign") or ""
        values["campaign"] = campaign if isinstance(campaign, list) else str(campaign)
        values["rung_on"] = values.get("rung_on") or ()
        values["include_machine_opens"] = bool(values.get("include_machine_opens", False))
        return cls(**{**values, **fixed})

    def to_mapping(self) -> dict:
        """The question as segments.yml writes it (what `from_mapping` reads back)."""
        mapping = {
            f.key: getattr(self, f.name)
            for f in FIELDS
            if f.key and getattr(self, f.name) not in (None, False, ())
        }
        if self.campaign:
            # one campaign as a plain id, several as a list
            mapping["campaign"] = self.campaign[0] if len(self.campaign) == 1 else list(self.campaign)
        if self.rung_on:
            mapping["rung_on"] = [f"{day}:{rung}" for day, rung in self.rung_on]
        return mapping

    def to_flags(self, scope_affiliate: str | None = None) -> list[str]:
        """The question as `rollcall cohort` flags (what `from_flags` reads back)."""
        args: list[str] = []
        for f in FIELDS:
            value = getattr(self, f.name)
            if f.name == "affiliate" and value is None:
                value = scope_affiliate
            if f.kind == "switch":
                args += [f.flag] if value else []
            elif f.kind == "campaigns":
                for campaign in value:
                    args += [f.flag, campaign]
            elif f.kind == "rung_on":
                for day, rung in value:
                    args += [f.flag, f"{day}:{rung}"]
            elif value is not None:
                args += [f.flag, str(value)]
        return args


def add_arguments(parser, exclude: tuple[str, ...] = ()) -> None:
    """The cohort question's flags on an argparse parser (dest = the Cohort field)."""
    for f in FIELDS:
        if f.name in exclude:
            continue
        if f.kind == "switch":
            parser.add_argument(f.flag, dest=f.name, action="store_true")
            continue
        kwargs: dict = {"dest": f.name, "required": f.required, "help": f.help}
        if f.kind == "campaigns":
            kwargs.update(action="append", metavar="ID")
        elif f.kind == "rung_on":
            kwargs.update(action="append", metavar="DAY:RUNG")
        elif f.kind == "event":
            kwargs.update(choices=f.choices, metavar="EVENT")
        elif f.kind == "choice":
            kwargs["choices"] = f.choices
        elif f.kind == "days":
            kwargs.update(type=_days, metavar="DAYS")
        parser.add_argument(f.flag, **kwargs)


def _days(value: str) -> int:
    import argparse

    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--within takes a whole number of days, not {value!r}") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"--within takes days ≥ 0, not {days}")
    return days


def _meaning(event: str, include_machine_opens: bool) -> str:
    """The funnel meaning an event asks for (marts.action_meanings' `meaning`)."""
    if event == "opened" and include_machine_opens:
        return "opened_any"
    return event


def _first_column(event: str, include_machine_opens: bool) -> str:
    return f"first_{_meaning(event, include_machine_opens)}_at"


def build_query(
    cohort: Cohort, keys: Mapping[str, int], scope_affiliate: str | None = None, ordered: bool = True
) -> tuple[str, dict]:
    """SQL and bound parameters for the members of a cohort: their rows (COLUMNS)
    ordered by person_id, or, not `ordered`, only their person_id (for counting).

    `keys` maps each of the cohort's campaigns to its integer key (`check` gives them):
    the facts are stored in key order, and a key written into the SQL lets DuckDB skip
    every other campaign's row groups by their zone maps (a string's keep 8 bytes; a
    key looked up by a subquery made the planner join in another order, 2× slower).

    `scope_affiliate` limits the answer to one affiliate's people (an
    affiliate-scoped user); it is applied whatever the cohort says.
    """
    if not cohort.campaign:
        return _build_rungs_only(cohort, scope_affiliate, ordered)
    did_col = _first_column(cohort.did, cohort.include_machine_opens)
    several = len(cohort.campaign) > 1
    params: dict = {}
    wanted = ", ".join(str(int(keys[c])) for c in cohort.campaign)

    def on_campaigns(column: str) -> str:
        return f"{column} in ({wanted})" if several else f"{column} = {wanted}"

    where: list[str] = []
    not_col = None
    if cohort.did_not is not None:
        # The funnel holds one row per person and campaign: the first B is on A's row
        # (over several campaigns, the earliest of the person's rows).
        not_col = _first_column(cohort.did_not, cohort.include_machine_opens)
        if cohort.within_days is None:
            where.append("a.not_at is null")
    # Every funnel person is a person (funnel rows come from matched people
    # only), so a bare count joins nothing.
    joins = _filter_joins(cohort, scope_affiliate, params, where, ordered)
    if several:
        # A person's rows on any of the campaigns: the first A, the first B (a B
        # may sit on a campaign they did no A on, so every row is read).
        firsts = f"""
            select person_key, min({did_col}) as did_at, min({not_col or "null"}) as not_at
            from marts.person_campaign_funnel
            where {on_campaigns("campaign_key")}
            group by person_key
            having min({did_col}) is not null"""
    else:
        firsts = f"""
            select person_key, {did_col} as did_at, {not_col or "null"} as not_at
            from marts.person_campaign_funnel
            where {on_campaigns("campaign_key")} and {did_col} is not null"""
    if cohort.did_not is not None and cohort.within_days is not None:
        params["within_days"] = cohort.within_days
        # The actions B is made of (marts.action_meanings): opened is a human open
        # (opened_any adds machine opens, their own action), acted any of five.
        params["did_not_meaning"] = _meaning(cohort.did_not, cohort.include_machine_opens)
        # No B at a time t with A <= t <= A + N days. The first B decides, unless
        # it came before A: then a later B may still fall inside, which only the
        # touchpoints tell. Those few people are looked up on their own (asked of
        # every row, DuckDB grouped all of them first: 19.6 ms against 14.1 ms).
        firsts = f"""
            with f as not materialized ({firsts})
            select person_key, did_at, not_at from f
            where f.not_at is null or f.not_at > f.did_at + $within_days * interval 1 day
            union all
            select person_key, did_at, not_at from f
            where f.not_at < f.did_at and not exists (
                select 1 from marts.campaign_touchpoints t
                where t.person_key = f.person_key and {on_campaigns("t.campaign_key")}
                  and t.action in (
                      select m.action from marts.action_meanings m
                      where m.meaning = $did_not_meaning)
                  and t.occurred_at >= f.did_at
                  and t.occurred_at <= f.did_at + $within_days * interval 1 day)"""
    return _assemble(firsts, joins, where, ordered), params


def _build_rungs_only(cohort: Cohort, scope_affiliate: str | None, ordered: bool) -> tuple[str, dict]:
    """A question of rungs alone: everyone in the people export, narrowed by rung and filters."""
    params: dict = {}
    where: list[str] = []
    joins = _filter_joins(cohort, scope_affiliate, params, where, ordered)
    return _assemble("select person_key from marts.people", joins, where, ordered), params


def _filter_joins(
    cohort: Cohort, scope_affiliate: str | None, params: dict, where: list[str], ordered: bool
) -> list[str]:
    """The joins a question needs past its people `a`, their conditions added to `where`:
    marts.reachability (r) for every filter on who people are or how they can be
    reached, marts.ladder for rungs, and marts.people (p) only for the rows written out."""
    joins = []
    filters = _person_filters(cohort, scope_affiliate, params)
    if cohort.reachable is not None:
        filters.append(f"r.reachable_{cohort.reachable}")
    if filters:
        joins.append("join marts.reachability r on r.person_key = a.person_key")
        where += filters
    joins += _ladder_joins(cohort, params, where)
    if ordered:
        joins.append("join marts.people p on p.person_key = a.person_key")
    return joins


def _assemble(firsts: str, joins: list[str], where: list[str], ordered: bool) -> str:
    selected = ", ".join(f"p.{c}" for c in COLUMNS) if ordered else "a.person_key"
    return f"""
        with a as ({firsts}
        )
        select {selected}
        from a
        {" ".join(joins)}
        {"where " + " and ".join(where) if where else ""}
        {"order by p.person_id" if ordered else ""}
    """


def _ladder_joins(cohort: Cohort, params: dict, where: list[str]) -> list[str]:
    """Joins to marts.ladder for `rung` (today) and each `rung_on` (a kept day); rung
    names become numbers through marts.ladder_rungs."""
    joins = []
    steps = ([("today", None, cohort.rung)] if cohort.rung is not None else []) + [
        (f"on{i}", day, rung) for i, (day, rung) in enumerate(cohort.rung_on)
    ]
    for name, day, rung in steps:
        params[f"rung_{name}"] = rung
        on_day = "is_today" if day is None else f"ladder_day = cast(${'day_' + name} as date)"
        if day is not None:
            params[f"day_{name}"] = day
        joins.append(
            f"join marts.ladder l_{name} on l_{name}.person_key = a.person_key and l_{name}.{on_day}"
        )
        where.append(f"l_{name}.rung = (select rung from marts.ladder_rungs where rung_name = $rung_{name})")
    return joins


def _person_filters(cohort: Cohort, scope_affiliate: str | None, params: dict) -> list[str]:
    """The filters on who people are (marts.reachability, alias r) a cohort asks for,
    their values bound in `params`."""
    filters: list[str] = []
    if cohort.province is not None:
        params["province"] = cohort.province
        filters.append("r.country = 'CA' and r.province_or_state = $province")
    if cohort.state is not None:
        params["state"] = cohort.state
        filters.append("r.country = 'US' and r.province_or_state = $state")
    if cohort.district is not None:
        params["district"] = cohort.district
        filters.append("(r.federal_district = $district or r.state_district = $district)")
    if cohort.affiliate is not None:
        params["affiliate"] = cohort.affiliate
        filters.append("r.affiliate = $affiliate")
    if scope_affiliate is not None:
        params["scope_affiliate"] = scope_affiliate
        filters.append("r.affiliate = $scope_affiliate")
    if cohort.language is not None:
        params["language"] = cohort.language
        filters.append("r.language = $language")
    return filters


def check_campaign(con: duckdb.DuckDBPyConnection, campaign: str | tuple[str, ...]) -> dict[str, int]:
    """Every campaign named (one id or several) is in marts.campaigns: their integer keys."""
    known = dict(con.sql("select campaign_id, campaign_key from marts.campaigns order by 1").fetchall())
    for one in _campaigns(campaign):
        if one not in known:
            raise CohortError("unknown_campaign", value=one, choices=list(known) or ["none"])
    return {one: known[one] for one in _campaigns(campaign)}


def check_ladder_days(con: duckdb.DuckDBPyConnection, cohort: Cohort) -> None:
    """Every `rung_on` day is a day the ladder is kept on (a month's end or today)."""
    if not cohort.rung_on:
        return
    kept = [
        d.isoformat()
        for (d,) in con.sql("select distinct ladder_day from marts.ladder_counts order by 1").fetchall()
    ]
    for day, _rung in cohort.rung_on:
        if day not in kept:
            raise CohortError("unknown_ladder_day", value=day, choices=kept or ["none"])


def check(con: duckdb.DuckDBPyConnection, cohort: Cohort) -> dict[str, int]:
    """The cohort's campaigns and kept days exist in this warehouse: the campaigns' integer keys
    (what build_query takes)."""
    keys = check_campaign(con, cohort.campaign)
    check_ladder_days(con, cohort)
    return keys


def count(con: duckdb.DuckDBPyConnection, cohort: Cohort, scope_affiliate: str | None = None) -> int:
    """How many people are in the cohort."""
    keys = check(con, cohort)
    sql, params = build_query(cohort, keys, scope_affiliate, ordered=False)
    return con.execute(f"select count(*) from ({sql})", params).fetchall()[0][0]


def members(con: duckdb.DuckDBPyConnection, cohort: Cohort, scope_affiliate: str | None = None) -> pa.Table:
    """The cohort's rows (COLUMNS), ordered by person_id."""
    keys = check(con, cohort)
    sql, params = build_query(cohort, keys, scope_affiliate)
    return con.sql(sql, params=params).to_arrow_table()
