"""Saved segments: a cohort question kept under a name, rebuilt with the marts, exported.

Plain functions over a DuckDB connection, with no Dagster in them; the segment
assets and `rollcall segments …` are thin wrappers.

- `segments.yml` (next to campaigns.yml at the landing root, or
  `ROLLCALL_SEGMENTS`) lists the segments; `load()` validates it and raises
  `SegmentError` with one line naming the file.
- A segment's members are its cohort (the cohort engine, `pipelines.lib.cohorts`)
  restricted to people reachable on the segment's channel now.
- Each member is assigned once, for good, to `treatment` or `control`:
  `sha256("<segment>:<person>") mod 100 < holdout` is control. The first
  assignment is stored (`segments.assignments`) and never recomputed, so a
  rebuild — even after the holdout percent changes — reshuffles nobody.
- `segments.membership` is the history, kept as a diff on every build: a row
  per stay in the segment, `valid_from` when the person entered, `valid_to`
  when they left (null while they are in it).
- Exports and pushes carry only current treatment members who are reachable
  on the channel *at export time*: never a control member, never an
  unreachable person, whatever the segment says.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from pipelines.lib import cohorts

DEFAULT_FILE = "segments.yml"
DESTINATIONS = ("csv", "parquet", "actionnetwork")
ARMS = ("treatment", "control")
DEFAULT_OUTCOME_DAYS = 7
DEFAULT_HOLDOUT = 10  # percent held out when a segment is saved from the builder or `segments add`

# channel → (marts.people column that identifies the person on it, reachability flag).
# Fixed names only: SQL below picks among these, never formats user input in.
CHANNEL_COLUMNS = {"email": ("email", "reachable_email"), "sms": ("phone", "reachable_sms")}

# The Action Network upload shape, per channel: the one identifier it matches
# on, the name, the ZIP / postal code and the tag. No subscription column: an
# upload must not opt anyone in or out.
EXPORT_COLUMNS = {
    "email": ("email", "first_name", "last_name", "zip_code", "tag"),
    "sms": ("phone", "first_name", "last_name", "zip_code", "tag"),
}

SEGMENT_KEYS = {
    "id",
    "name",
    "cohort",
    "channel",
    "holdout",
    "destinations",
    "tag",
    "outcome",
    "action_network",
}
# The Action Network destination (`action_network: {tag, mode, max_remove_pct}`):
# `mirror` adds the tag to who entered and removes it from who left or became
# unreachable; `add_only` only ever adds (the push before mirror mode). A
# segment that names no mode is mirrored: the tag then means "in the segment
# now", which is what a follow-up text to the tag assumes; the removal cap
# stops a first mirrored run (or a broken build) from stripping a list.
SYNC_MODES = ("mirror", "add_only")
DEFAULT_SYNC_MODE = "mirror"
DEFAULT_MAX_REMOVE_PCT = 20  # a run removing more than this share of the people tagged is refused
AN_KEYS = {"tag", "mode", "max_remove_pct"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

# The sync state of a segment's Action Network tag, per person: their latest
# push-ledger row (the ledger is the one thing written; this is read from it).
SYNC_STATE_SELECT = """
select segment_id, tag, person_id, identifier, an_person_id, tagging_id,
       case when status = 'pending' then 'pending'
            when status = 'failed' then 'failed'
            when coalesce(action, 'add_tag') = 'remove_tag' then 'removed'
            else 'added' end as last_action,
       coalesce(action, 'add_tag') as last_request, reason, pushed_at as last_action_at
from segments.push_log
qualify row_number() over (
    partition by segment_id, tag, person_id order by coalesce(seq, 0) desc, pushed_at desc
) = 1
"""

DDL = """
create schema if not exists segments;
create table if not exists segments.definitions (
    segment_id varchar, name_en varchar, name_fr varchar, channel varchar,
    holdout_percent integer, tag varchar, destinations varchar, cohort varchar,
    outcome_campaign_id varchar, outcome_event varchar, outcome_window_days integer,
    defined_at timestamp
);
create table if not exists segments.assignments (
    segment_id varchar, person_id varchar, arm varchar, bucket integer, assigned_at timestamp
);
create table if not exists segments.membership (
    segment_id varchar, person_id varchar, arm varchar,
    valid_from timestamp, valid_to timestamp
);
create table if not exists segments.builds (
    segment_id varchar, built_at timestamp, members bigint, treatment bigint,
    control bigint, entered bigint, exited bigint
);
create table if not exists segments.push_log (
    segment_id varchar, person_id varchar, tag varchar, identifier varchar,
    status varchar, reason varchar, pushed_at timestamp, action varchar, seq bigint
);
alter table segments.push_log add column if not exists action varchar;
alter table segments.push_log add column if not exists seq bigint;
alter table segments.push_log add column if not exists an_person_id varchar;
alter table segments.push_log add column if not exists tagging_id varchar;
alter table segments.definitions add column if not exists sync_mode varchar;
alter table segments.definitions add column if not exists max_remove_pct integer;
create table if not exists segments.sync_runs (
    segment_id varchar, tag varchar, mode varchar, started_at timestamp, finished_at timestamp,
    outcome varchar, added bigint, removed bigint, confirmed bigint, failed bigint,
    tagged_before bigint, reason varchar
);
-- What the segments' dbt models (models/segments) were last built from.
create table if not exists segments.measured (
    models_sha256 varchar, segments bigint, measured_at timestamp
);
create or replace view segments.sync_state as
{sync_state};
"""


DDL = DDL.replace("{sync_state}", SYNC_STATE_SELECT.strip())


class SegmentError(ValueError):
    """A segments.yml that cannot be used, or a segment that cannot be built; one line for a person.

    `code` and `params` (when set) let the dashboard word the error in EN/FR.
    """

    def __init__(self, message: str, code: str | None = None, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Segment:
    id: str
    name_en: str
    name_fr: str
    cohort: cohorts.Cohort  # the question, with `reachable` = channel
    channel: str
    holdout: int = 0
    destinations: tuple[str, ...] = ("csv", "parquet")
    tag: str = ""
    outcome_campaign: str = ""
    outcome_event: str = ""
    outcome_days: int = DEFAULT_OUTCOME_DAYS
    sync_mode: str = DEFAULT_SYNC_MODE  # the Action Network destination's mode
    max_remove_pct: int = DEFAULT_MAX_REMOVE_PCT

    def arm(self, person_id: str) -> str:
        """The arm a person is first assigned to (stored, then never recomputed)."""
        return "control" if bucket(self.id, person_id) < self.holdout else "treatment"

    def to_entry(self) -> dict:
        """The segment as segments.yml writes it (what `load` reads back)."""
        return {
            "id": self.id,
            "name": {"en": self.name_en, "fr": self.name_fr},
            "channel": self.channel,
            "holdout": self.holdout,
            "cohort": self.cohort.to_mapping(),
            "outcome": {
                "event": self.outcome_event,
                "campaign": self.outcome_campaign,
                "within": self.outcome_days,
            },
            "destinations": list(self.destinations),
            "action_network": {
                "tag": self.tag,
                "mode": self.sync_mode,
                "max_remove_pct": self.max_remove_pct,
            },
        }

    def definition_row(self, now: dt.datetime) -> dict:
        question = {k: v for k, v in self.cohort.describe().items() if k != "reachable"}
        return {
            "segment_id": self.id,
            "name_en": self.name_en,
            "name_fr": self.name_fr,
            "channel": self.channel,
            "holdout_percent": self.holdout,
            "tag": self.tag,
            "destinations": ",".join(self.destinations),
            "cohort": json.dumps(question, sort_keys=True),
            "outcome_campaign_id": self.outcome_campaign,
            "outcome_event": self.outcome_event,
            "outcome_window_days": self.outcome_days,
            "defined_at": now,
            "sync_mode": self.sync_mode,
            "max_remove_pct": self.max_remove_pct,
        }


def bucket(segment_id: str, person_id: str) -> int:
    """A stable number 0–99 for (segment, person): the same on every machine and every run."""
    digest = hashlib.sha256(f"{segment_id}:{person_id}".encode()).hexdigest()
    return int(digest, 16) % 100


# --- segments.yml -----------------------------------------------------------


def segments_path(landing: Path) -> Path:
    """Where segments.yml is read from: ROLLCALL_SEGMENTS, else the landing folder's root."""
    override = os.environ.get("ROLLCALL_SEGMENTS")
    return Path(override).resolve() if override else Path(landing) / DEFAULT_FILE


def exports_path(warehouse: Path) -> Path:
    """Where exports are written: ROLLCALL_EXPORTS, else `exports/` beside the warehouse."""
    override = os.environ.get("ROLLCALL_EXPORTS")
    return Path(override).resolve() if override else Path(warehouse).parent / "exports"


def load(path: Path) -> list[Segment]:
    """The segments of a segments.yml; [] when there is no file. SegmentError on any mistake."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise SegmentError(f"{path}: not valid YAML ({first})") from exc
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
        raise SegmentError(f"{path}: expected a list under `segments:`")
    parsed = [_parse_segment(entry, path) for entry in doc["segments"]]
    ids = [s.id for s in parsed]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise SegmentError(f"{path}: segment id listed twice: {', '.join(duplicated)}")
    return parsed


def _parse_segment(entry, path: Path) -> Segment:
    if not isinstance(entry, dict) or not entry.get("id"):
        raise SegmentError(f"{path}: every segment needs an `id`", "bad_id", id="")
    sid = str(entry["id"])

    def fail(why: str, code: str | None = None):
        raise SegmentError(f"{path}: segment {sid!r}: {why}", code, id=sid)

    if not ID_PATTERN.match(sid):
        fail("`id` must be lower-case letters, digits, - or _ (it names the export files)", "bad_id")
    unknown = sorted(set(entry) - SEGMENT_KEYS)
    if unknown:
        fail(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(SEGMENT_KEYS))})")
    name = entry.get("name") or {}
    if not isinstance(name, dict) or not name.get("en") or not name.get("fr"):
        fail("needs `name: {en: …, fr: …}`", "no_name")
    channel = entry.get("channel")
    if channel not in cohorts.CHANNELS:
        fail(f"`channel` must be email or sms, not {channel!r}")
    holdout = entry.get("holdout", 0)
    if isinstance(holdout, bool) or not isinstance(holdout, int) or not 0 <= holdout <= 50:
        fail(f"`holdout` must be a whole percent from 0 to 50, not {holdout!r}")
    destinations = entry.get("destinations", ["csv", "parquet"])
    if isinstance(destinations, str):
        destinations = [destinations]
    if not isinstance(destinations, list) or any(d not in DESTINATIONS for d in destinations):
        fail(f"`destinations` must be a list of {', '.join(DESTINATIONS)}, not {destinations!r}")
    an = entry.get("action_network") or {}
    if not isinstance(an, dict):
        fail("`action_network` must be {tag: …, mode: mirror|add_only, max_remove_pct: …}")
    unknown = sorted(set(an) - AN_KEYS)
    if unknown:
        fail(f"unknown key action_network.{unknown[0]} (known: {', '.join(sorted(AN_KEYS))})")
    if "tag" in entry and "tag" in an and entry["tag"] != an["tag"]:
        fail("`tag` and `action_network.tag` differ; give one")
    tag = an.get("tag", entry.get("tag", f"rollcall: {sid}"))
    if not isinstance(tag, str) or not tag.strip():
        fail("`tag` must be a non-empty text")
    mode = an.get("mode", DEFAULT_SYNC_MODE)
    if mode not in SYNC_MODES:
        fail(f"`action_network.mode` must be mirror or add_only, not {mode!r}")
    cap = an.get("max_remove_pct", DEFAULT_MAX_REMOVE_PCT)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= 100:
        fail(f"`action_network.max_remove_pct` must be a whole percent from 0 to 100, not {cap!r}")

    question = entry.get("cohort")
    if not isinstance(question, dict):
        fail("needs `cohort: {campaign: …, did: …}` (the cohort question)")
    try:
        # The one cohort schema (cohorts.FIELDS) reads segments.yml's keys; errors name those keys.
        cohort = cohorts.Cohort.from_mapping(question, reachable=channel)
    except cohorts.CohortError as exc:
        fail("cohort: " + exc.text("yaml"))

    outcome = entry.get("outcome") or {}
    if not isinstance(outcome, dict):
        fail("`outcome` must be {event: …, campaign: …, within: days}")
    event = outcome.get("event", cohort.did_not)
    if event is None:
        fail("needs `outcome: {event: …}` (what the follow-up should make people do)")
    if event not in cohorts.EVENTS:
        fail(f"`outcome.event` must be one of {', '.join(cohorts.EVENTS)}, not {event!r}")
    if not cohort.campaign and not outcome.get("campaign"):
        # a question of rungs alone (a ladder flow) names no campaign to measure on
        fail("a cohort of rungs alone needs `outcome: {event: …, campaign: …}`")
    days = outcome.get("within", DEFAULT_OUTCOME_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        fail(f"`outcome.within` must be a whole number of days ≥ 1, not {days!r}")
    return Segment(
        id=sid,
        name_en=str(name["en"]),
        name_fr=str(name["fr"]),
        cohort=cohort,
        channel=channel,
        holdout=holdout,
        destinations=tuple(dict.fromkeys(destinations)),
        tag=tag.strip(),
        # the cohort's (first) campaign unless the outcome names one
        outcome_campaign=str(outcome.get("campaign") or cohort.campaign[0]),
        outcome_event=event,
        outcome_days=days,
        sync_mode=mode,
        max_remove_pct=cap,
    )


def slug(text: str) -> str:
    """A segment id from a name: `Opened, not called (7 days)` → `opened-not-called-7-days`."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:63]


@contextmanager
def _locked(path: Path):
    """One writer of segments.yml at a time (the CLI's `segments add`, the builder page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def define(
    cohort: cohorts.Cohort,
    *,
    name_en: str,
    name_fr: str,
    channel: str,
    holdout: int = DEFAULT_HOLDOUT,
    outcome_event: str | None = None,
    outcome_campaign: str | None = None,
    outcome_days: int = DEFAULT_OUTCOME_DAYS,
    segment_id: str | None = None,
    push: bool = False,
) -> dict:
    """A segments.yml entry from the builder's or `rollcall segments add`'s answers (`save` checks it)."""
    sid = segment_id or slug(name_en or "")
    return {
        "id": sid,
        "name": {"en": (name_en or "").strip(), "fr": (name_fr or "").strip()},
        "channel": channel,
        "holdout": holdout,
        "cohort": cohort.to_mapping(),
        "outcome": {
            "event": outcome_event or cohort.did_not,
            "campaign": outcome_campaign or cohort.campaign[0],
            "within": outcome_days,
        },
        "destinations": ["csv", "parquet", *(["actionnetwork"] if push else [])],
        "action_network": {"tag": f"rollcall: {sid}", "mode": DEFAULT_SYNC_MODE},
    }


def save(path: Path, entry: dict) -> Segment:
    """Add one segment to segments.yml: the one writer, for `rollcall segments add` and the builder.

    The entry is checked exactly as `load` checks the file; an id already in the
    file is refused (SegmentError code `duplicate_id`), nothing is written then.
    The entry is appended as text (the file's comments stay), the result read
    back with `load` before it atomically replaces the file.
    """
    path = Path(path)
    segment = _parse_segment(entry, path)
    with _locked(path):
        existing = load(path)
        if any(s.id == segment.id for s in existing):
            raise SegmentError(
                f"{path}: a segment with id {segment.id!r} already exists; choose another name or id",
                "duplicate_id",
                id=segment.id,
            )
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        doc = yaml.safe_load(old) if old.strip() else None
        item = yaml.safe_dump([segment.to_entry()], sort_keys=False, allow_unicode=True, width=1000)
        if doc is None:
            text = (old + "\n" if old and not old.endswith("\n") else old) + "segments:\n" + item
        else:
            found = re.search(r"^segments:[ \t]*\n(?:\s*#.*\n|\s*\n)*([ \t]*)- ", old, re.MULTILINE)
            indent = found.group(1) if found else ""
            lines = "".join(indent + line if line.strip() else line for line in item.splitlines(True))
            text = (old if old.endswith("\n") else old + "\n") + lines
            expected = {**doc, "segments": [*doc["segments"], yaml.safe_load(item)[0]]}
            try:
                appended = yaml.safe_load(text)
            except yaml.YAMLError:
                appended = None
            if appended != expected:  # a layout text cannot be appended to: write the whole file
                text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=1000)

        def write(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")
            load(tmp)  # what readers will read: checked before it replaces the file

        write_atomically(path, write)
    return segment


# --- building membership ----------------------------------------------------


@dataclass
class BuildResult:
    segment_id: str
    members: int = 0
    treatment: int = 0
    control: int = 0
    entered: int = 0
    exited: int = 0

    def metadata(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "segment_id"}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


# The segments' dbt models (dbt_project/models/segments): over no saved segment
# they are empty tables whatever the marts hold.
MEASURED = ("segment_outcomes", "segment_lift", "segment_lift_by_affiliate")


def measured_current(con: duckdb.DuckDBPyConnection, models: str) -> bool:
    """No saved segment, and the segments' dbt tables are empty, as these models built them: nothing to do."""
    if con.sql("select count(*) from segments.definitions").fetchall()[0][0]:
        return False
    last = con.sql(
        "select models_sha256, segments from segments.measured order by measured_at desc limit 1"
    ).fetchall()
    if not last or last[0] != (models, 0):
        return False
    built = {
        name
        for (name,) in con.sql(
            "select table_name from information_schema.tables where table_schema = 'segments'"
        ).fetchall()
    }
    if not set(MEASURED) <= built:
        return False
    held = " union all ".join(f"select count(*) from segments.{name}" for name in MEASURED)
    return all(n == 0 for (n,) in con.sql(held).fetchall())


def record_measured(con: duckdb.DuckDBPyConnection, models: str) -> None:
    """The segments' dbt models were built, by these models, over the segments defined now."""
    con.execute(
        "insert into segments.measured select $models, count(*), $now from segments.definitions",
        {"models": models, "now": _now()},
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def build(
    con: duckdb.DuckDBPyConnection, segments: list[Segment], now: dt.datetime | None = None
) -> list[BuildResult]:
    """Rebuild every segment's membership from the marts, as a diff, in one transaction.

    Campaigns and kept days are checked first so a segment naming an unknown
    campaign, or a day the ladder is not kept on, fails the build with one line
    before anything changes.
    """
    now = now or _now()
    ensure_schema(con)
    known = {c for (c,) in con.sql("select campaign_id from marts.campaigns").fetchall()}
    for segment in segments:
        named = [("cohort", c) for c in segment.cohort.campaign] + [("outcome", segment.outcome_campaign)]
        for what, campaign in named:
            if campaign not in known:
                raise SegmentError(
                    f"segment {segment.id!r}: {what} names an unknown campaign {campaign!r}; "
                    f"known: {', '.join(sorted(known)) or 'none'}"
                )
        try:
            cohorts.check_ladder_days(con, segment.cohort)
        except cohorts.CohortError as exc:
            raise SegmentError(f"segment {segment.id!r}: cohort: {exc.text('yaml')}") from None
    results = []
    con.begin()
    try:
        con.execute("delete from segments.definitions")
        if segments:
            con.register("_defs", pa.Table.from_pylist([s.definition_row(now) for s in segments]))
            con.execute("insert into segments.definitions by name select * from _defs")
            con.unregister("_defs")
        # A segment taken out of segments.yml has no members from now on.
        con.execute(
            """
            update segments.membership set valid_to = $now
            where valid_to is null
              and segment_id not in (select segment_id from segments.definitions)
            """,
            {"now": now},
        )
        for segment in segments:
            results.append(_build_one(con, segment, now))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return results


def _build_one(con: duckdb.DuckDBPyConnection, segment: Segment, now: dt.datetime) -> BuildResult:
    current = cohorts.members(con, segment.cohort).select(["person_id"])
    con.register("_current", current)
    try:
        params = {"segment": segment.id, "now": now}
        unassigned = [
            p
            for (p,) in con.execute(
                """
                select c.person_id from _current c
                where not exists (select 1 from segments.assignments a
                                  where a.segment_id = $segment and a.person_id = c.person_id)
                """,
                {"segment": segment.id},
            ).fetchall()
        ]
        if unassigned:
            new = pa.table(
                {
                    "person_id": unassigned,
                    "arm": [segment.arm(p) for p in unassigned],
                    "bucket": [bucket(segment.id, p) for p in unassigned],
                }
            )
            con.register("_new", new)
            con.execute(
                "insert into segments.assignments select $segment, person_id, arm, bucket, $now from _new",
                params,
            )
            con.unregister("_new")
        exited = con.execute(
            """
            update segments.membership set valid_to = $now
            where segment_id = $segment and valid_to is null
              and person_id not in (select person_id from _current)
            """,
            params,
        ).fetchall()[0][0]
        entered = con.execute(
            """
            insert into segments.membership
            select $segment, c.person_id, a.arm, $now, null
            from _current c
            join segments.assignments a on a.segment_id = $segment and a.person_id = c.person_id
            where not exists (select 1 from segments.membership m
                              where m.segment_id = $segment and m.person_id = c.person_id
                                and m.valid_to is null)
            """,
            params,
        ).fetchall()[0][0]
        arms = dict(
            con.execute(
                """
                select arm, count(*) from segments.membership
                where segment_id = $segment and valid_to is null group by arm
                """,
                {"segment": segment.id},
            ).fetchall()
        )
    finally:
        con.unregister("_current")
    result = BuildResult(
        segment.id,
        members=sum(arms.values()),
        treatment=arms.get("treatment", 0),
        control=arms.get("control", 0),
        entered=entered,
        exited=exited,
    )
    con.execute(
        """
        insert into segments.builds
        values ($segment, $now, $members, $treatment, $control, $entered, $exited)
        """,
        {**params, **result.metadata()},
    )
    return result


# --- exports ----------------------------------------------------------------


def export_rows(con: duckdb.DuckDBPyConnection, segment: Segment) -> pa.Table:
    """Who goes out: current treatment members reachable on the channel now, with their identifier.

    Columns: person_id, then EXPORT_COLUMNS[channel]; ordered by person_id.
    """
    ident, reachable = CHANNEL_COLUMNS[segment.channel]
    return con.sql(
        f"""
        select m.person_id, p.{ident} as {ident}, p.first_name, p.last_name, p.zip_code, $tag as tag
        from segments.membership m
        join marts.people p on p.person_id = m.person_id
        join marts.reachability r on r.person_id = m.person_id
        where m.segment_id = $segment and m.valid_to is null and m.arm = 'treatment'
          and r.{reachable} and p.{ident} is not null
        order by m.person_id
        """,
        params={"segment": segment.id, "tag": segment.tag},
    ).to_arrow_table()


def upload(rows: pa.Table, segment: Segment) -> pa.Table:
    """`export_rows` in the Action Network upload shape (the CSV export, the app's download)."""
    return rows.select(list(EXPORT_COLUMNS[segment.channel]))


def not_sent(con: duckdb.DuckDBPyConnection, segment: Segment) -> dict[str, int]:
    """Current members left out of an export: held out (control) and no longer reachable."""
    ident, reachable = CHANNEL_COLUMNS[segment.channel]
    held_out, unreachable = con.execute(
        f"""
        select count(*) filter (where m.arm = 'control'),
               count(*) filter (where m.arm = 'treatment'
                                and not coalesce(r.{reachable} and p.{ident} is not null, false))
        from segments.membership m
        left join marts.people p on p.person_id = m.person_id
        left join marts.reachability r on r.person_id = m.person_id
        where m.segment_id = $segment and m.valid_to is null
        """,
        {"segment": segment.id},
    ).fetchall()[0]
    return {"held_out": held_out, "unreachable": unreachable}


def write_atomically(path: Path, write) -> None:
    """Write through a temp file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass
class ExportResult:
    segment_id: str
    rows: int
    files: list[Path] = field(default_factory=list)


def export(
    con: duckdb.DuckDBPyConnection, segment: Segment, out_dir: Path, formats: tuple[str, ...] | None = None
) -> ExportResult:
    """Write `<out_dir>/<segment>.csv` (Action Network upload shape) and/or `.parquet`, atomically."""
    if formats is None:
        formats = tuple(d for d in segment.destinations if d != "actionnetwork")
    rows = export_rows(con, segment)
    result = ExportResult(segment.id, rows.num_rows)
    if "csv" in formats:
        target = Path(out_dir) / f"{segment.id}.csv"
        write_atomically(target, lambda tmp: pacsv.write_csv(upload(rows, segment), tmp))
        result.files.append(target)
    if "parquet" in formats:
        target = Path(out_dir) / f"{segment.id}.parquet"
        table = rows.append_column("segment_id", pa.array([segment.id] * rows.num_rows, pa.string()))
        write_atomically(target, lambda tmp: pq.write_table(table, tmp))
        result.files.append(target)
    return result


def find(segments: list[Segment], segment_id: str | None) -> list[Segment]:
    """All segments, or the one named; SegmentError naming the known ids otherwise."""
    if segment_id is None:
        return segments
    chosen = [s for s in segments if s.id == segment_id]
    if not chosen:
        known = ", ".join(s.id for s in segments) or "none"
        raise SegmentError(f"unknown segment {segment_id!r}; known: {known}")
    return chosen
