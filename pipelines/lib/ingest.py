"""Land the vendors' exports in `raw.*`: parse, validate, normalise, quarantine, load once.

Plain functions over a DuckDB connection, with no Dagster in them; the ingest
assets are thin wrappers. Every load of a source is one transaction: either
all of its new files land (with their rejected rows) or nothing does.

- A file whose content was loaded before (same SHA-256, same source) is
  skipped, so re-landing or re-running changes nothing. A file's digest is
  remembered with its size and modification time (`raw.file_digests`) and
  worked out again only when either changes, as git and make tell changed
  files: a daily run does not read years of landed history to skip it.
- Raw tables keep every landed row; an event seen twice (same `sg_event_id`
  or Twilio `Sid`, in one file or across files) is counted once by the
  staging models.
- A row that cannot be read goes to `raw.rejected_rows` with its file, line
  and reason; the rest of the file still loads.
- A file that is not the format at all raises `IngestError` naming it.
- Any landed file may come gzip-compressed (`activists.csv.gz`,
  `bulk.ndjson.gz`): years of exports are kept that way, at an eighth of
  the disk. It is read as the file it holds.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import email.utils
import gc
import gzip
import hashlib
import io
import json
import os
import re
import struct
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.lib.campaigns import CampaignsError, parse_registry
from pipelines.lib.phones import NANP_SHAPE, e164_table, nanp_prefix_valid, zip_states
from pipelines.lib.warehouse import attach_raw

T = TypeVar("T")

SOURCES = ("people", "sendgrid", "twilio_messages", "twilio_calls", "actionnetwork_actions", "campaigns")

SENDGRID_EVENTS = (
    "processed",
    "dropped",
    "delivered",
    "deferred",
    "bounce",
    "open",
    "click",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
)

# Twilio's two header spellings (console export, REST API) → one set of names.
MESSAGE_COLUMNS = {
    "sid": ("Sid", "sid"),
    "from_number": ("From", "from"),
    "to_number": ("To", "to"),
    "body": ("Body", "body"),
    "status": ("Status", "status"),
    "direction": ("Direction", "direction"),
    "sent": ("SentDate", "date_sent"),
    "num_segments": ("NumSegments", "num_segments"),
    "error_code": ("ErrorCode", "error_code"),
}
CALL_COLUMNS = {
    "sid": ("Sid", "sid"),
    "parent_call_sid": ("ParentCallSid", "parent_call_sid"),
    "from_number": ("From", "from"),
    "to_number": ("To", "to"),
    "status": ("Status", "status"),
    "direction": ("Direction", "direction"),
    "started": ("StartTime", "start_time"),
    "ended": ("EndTime", "end_time"),
    "duration": ("Duration", "duration"),
}
PEOPLE_COLUMNS = (
    "uuid",
    "first_name",
    "last_name",
    "email",
    "can2_phone",
    "zip_code",
    "can2_user_city",
    "can2_state_abbreviated",
    "can2_country",
    "can2_subscription_status",
    "can2_sms_status",
    "affiliate",
    "language",
    "federal_district",
    "state_district",
)
PEOPLE_REQUIRED = ("uuid", "email")

# Twilio writes RFC 2822 dates; hand-made exports and the REST API carry ISO
# 8601 ones, with or without fractional seconds and an offset (none = UTC).
RFC2822_FORMATS = ["%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z"]
ISO_DATE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
ISO_OFFSET = r"\s*(Z|UTC|GMT|[+-]\d{2}(:?\d{2})?)"

# SMS keywords (TCPA, CASL). A reply is a keyword when its whole body, once
# normalised (`keyword_of`), is one of these; the latest keyword reply wins.
OPT_OUT_KEYWORDS = (
    "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT", "ARRET", "ARRÊT", "ARRETE",
)  # fmt: skip
OPT_IN_KEYWORDS = ("START", "UNSTOP", "YES")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

# An event time outside [EARLIEST_EVENT, load time + FUTURE_SLACK] is a
# rejected row, not an event: a millisecond epoch read as seconds (year
# 58388), a negative one, year 9999 (which would be every phone's latest
# keyword reply forever).
EARLIEST_EVENT = dt.datetime(2000, 1, 1)
FUTURE_SLACK = dt.timedelta(days=1)

RAW_DDL = """
create table if not exists raw.loaded_files (
    source varchar, file varchar, sha256 varchar,
    rows_loaded bigint, rows_rejected bigint, loaded_at timestamp
);
-- A cache, not a record: the SHA-256 of a landed path as of its size and mtime.
create table if not exists raw.file_digests (
    file varchar primary key, size bigint, mtime_ns bigint, sha256 varchar
);
create table if not exists raw.rejected_rows (
    source varchar, file varchar, line bigint, reason varchar,
    raw_value varchar, loaded_at timestamp
);
create table if not exists raw.people (
    person_id varchar, first_name varchar, last_name varchar,
    email varchar, email_norm varchar, phone varchar, phone_e164 varchar,
    zip_code varchar, postal_code varchar, zip_state varchar,
    city varchar, state_abbr varchar, country varchar,
    subscription_status varchar, sms_status varchar,
    affiliate varchar, language varchar,
    federal_district varchar, state_district varchar,
    _source_file varchar, _loaded_at timestamp
);
-- Each SendGrid event once (its first landed copy), narrow and typed: the
-- one copy every model reads. The rest of the payload stays in the landed files.
-- _id_hash: the top 63 bits of sg_event_id's MD5 (ID_HASH), which a load's dedupe compares
-- (an integer column scanned, not every id hashed again each load).
create table if not exists raw.sendgrid_events (
    sg_event_id varchar, event varchar, email_norm varchar, email_as_logged varchar,
    event_at timestamp, campaign_id varchar, machine_open boolean,
    bounce_type varchar, asm_group_id integer, _source_file varchar, _loaded_at timestamp,
    _id_hash bigint
);
-- A SendGrid load whose copies of events landed before are still to be
-- deleted: its second transaction (`_dedupe_sendgrid_loads`) removes the row.
create table if not exists raw.sendgrid_loads_to_dedupe (loaded_at timestamp);
create table if not exists raw.twilio_messages (
    sid varchar, direction varchar, status varchar,
    from_number varchar, to_number varchar, from_e164 varchar, to_e164 varchar,
    body varchar, sent_at timestamp, num_segments integer, error_code integer,
    _source_file varchar, _line bigint, _loaded_at timestamp,
    keyword varchar, keyword_action varchar
);
create table if not exists raw.twilio_calls (
    sid varchar, parent_call_sid varchar, direction varchar, status varchar,
    from_number varchar, to_number varchar, from_e164 varchar, to_e164 varchar,
    started_at timestamp, ended_at timestamp, duration_seconds integer,
    _source_file varchar, _line bigint, _loaded_at timestamp
);
create table if not exists raw.campaigns (
    campaign_id varchar, name_en varchar, name_fr varchar, ask varchar,
    starts date, email_campaign_id varchar, sms_from_e164 varchar,
    sms_sent_from timestamp, sms_sent_until timestamp,
    min_call_seconds integer, follow_up_of varchar
);
create table if not exists raw.nanp_prefixes (prefix varchar, valid boolean);
-- US ZIP code -> state, copied once from the offline zipcodes package.
create table if not exists raw.zip_states (zip varchar, state varchar);
create table if not exists raw.campaign_call_numbers (
    campaign_id varchar, number_e164 varchar
);
-- The Action Network pages each campaign lists (campaigns.yml `actions:`).
create table if not exists raw.campaign_actions (
    campaign_id varchar, page_kind varchar, page_id varchar
);
-- Each Action Network action once: the copy with the latest modified_date.
create table if not exists raw.actionnetwork_actions (
    action_id varchar, kind varchar, page_kind varchar, page_id varchar, person_id varchar,
    acted_at timestamp, modified_at timestamp, status varchar, outreach_type varchar,
    _source_file varchar, _line integer, _loaded_at timestamp
);
-- The targets of each kept outreach, replaced with it.
create table if not exists raw.actionnetwork_action_targets (
    action_id varchar, target_index integer, title varchar, given_name varchar,
    family_name varchar, ocdid varchar, _loaded_at timestamp
);
"""


class IngestError(Exception):
    """A landed file that is not the format at all; the message names the file."""


@dataclass
class LoadResult:
    source: str
    files_loaded: int = 0
    files_skipped: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0

    def metadata(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "source"}


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The raw tables, in the raw file attached beside the connection's database (lib/warehouse.py)."""
    attach_raw(con)
    _move_old_raw_schema(con)
    _narrow_old_sendgrid_events(con)
    con.execute(RAW_DDL)
    _add_keyword_columns(con)
    _add_sendgrid_id_hashes(con)
    _rehash_sendgrid_ids(con)


# The top 63 bits of the id's MD5. DuckDB's own hash() was used before: on the
# structured ids of the 1M sample (base64 of "sg0008.001.00064021") it gave
# 20.6M values for 27.4M ids, so a quarter of all events were dedupe
# candidates, windowed by id on every load (11 s of the full build's ingest).
ID_HASH = "cast(md5_number(sg_event_id) >> 65 as bigint)"


def _add_columns(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], fill) -> None:
    """A raw table from before `columns` (name: type) existed gets them, filled in by `fill()`, in one
    transaction: an older warehouse is brought up to the layout once, never half-way."""
    present = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = 'raw' and table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }
    if set(columns) <= present:
        return
    con.begin()
    try:
        for name, kind in columns.items():
            if name not in present:
                con.execute(f"alter table raw.{table} add column {name} {kind}")
        fill()
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _add_sendgrid_id_hashes(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before raw.sendgrid_events kept `_id_hash` gets the column, filled in."""
    _add_columns(
        con,
        "sendgrid_events",
        {"_id_hash": "bigint"},
        lambda: con.execute(f"update raw.sendgrid_events set _id_hash = {ID_HASH}").fetchall(),
    )


def _rehash_sendgrid_ids(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse whose `_id_hash` was written by an earlier hash (DuckDB's hash(), before
    ID_HASH) gets every row's hashed again, in one transaction: a load's dedupe compares its
    hashes with those held. Every row has the same hash function, so one row tells."""
    stale = con.execute(
        f"select count(*) from (select sg_event_id, _id_hash from raw.sendgrid_events limit 1) "
        f"where _id_hash is distinct from {ID_HASH}"
    ).fetchall()[0][0]
    if not stale:
        return
    con.begin()
    try:
        con.execute(f"update raw.sendgrid_events set _id_hash = {ID_HASH}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _add_keyword_columns(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before raw.twilio_messages classified keywords gets the columns, filled in."""

    def fill() -> None:
        _register_keywords(con, "raw.twilio_messages")
        con.execute(
            """
            update raw.twilio_messages m set keyword = k.keyword, keyword_action = k.keyword_action
            from _keywords k where k.body = m.body and lower(trim(m.direction)) = 'inbound'
            """
        ).fetchall()

    _add_columns(con, "twilio_messages", {"keyword": "varchar", "keyword_action": "varchar"}, fill)


def _fold(text: str) -> str:
    """NFKC, case-folded (and NFKC again: folding can undo a composition)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _unaccented(text: str) -> str:
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    )


_OPT_OUTS = {_unaccented(_fold(k)) for k in OPT_OUT_KEYWORDS}
_OPT_INS = {_fold(k) for k in OPT_IN_KEYWORDS}


def keyword_of(body: str | None) -> tuple[str, str] | None:
    """(keyword as normalised, upper case; 'opt_out' | 'opt_in') when a text's body is a keyword, else None.

    The one owner of the rule. The body is NFKC-normalised and case-folded
    (a full-width ＳＴＯＰ, an `ARRÊT` typed as E + combining accent, `Stop`
    all match), invisible format characters (zero-width space, joiner,
    byte-order mark) are dropped, and everything but letters and digits is
    stripped from both ends ("stop." and " Arrêt " are keywords; "stop
    texting me at work" is not). An opt-out also matches without its
    accents (`arrête`, `ARRÉT`): a missed opt-out breaks the law, a needless
    one does not. An opt-in must be exactly one of OPT_IN_KEYWORDS.
    """
    if body is None or len(body) > 200:
        return None
    text = "".join(ch for ch in _fold(body) if unicodedata.category(ch) != "Cf")
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] not in "LN":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] not in "LN":
        end -= 1
    text = text[start:end]
    if _unaccented(text) in _OPT_OUTS:
        return text.upper(), "opt_out"
    if text in _OPT_INS:
        return text.upper(), "opt_in"
    return None


def _register_keywords(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Temp table `_keywords(body, keyword, keyword_action)` over the inbound bodies of `table`."""
    bodies = [
        b
        for (b,) in con.sql(
            f"select distinct body from {table} "
            "where lower(trim(direction)) = 'inbound' and length(body) <= 200"
        ).fetchall()
    ]
    found = [(b, k) for b in bodies if (k := keyword_of(b)) is not None]
    con.register(
        "_keywords_arrow",
        pa.table(
            {
                "body": [b for b, _ in found],
                "keyword": [k for _, (k, _) in found],
                "keyword_action": [a for _, (_, a) in found],
            },
            schema=pa.schema([(c, pa.string()) for c in ("body", "keyword", "keyword_action")]),
        ),
    )
    con.execute("create or replace temp table _keywords as select * from _keywords_arrow")
    con.unregister("_keywords_arrow")


def _move_old_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before raw had a file of its own: its raw schema moves there, once."""
    here = con.execute("select current_database()").fetchone()[0]
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = 'raw'", [here]
        ).fetchall()
    ]
    if (
        not tables
        and not con.execute(
            "select count(*) from duckdb_schemas() where database_name = ? and schema_name = 'raw'", [here]
        ).fetchone()[0]
    ):
        return
    for table in tables:
        con.execute(f'create or replace table raw.main."{table}" as select * from "{here}".raw."{table}"')
    con.execute(f'drop schema "{here}".raw cascade')


def _narrow_old_sendgrid_events(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse built before events were kept once and narrow: keep the first landed copies."""
    old = con.execute(
        "select count(*) from information_schema.columns where table_catalog = 'raw' "
        "and table_schema = 'main' and table_name = 'sendgrid_events' and column_name = 'sg_message_id'"
    ).fetchone()[0]
    if not old:
        return
    con.execute(
        f"""
        create or replace table raw.sendgrid_events as
        select sg_event_id, event, email_norm, case when email_norm is null then email end as email_as_logged,
               event_at, campaign_id, machine_open, bounce_type, null::integer as asm_group_id,
               _source_file, _loaded_at, {ID_HASH} as _id_hash
        from raw.sendgrid_events
        qualify row_number() over (partition by sg_event_id order by _loaded_at, _source_file) = 1
        """
    )


def source_files(landing: Path, source: str) -> list[Path]:
    """The landed files of a source, in name order (later names win ties)."""
    if source == "campaigns":
        path = landing / "campaigns.yml"
        return [path] if path.exists() else []
    folder = landing / source
    if not folder.is_dir():
        return []
    if source == "actionnetwork_actions":  # page bodies anywhere beneath, NDJSON in kind folders
        return sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
        )
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


# The line shape (_LineShape) of each plain landed file this process hashed, by path, with the
# size and mtime it had: taken in the digest's own read, so a SendGrid load does not read its
# 7 GB of NDJSON a second time to count the lines (~4 s of a 1M build). `_line_shape` takes it.
_SHAPES: dict[str, tuple[int, int, _LineShape]] = {}


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        if str(path).endswith(".gz"):  # its lines are those of what it holds
            return hashlib.file_digest(handle, "sha256").hexdigest()
        digest, counter = hashlib.sha256(), _LineCounter()
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
            counter.add(chunk)
        stat = os.fstat(handle.fileno())
        _SHAPES[str(path)] = (stat.st_size, stat.st_mtime_ns, counter.shape())
        return digest.hexdigest()


def _each_file(read: Callable[[Path | str], T], paths: Sequence[Path | str]) -> list[T]:
    """read(path) for each path, on every core: hashing, gzip, file reads and DuckDB let go of the GIL."""
    if len(paths) < 2:
        return [read(path) for path in paths]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(read, paths))


def _digests(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[str]:
    """Each path's SHA-256: remembered while its size and mtime stay the same, else read.

    Remembered by the file's real path, so a file linked into another landing
    folder is not read again either.
    """
    real = [str(p.resolve()) for p in paths]
    known = {
        file: (size, mtime_ns, sha)
        for file, size, mtime_ns, sha in con.execute(
            "select file, size, mtime_ns, sha256 from raw.file_digests where list_contains($files, file)",
            {"files": real},
        ).fetchall()
    }
    stats = [path.stat() for path in paths]
    shas = [
        sha if (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns) else None
        for stat, (size, mtime_ns, sha) in zip(
            stats, (known.get(key, (None, None, None)) for key in real), strict=True
        )
    ]
    stale = [i for i, sha in enumerate(shas) if sha is None]
    for i, sha in zip(stale, _each_file(file_sha256, [paths[i] for i in stale]), strict=True):
        shas[i] = sha
    if stale:
        con.execute(
            "insert or replace into raw.file_digests "
            "select unnest($files), unnest($sizes), unnest($mtimes), unnest($digests)",
            {
                "files": [real[i] for i in stale],
                "sizes": [stats[i].st_size for i in stale],
                "mtimes": [stats[i].st_mtime_ns for i in stale],
                "digests": [shas[i] for i in stale],
            },
        )
    return shas


def load_source(con: duckdb.DuckDBPyConnection, landing: Path, source: str) -> LoadResult:
    """Load every new file of one source in one transaction."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    ensure_raw_schema(con)
    finish = _AFTER_COMMIT.get(source, lambda con: None)
    finish(con)  # a load a crash left half-done is finished before anything is read
    result = LoadResult(source)
    seen = {
        sha
        for (sha,) in con.execute("select sha256 from raw.loaded_files where source = ?", [source]).fetchall()
    }
    new: list[tuple[Path, str]] = []
    paths = source_files(landing, source)
    for path, sha in zip(paths, _digests(con, paths), strict=True):
        if sha in seen:
            result.files_skipped += 1
        else:
            seen.add(sha)
            new.append((path, sha))
    if not new:
        return result
    loader = _LOADERS[source]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    paths = [p for p, _ in new]
    con.begin()
    try:
        with _collector_paused():
            try:
                per_file = loader(con, paths, now, result)
            except _ReadCarefully:
                # A bulk read failed inside the transaction (which it aborts):
                # load again, each file checked before it is read.
                con.rollback()
                result = LoadResult(source, files_skipped=result.files_skipped)
                con.begin()
                per_file = loader(con, paths, now, result, careful=True)
        # One statement for every file (605 single-row inserts took 0.3–0.6 s).
        counts = [per_file.get(str(path), (0, 0)) for path, _ in new]
        con.execute(
            "insert into raw.loaded_files select $source, unnest($files), unnest($shas), "
            "unnest($loaded), unnest($rejected), $now",
            {
                "source": source,
                "files": [str(path) for path, _ in new],
                "shas": [sha for _, sha in new],
                "loaded": [loaded for loaded, _ in counts],
                "rejected": [rejected for _, rejected in counts],
                "now": now,
            },
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finish(con)
    result.files_loaded = len(new)
    return result


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector paused while a load builds its batches (memory is still freed
    by reference counting). A load makes hundreds of thousands of small objects on their way
    to Arrow, and each of the collector's passes walks them all: handing the 1M sample's 727k
    Action Network records to Arrow took 1.7–4.2 s with it running, 0.2 s paused."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


# --- reading files into a batch ---------------------------------------------


def _open_landed(path: Path | str) -> BinaryIO:
    """A landed file's bytes: a `.gz` file is read through gzip, as DuckDB's readers do."""
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def _read_landed(path: Path | str, read):
    """`read(handle)` on a landed file; a damaged gzip file is an `IngestError` naming it."""
    try:
        with _open_landed(path) as handle:
            return read(handle)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IngestError(f"{path}: not a readable gzip file ({exc})") from exc


def _cp1252_or_latin1(exc: UnicodeDecodeError) -> tuple[str, int]:
    """The five bytes cp1252 leaves undefined read as Latin-1 (their own code points)."""
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("rollcall_latin1", _cp1252_or_latin1)


def _count(chunk: bytes, byte: bytes) -> int:
    """How often one byte occurs in a chunk of a landed file. NumPy counts with the GIL let go,
    where bytes.count holds it: the threads that hash and count the landed files counted one at a
    time (the 1M sample's 9.5 GB, digests and lines: 8.7 s on two threads, SHA-256 alone 3.3 s)."""
    return int(np.count_nonzero(np.frombuffer(chunk, np.uint8) == ord(byte)))


def _utf8_valid(data) -> bool:
    """Whether bytes (or a memoryview of them) are UTF-8: Arrow's check, which makes no string
    (Python's decoder made one: 440 MB/s on the Twilio exports' accents and emoji, against
    Arrow's 17 GB/s)."""
    array = pa.Array.from_buffers(
        pa.string(), 1, [None, pa.py_buffer(struct.pack("<ii", 0, len(data))), pa.py_buffer(data)]
    )
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


class _Utf8Check:
    """Whether a file read chunk by chunk is UTF-8, a character cut between two chunks included.

    Each chunk of less than 2 GB is checked whole by `_utf8_valid`, less the first bytes that
    finish the character the last chunk began (checked with it) and the last character if
    it is not whole yet (carried into the next chunk).
    """

    def __init__(self) -> None:
        self.valid, self.carry = True, b""

    def add(self, chunk: bytes) -> None:
        if not self.valid or (not self.carry and chunk.isascii()):
            return
        view = memoryview(chunk)
        start = 0  # the continuation bytes that finish the carried character
        while start < min(3, len(chunk)) and (chunk[start] & 0xC0) == 0x80:
            start += 1
        if (self.carry or start) and not _utf8_valid(self.carry + bytes(view[:start])):
            self.valid = False
            return
        end, lead = len(chunk), len(chunk) - 1
        while lead > start and end - lead < 4 and (chunk[lead] & 0xC0) == 0x80:
            lead -= 1
        if lead >= start and chunk[lead] >= 0xC0:
            needs = 2 if chunk[lead] < 0xE0 else 3 if chunk[lead] < 0xF0 else 4
            if end - lead < needs:
                end = lead
        self.valid = _utf8_valid(view[start:end])
        self.carry = bytes(view[end:])

    def final(self) -> bool:
        """Whether the whole file was UTF-8 (no character left unfinished at its end)."""
        return self.valid and not self.carry


@dataclass(frozen=True)
class _TextShape:
    """What a landed text file is, read once in Python before DuckDB reads it.

    `encoding` is what Python decodes it with: `utf-8-sig` for UTF-8 (with or
    without a byte-order mark), `utf-16` for a UTF-16 byte-order mark, else
    `cp1252` (a Windows or Latin-1 export: every byte is a character, the five
    cp1252 leaves undefined read as Latin-1). `lines` counts physical lines
    (a last line without a newline counts); `plain` is false when a carriage
    return stands alone (then DuckDB's records and the lines may differ) or
    the double quotes do not pair up (a file cut inside a quoted field, which
    DuckDB's reader fails on whole).
    """

    encoding: str
    lines: int
    plain: bool

    @property
    def utf8(self) -> bool:
        return self.encoding == "utf-8-sig"


def _text_shape(path: Path | str) -> _TextShape:
    def scan(handle) -> _TextShape:
        utf8, first = _Utf8Check(), True
        newlines = crs = crlfs = quotes = 0
        last = b"\n"
        while chunk := handle.read(1 << 22):
            if first and chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
                return _TextShape("utf-16", 0, False)
            utf8.add(chunk)
            newlines += _count(chunk, b"\n")
            quotes += _count(chunk, b'"')
            chunk_crs = _count(chunk, b"\r") if b"\r" in chunk else 0
            crs += chunk_crs
            crlfs += (chunk.count(b"\r\n") if chunk_crs else 0) + (last == b"\r" and chunk[:1] == b"\n")
            first, last = False, chunk[-1:]
        plain = crs == crlfs and quotes % 2 == 0
        return _TextShape("utf-8-sig" if utf8.final() else "cp1252", newlines + (last != b"\n"), plain)

    return _read_landed(path, scan)


def _text(handle: BinaryIO, shape: _TextShape) -> io.TextIOWrapper:
    """A landed file as text, decoded as its shape says, line ends as written (csv's `newline=''`)."""
    return io.TextIOWrapper(handle, encoding=shape.encoding, errors="rollcall_latin1", newline="")


def _csv_header(path: Path, shape: _TextShape) -> tuple[str, ...]:
    """The header row of a CSV export (comma-separated, double quotes)."""

    def first_row(handle):
        try:
            return next(csv.reader(_text(handle, shape)), None)
        except (csv.Error, UnicodeError) as exc:
            raise IngestError(f"{path}: not a readable CSV ({exc})") from exc

    header = _read_landed(path, first_row)
    if not header:
        raise IngestError(f"{path}: empty file, expected a CSV export with a header")
    return tuple(h.strip() for h in header)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200]


def _read_csv_batch(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    source: str,
    spellings: dict[str, tuple[str, ...]],
    required: tuple[str, ...],
    what: str,
    now: dt.datetime,
) -> None:
    """Read CSV files into temp table `_batch` (file, line, canonical columns, all text).

    A row's line is the physical line it starts on, as an editor shows it.
    UTF-8 files with the same header are read together, in one scan by
    DuckDB, where each row is one line. A file where that does not hold (a
    quoted newline, a blank line, a row DuckDB could not read) and a file
    that is not UTF-8 are read again by Python's csv module, which knows
    where each row starts: a row with the wrong number of fields is one
    rejected row at its first line, and a non-UTF-8 file is decoded as
    cp1252/Latin-1 (see `_TextShape`).
    """
    con.execute("drop table if exists _batch")
    names = list(spellings)
    con.execute(
        "create temp table _batch (file varchar, line bigint, "
        + ", ".join(f'"{n}" varchar' for n in names)
        + ")"
    )
    shapes = dict(zip(map(str, files), _each_file(_text_shape, files), strict=True))
    by_header: dict[tuple[str, ...], list[str]] = {}
    irregular: list[tuple[str, dict[str, str]]] = []
    for path in files:
        shape = shapes[str(path)]
        header = _csv_header(path, shape)
        chosen = _match_header(header, spellings, required, path, what)
        if shape.utf8 and shape.plain:
            by_header.setdefault(header, []).append(str(path))
        else:
            irregular.append((str(path), chosen))
    for header, paths in by_header.items():
        chosen = _match_header(header, spellings, required, paths[0], what)
        select = ", ".join(f'"{chosen[n]}" as "{n}"' if n in chosen else f'null as "{n}"' for n in names)
        # Insertion order is kept, so rows come file by file, line by line:
        # a row's number within its file is its number less its file's first.
        # The rows are not sorted again by it: everything after reads them by
        # file and line (at 5M people, sorting 15.6M messages cost 18 s of 46).
        con.execute(
            f"""
            insert into _batch
            with numbered as (
                select row_number() over () as n, filename as file, {select}
                from read_csv($paths, all_varchar = true, header = true, delim = ',', quote = '"',
                              escape = '"', filename = true, ignore_errors = true, sample_size = 1000)
            ),
            firsts as (select file, min(n) as first_n from numbered group by file)
            select numbered.file, n - first_n + 2, {", ".join(f'"{n}"' for n in names)}
            from numbered join firsts using (file)
            """,
            {"paths": paths},
        )
        # Each row one line, every line a row: the numbers above are the lines.
        rows = dict(con.execute("select file, count(*) from _batch group by file").fetchall())
        for path in paths:
            if rows.get(path, 0) + 1 != shapes[path].lines:
                irregular.append((path, chosen))
    for path, chosen in irregular:
        con.execute("delete from _batch where file = ?", [path])
        _read_csv_by_python(con, path, shapes[path], source, names, chosen, now)


def _read_csv_by_python(
    con: duckdb.DuckDBPyConnection,
    path: str,
    shape: _TextShape,
    source: str,
    names: list[str],
    chosen: dict[str, str],
    now: dt.datetime,
) -> None:
    """One CSV file into `_batch` row by row, each row at the line it starts on; bad rows rejected."""
    schema = pa.schema([("file", pa.string()), ("line", pa.int64())] + [(n, pa.string()) for n in names])
    rejects: list[tuple] = []

    def flush(rows: list[list]) -> None:
        if rows:
            table = pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(zip(*rows, strict=True), schema, strict=True)],
                schema=schema,
            )
            con.register("_csv_arrow", table)
            con.execute("insert into _batch select * from _csv_arrow")
            con.unregister("_csv_arrow")
            rows.clear()

    def read(handle) -> None:
        reader = csv.reader(_text(handle, shape))
        header = [h.strip() for h in next(reader)]
        width = len(header)
        where = [header.index(chosen[n]) if n in chosen else None for n in names]
        rows: list[list] = []
        end = reader.line_num
        while True:
            start = end + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                end = reader.line_num
                rejects.append((start, f"malformed CSV row: {exc}", None))
                continue
            end = reader.line_num
            if not record:
                continue  # a blank line
            if len(record) != width:
                why = f"malformed CSV row: expected {width} fields, found {len(record)}"
                rejects.append((start, why, _csv_text(record)))
                continue
            rows.append([path, start] + [None if i is None else (record[i] or None) for i in where])
            if len(rows) >= 65536:
                flush(rows)
        flush(rows)

    _read_landed(path, read)
    if rejects:
        con.executemany(
            "insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?)",
            [(source, path, line, reason, raw, now) for line, reason, raw in rejects],
        )


def _csv_text(record: list[str]) -> str:
    """A parsed CSV record written back as one CSV line (for a rejected row's raw_value)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(record)  # a field with a newline is quoted
    return out.getvalue().removesuffix("\r\n")[:2000]


def _match_header(header, spellings, required, path, what) -> dict[str, str]:
    """Which column of this file holds each canonical field (either spelling)."""
    present = set(header)
    chosen: dict[str, str] = {}
    for name, options in spellings.items():
        for option in options:
            if option in present:
                chosen[name] = option
                break
    missing = [spellings[n][0] for n in required if n not in chosen]
    if missing:
        raise IngestError(f"{path}: not {what} (missing columns: {', '.join(missing)})")
    return chosen


def _register_phones(con: duckdb.DuckDBPyConnection, *columns: str) -> None:
    """Temp table `_phones(raw, e164)` over the distinct values of `_batch` columns.

    North American numbers in the usual shapes are validated once per
    distinct exchange (phones.nanp_prefix); the rest, once per distinct
    value, by phonenumbers' full parser.
    """
    union = " union ".join(f'select "{c}" as v from _batch' for c in columns)
    con.execute(
        f"""
        create or replace temp table _phone_shapes as
        with d as (
            select v, regexp_replace(v, '[^0-9]', '', 'g') as digits,
                   regexp_matches(v, '{NANP_SHAPE}') as simple
            from (select distinct v from ({union}) where v is not null)
        )
        select v,
               case when simple and length(digits) = 10 and not contains(v, '+') then digits
                    when simple and length(digits) = 11 and digits[1] = '1' then digits[2:] end as national
        from d
        """
    )
    prefix = "case when national[:3] = '246' then national[:7] else national[:6] end"
    # Exchanges checked once are remembered in the warehouse, across sources and loads.
    new = [
        p
        for (p,) in con.sql(
            f"select distinct {prefix} as p from _phone_shapes where national is not null "
            "and p not in (select prefix from raw.nanp_prefixes)"
        ).fetchall()
    ]
    if new:
        con.register("_prefix_arrow", pa.table({"prefix": new, "valid": [nanp_prefix_valid(p) for p in new]}))
        con.execute("insert into raw.nanp_prefixes select * from _prefix_arrow")
        con.unregister("_prefix_arrow")
    others = [v for (v,) in con.sql("select v from _phone_shapes where national is null").fetchall()]
    con.register("_other_arrow", pa.table(e164_table(others)))
    con.execute(
        f"""
        create or replace temp table _phones as
        select s.v as raw, case when x.valid then '+1' || s.national end as e164
        from _phone_shapes s
        join raw.nanp_prefixes x on x.prefix = {prefix.replace("national", "s.national")}
        where s.national is not null
        union all
        select raw, e164 from _other_arrow
        """
    )
    con.unregister("_other_arrow")


def _reject(con: duckdb.DuckDBPyConnection, source: str, now: dt.datetime, table: str) -> None:
    con.execute(
        f"""
        insert into raw.rejected_rows
        select ?, file, line, reason, raw_value, ? from {table} where reason is not null
        """,
        [source, now],
    )


def _append(
    con: duckdb.DuckDBPyConnection, table: str, select_sql: str, result: LoadResult, good: str = "_good"
) -> None:
    """Append the good rows (the relation `good`); raw keeps every landed row (dbt counts an event
    once: its first landed copy)."""
    inserted = con.execute(f"insert into raw.{table} select {select_sql} from {good} g").fetchall()
    result.rows_loaded += inserted[0][0]


def _per_file(
    con: duckdb.DuckDBPyConnection, source: str, files: list[Path], now, good: str = "_good"
) -> dict:
    rows = con.execute(
        f"""
        select f.file,
               coalesce((select count(*) from {good} g where g.file = f.file), 0),
               (select count(*) from raw.rejected_rows r
                 where r.source = ? and r.file = f.file and r.loaded_at = ?)
        from (select unnest(?::varchar[]) as file) f
        """,
        [source, now, [str(p) for p in files]],
    ).fetchall()
    return {file: (loaded, rejected) for file, loaded, rejected in rows}


def _window_sql(parsed: str, now: dt.datetime) -> str:
    """`parsed` if within the sane window of event times (EARLIEST_EVENT … now + FUTURE_SLACK), else null."""
    earliest, latest = EARLIEST_EVENT.isoformat(sep=" "), (now + FUTURE_SLACK).isoformat(sep=" ")
    return f"(case when {parsed} between '{earliest}' and '{latest}' then {parsed} end)"


def _date_reasons(column: str, parsed: str, kept: str) -> str:
    """CASE branches for a landed date `column`, read as `parsed`, kept (in the window) as `kept`."""
    return f"""
        when {parsed} is null then 'unparsable date "' || coalesce({column}, '') || '"'
        when {kept} is null then 'date out of range "' || {column} || '"'
    """


def _date_sql(column: str) -> str:
    """A date as landed → naive UTC timestamp, null if unreadable; the session's time zone plays no part.

    ISO 8601 with an offset or Z (`2026-06-02T14:03:11.000Z`,
    `2026-06-02T10:03:11-04:00`), ISO without one (`2026-06-02 14:03:11`,
    taken as UTC), RFC 2822 (`Tue, 02 Jun 2026 14:03:11 +0000`, or GMT).
    """
    value = f"trim({column})"
    rfc = "[" + ", ".join(f"'{f}'" for f in RFC2822_FORMATS) + "]"
    return f"""(case
        when regexp_full_match({value}, '{ISO_DATE}{ISO_OFFSET}')
            then timezone('UTC', try_cast({value} as timestamptz))
        when regexp_full_match({value}, '{ISO_DATE}') then try_cast({value} as timestamp)
        else timezone('UTC', try_strptime(
            regexp_replace({value}, '\\s+(GMT|UTC|UT|Z)$', ' +0000'), {rfc})::timestamptz)
    end)"""


# --- people -----------------------------------------------------------------


def _load_people(con, files, now, result) -> dict:
    spellings = {c: (c,) for c in PEOPLE_COLUMNS}
    _read_csv_batch(
        con, files, "people", spellings, PEOPLE_REQUIRED, "an Action Network activist export", now
    )
    _people_from_batch(con, "people", now, result)
    return _per_file(con, "people", files, now, good="_people_good")


def load_people_records(
    con: duckdb.DuckDBPyConnection, records: list[dict], source: str, label: str
) -> LoadResult:
    """Load people given as dicts keyed by the export's columns (PEOPLE_COLUMNS), in one transaction.

    The Action Network API pull lands here: the same validation, normalisation
    and replace-by-uuid as the CSV export, so both give the same `raw.people`.
    `label` stands in for the file name (`_source_file`, rejected rows).
    """
    ensure_raw_schema(con)
    result = LoadResult(source)
    if not records:
        return result
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch = pa.table(
        {
            "file": [label] * len(records),
            "line": list(range(1, len(records) + 1)),
            **{c: [_text_or_none(r.get(c)) for r in records] for c in PEOPLE_COLUMNS},
        },
        schema=pa.schema(
            [("file", pa.string()), ("line", pa.int64())] + [(c, pa.string()) for c in PEOPLE_COLUMNS]
        ),
    )
    con.begin()
    try:
        con.execute("drop table if exists _batch")
        con.register("_batch_arrow", batch)
        con.execute("create temp table _batch as select * from _batch_arrow")
        con.unregister("_batch_arrow")
        _people_from_batch(con, source, now, result)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    result.files_loaded = 1
    return result


def _text_or_none(value) -> str | None:
    return None if value is None else str(value)


def _people_from_batch(con, source: str, now, result) -> None:
    """Validate and normalise `_batch` (export columns, all text) into `raw.people`, replacing by uuid."""
    _register_phones(con, "can2_phone")
    if not con.sql("select count(*) from raw.zip_states").fetchall()[0][0]:
        con.register("_zip_arrow", pa.table(zip_states()))
        con.execute("insert into raw.zip_states select * from _zip_arrow")
        con.unregister("_zip_arrow")
    # One pass types and checks every row (a copy of the export's 1M rows costs
    # ~2 s, so there is one: `_checked`).
    con.execute(
        f"""
        create or replace temp table _checked as
        with b as (
            select *,
                   nullif(trim(uuid), '') as person_id,
                   lower(trim(email)) as email_clean,
                   upper(replace(trim(coalesce(zip_code, '')), ' ', '')) as zip_clean
            from _batch
        )
        select b.*,
               case when regexp_matches(email_clean, '{EMAIL_PATTERN}') then email_clean end as email_norm,
               p.e164 as phone_e164,
               case
                   when regexp_matches(zip_clean, '^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$')
                       then left(zip_clean, 3) || ' ' || right(zip_clean, 3)
                   when regexp_matches(zip_clean, '^[0-9]{{5}}(-?[0-9]{{4}})?$') then left(zip_clean, 5)
                   when regexp_matches(zip_clean, '^[0-9]{{4}}$') then '0' || zip_clean
               end as postal_code,
               case when b.person_id is null then 'missing uuid' end as reason,
               case when b.person_id is null then to_json(struct_pack(uuid, email, can2_phone))::varchar
               end as raw_value
        from b left join _phones p on p.raw = b.can2_phone
        """
    )
    _reject(con, source, now, "_checked")
    # A person is never dropped for one bad value: the value is left empty
    # and reported.
    con.execute(
        """
        insert into raw.rejected_rows
        select $source, file, line, 'invalid email (left empty on the person)', email, $now
        from _checked
        where reason is null and nullif(trim(email), '') is not null and email_norm is null
        union all
        select $source, file, line, 'invalid phone (left empty on the person)', can2_phone, $now
        from _checked
        where reason is null and nullif(trim(can2_phone), '') is not null and phone_e164 is null
        """,
        {"source": source, "now": now},
    )
    # A uuid twice in one export: the later row wins, and the earlier one is
    # reported. (A later export replacing a person is the normal case, not a
    # duplicate.) Across exports the latest file wins. Only the rows of a
    # repeated uuid are ordered (a window over all 1M rows and their columns
    # took 3 s; finding the repeated uuids by grouping, a fraction of it).
    con.execute(
        """
        create or replace temp table _repeated as
        select file, line, to_json(struct_pack(uuid, email, can2_phone))::varchar as raw,
               max(line) over (partition by file, person_id) as later,
               row_number() over (partition by person_id order by file desc, line desc) as copy_number
        from _checked
        where reason is null and person_id in (
            select person_id from _checked where reason is null group by person_id having count(*) > 1
        )
        """
    )
    con.execute(
        """
        insert into raw.rejected_rows
        select $source, file, line, 'duplicate uuid, superseded by line ' || later, raw, $now
        from _repeated where line < later
        """,
        {"source": source, "now": now},
    )
    con.execute(
        """
        create or replace temp view _people_good as
        select * from _checked c
        where reason is null
          and not exists (
              select 1 from _repeated r where r.file = c.file and r.line = c.line and r.copy_number > 1
          )
        """
    )
    incoming = """
        select g.person_id,
               nullif(trim(first_name), '') as first_name, nullif(trim(last_name), '') as last_name,
               email, email_norm, can2_phone as phone, phone_e164, zip_code, postal_code,
               case when postal_code similar to '[0-9]{5}' then z.state end as zip_state,
               nullif(trim(can2_user_city), '') as city,
               nullif(upper(trim(can2_state_abbreviated)), '') as state_abbr,
               nullif(upper(trim(can2_country)), '') as country,
               nullif(lower(trim(can2_subscription_status)), '') as subscription_status,
               nullif(lower(trim(can2_sms_status)), '') as sms_status,
               nullif(trim(affiliate), '') as affiliate, nullif(lower(trim(language)), '') as language,
               nullif(trim(federal_district), '') as federal_district,
               nullif(trim(state_district), '') as state_district,
               g.file as _source_file, $now::timestamp as _loaded_at
        from _people_good g left join raw.zip_states z on z.zip = g.postal_code
    """
    # Action Network exports the whole list every time: only the people whose
    # row changed are replaced, so `_loaded_at` says when a person last
    # changed, and a daily build re-matches the events of those people only.
    # The first load has nothing to compare with (3.7 s at 1M people saved),
    # and its rows go straight in, with no copy on the way.
    if not con.sql("select exists (select 1 from raw.people)").fetchall()[0][0]:
        con.execute(f"insert into raw.people {incoming}", {"now": now})
    else:
        con.execute(f"create or replace temp table _incoming as {incoming}", {"now": now})
        con.execute(
            """
            create or replace temp table _changed as
            select * exclude (_source_file, _loaded_at) from _incoming
            except
            select * exclude (_source_file, _loaded_at) from raw.people
            """
        )
        con.execute("delete from raw.people where person_id in (select person_id from _changed)")
        con.execute(
            "insert into raw.people "
            "select * from _incoming where person_id in (select person_id from _changed)"
        )
    good = con.sql(
        "select (select count(*) from _checked where reason is null)"
        " - (select count(*) from _repeated where copy_number > 1)"
    ).fetchall()[0][0]
    result.rows_loaded += good
    result.rows_rejected += con.execute(
        "select count(*) from raw.rejected_rows where source = ? and loaded_at = ?", [source, now]
    ).fetchall()[0][0]


# --- SendGrid ---------------------------------------------------------------


# The fields the warehouse reads; SendGrid's other fields (sg_message_id,
# category, url, reason, smtp-id, ip, useragent, tls, pool, …) stay in the
# landed files, which are kept.
SENDGRID_FIELDS = {
    "sg_event_id": "VARCHAR",
    "event": "VARCHAR",
    "email": "VARCHAR",
    "timestamp": "VARCHAR",
    "campaign_id": "VARCHAR",
    "sg_machine_open": "VARCHAR",
    "type": "VARCHAR",
    "asm_group_id": "VARCHAR",
}


def _sendgrid_checked(source: str) -> str:
    """Typed SendGrid rows from a parsed source, with `why` set on the ones to reject.

    A timestamp is epoch seconds within EARLIEST_EVENT … $now + FUTURE_SLACK:
    NaN, inf, a negative one, milliseconds (year 58388) and year 10000 are
    rejected rows, never a failed load.
    """
    events = ", ".join(f"'{e}'" for e in SENDGRID_EVENTS)
    earliest = EARLIEST_EVENT.replace(tzinfo=dt.UTC).timestamp()
    slack = FUTURE_SLACK.total_seconds()
    return f"""
        select *,
               case
                   when early_reason is not null then early_reason
                   when nullif(sg_event_id, '') is null then 'missing sg_event_id'
                   when event is null or event not in ({events})
                       then 'unknown event "' || coalesce(event, '') || '"'
                   when try_cast("timestamp" as double) is null
                       then 'unparsable timestamp "' || coalesce("timestamp", '') || '"'
                   when not (try_cast("timestamp" as double)
                             between {earliest} and epoch($now::timestamp) + {slack})
                       then 'timestamp out of range "' || "timestamp" || '"'
                   when nullif(trim(email), '') is null then 'missing email'
               end as why
        from ({source})
    """


def _sendgrid_rows(checked: str) -> str:
    """The rows of raw.sendgrid_events from the good rows of a checked source (SQL)."""
    return f"""
        select sg_event_id, event, email_norm, case when email_norm is null then email end,
               timezone('UTC', to_timestamp(cast("timestamp" as double))),
               campaign_id, coalesce(try_cast(sg_machine_open as boolean), false),
               case when event = 'bounce' then coalesce(type, 'bounce') end,
               -- the unsubscribe group; one that is not a whole number is kept as
               -- null, never rejected: a group_unsubscribe then stays in force
               case when regexp_full_match(trim(asm_group_id), '[0-9]+')
                    then try_cast(trim(asm_group_id) as integer) end,
               filename, $now, {ID_HASH}
        from (
            select *,
                   case when regexp_matches(lower(trim(email)), '{EMAIL_PATTERN}') then lower(trim(email))
                   end as email_norm
            from ({checked}) where why is null
        )
    """


def _sendgrid_insert(con, checked: str, params: dict) -> None:
    """Insert the good rows of a checked source into raw.sendgrid_events."""
    con.execute(f"insert into raw.sendgrid_events {_sendgrid_rows(checked)}", params)


def _dedupe_sendgrid_loads(con) -> None:
    """Each sg_event_id once: every SendGrid load still to dedupe, each in a transaction of its own.

    A load commits its rows with a record that its copies of events landed
    before are still to delete (`raw.sendgrid_loads_to_dedupe`); this second
    transaction deletes them (`_keep_first_landed_copies`) and the record.
    Why two: DuckDB moves a transaction's appended rows into the table at
    commit in one piece only if none of them was deleted before the commit;
    a delete among them makes the commit append them all again, row by row
    (37 s of a 150 s load of 27.5M events), where deleting committed copies
    takes under a second. A crash between the two leaves the record: the
    next SendGrid load finishes the dedupe before it reads a file, and a run
    that fails publishes nothing, so no reader ever sees an event twice.
    """
    pending = "select loaded_at from raw.sendgrid_loads_to_dedupe order by 1"
    for (loaded_at,) in con.execute(pending).fetchall():
        con.begin()
        try:
            _keep_first_landed_copies(con, loaded_at)
            con.execute("delete from raw.sendgrid_loads_to_dedupe where loaded_at = $t", {"t": loaded_at})
            con.commit()
        except BaseException:
            con.rollback()
            raise


def _keep_first_landed_copies(con, now: dt.datetime) -> None:
    """Each sg_event_id once: the copies this load repeated are deleted, the first landed kept.

    A webhook post retried, or an export landed beside the posts, holds the
    same events again. The first landed copy (earliest load, then file name,
    then line) stays. Only ids this load touched can repeat, and few do: their
    hashes (`_id_hash`, kept with each row) find the candidates, compared exactly by id.
    """
    first_load = not con.execute(
        "select count(*) from (select 1 from raw.sendgrid_events where _loaded_at <> $now limit 1)",
        {"now": now},
    ).fetchone()[0]
    # A first load touched every id: the hashes in order, each beside the next, find the
    # repeated ones (27.4M events: 1.6 s, where grouping them took 4.6–6.7 s: a hash
    # table of 27M groups, under the memory limit).
    repeated = (
        """select distinct h from (
               select _id_hash as h, lead(_id_hash) over (order by _id_hash) as next_h
               from raw.sendgrid_events
           ) where h = next_h"""
        if first_load
        else """select _id_hash as h from raw.sendgrid_events
                where _id_hash in (
                    select distinct _id_hash from raw.sendgrid_events where _loaded_at = $now
                )
                group by all having count(*) > 1"""
    )
    con.execute(
        f"""
        delete from raw.sendgrid_events where rowid in (
            with repeated as ({repeated})
            select rowid from (
                select rowid, row_number() over (
                    partition by sg_event_id order by _loaded_at, _source_file, rowid
                ) as copy_number
                from raw.sendgrid_events where _id_hash in (select h from repeated)
            )
            where copy_number > 1
        )
        """,
        {} if first_load else {"now": now},
    )


def _sendgrid_typed(fmt: str, numbered: bool = False, ignore_errors: bool = False) -> str:
    """Webhook files ($paths) through DuckDB's typed JSON reader, in bulk."""
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in SENDGRID_FIELDS.items()) + "}"
    line = "row_number() over ()" if numbered else "null::bigint"
    return f"""
        select {line} as line, null::varchar as early_reason, null::varchar as doc, *
        from read_json($paths, format = '{fmt}', columns = {columns}, filename = true,
                       ignore_errors = {str(ignore_errors).lower()})
    """


def _sendgrid_documents(path: str) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """One damaged webhook file read by Python: (line, JSON text) of each event, and what cannot be read.

    The line is the physical line an event starts on. A JSON array is read
    element by element, so a truncated or broken post keeps every complete
    event before the break, and the rest is one rejected row at the line it
    starts on. NDJSON is one event a line. A byte-order mark is dropped; a
    line (NDJSON) or file (array) that is not UTF-8 is read as cp1252/Latin-1.
    """

    def decode(data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="rollcall_latin1")

    data = _read_landed(path, lambda handle: handle.read()).removeprefix(b"\xef\xbb\xbf")
    documents: list[tuple[int, str]] = []
    if data.lstrip()[:1] != b"[":
        for number, line in enumerate(data.split(b"\n"), start=1):
            if line.strip():
                documents.append((number, decode(line)))
        return documents, []
    text = decode(data)
    decoder = json.JSONDecoder()
    at = text.index("[") + 1
    line = 1 + text.count("\n", 0, at)

    def skip_space(i: int) -> int:
        nonlocal line
        j = i
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        line += text.count("\n", i, j)
        return j

    at = skip_space(at)
    if text.startswith("]", at):
        return documents, []
    while True:
        try:
            _, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            rest = text[at:].strip()
            if not rest:  # cut right after an event: nothing left to lose
                return documents, []
            return documents, [(line, f"bad JSON ({exc.msg}); the rest of the post is not read", rest[:2000])]
        documents.append((line, text[at:end]))
        line += text.count("\n", at, end)
        at = skip_space(end)
        if text.startswith(",", at):
            at = skip_space(at + 1)
        elif text.startswith("]", at):
            return documents, []
        else:
            rest = text[at:].strip()
            if not rest:  # cut right after an event: nothing left to lose
                return documents, []
            return documents, [
                (line, "bad JSON (expected , or ]); the rest of the post is not read", rest[:2000])
            ]


def _sendgrid_lines() -> str:
    """Events read by Python (temp table `_sg_documents`: filename, line, doc), typed as in bulk."""
    struct = "{" + ", ".join(f'"{k}": "{v}"' for k, v in SENDGRID_FIELDS.items()) + "}"
    return f"""
        with parsed as (
            select filename, line, doc,
                   case when not json_valid(doc) then 'bad JSON'
                        when json_type(doc) <> 'OBJECT' then 'not a JSON object' end as early_reason
            from _sg_documents
        )
        select line, early_reason, doc,
               unnest(case when early_reason is null then from_json(doc, '{struct}') end),
               filename
        from parsed
    """


def _sendgrid_rejected_rows(checked: str) -> str:
    """The rows of raw.rejected_rows for the rows of a checked source to reject."""
    return f"""
        select 'sendgrid', filename, line, why,
               coalesce(doc, to_json(struct_pack(sg_event_id, event, email, "timestamp"))::varchar), $now
        from ({checked}) where why is not null
    """


def _reject_sendgrid(con, checked: str, params: dict) -> None:
    con.execute(f"insert into raw.rejected_rows {_sendgrid_rejected_rows(checked)}", params)


class _ReadCarefully(Exception):
    """A bulk read that failed: the load is done again, each file checked first."""


def _load_sendgrid(con, files, now, result, careful: bool = False) -> dict:
    """Clean files load in bulk through DuckDB's JSON reader. A file DuckDB
    cannot read whole (a truncated post, a byte-order mark), or not one row a
    line, or with rows to reject, is read by Python instead
    (`_sendgrid_documents`), which knows each event's physical line."""
    arrays, ndjson, by_python = [], [], []
    for path in files:
        head = _read_landed(path, lambda handle: handle.read(4096))
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1].decode("ascii", errors="replace")
        if first == "":
            continue
        if first not in "[{":
            raise IngestError(f"{path}: not a SendGrid event webhook file (expected a JSON array or NDJSON)")
        if head.startswith(b"\xef\xbb\xbf"):
            by_python.append(str(path))
        else:
            (arrays if first == "[" else ndjson).append(str(path))
    # A failed read inside the load's transaction would abort it, so the
    # bulk reads are tried first on a cursor of their own.
    checker = con.cursor()

    def scan(fmt: str, paths: list[str]) -> dict[str, tuple[int, int]] | None:
        """Rows and rows to reject per file, or None if DuckDB cannot read them all."""
        checked = _sendgrid_checked(_sendgrid_typed(fmt, ignore_errors=fmt != "array"))
        try:
            return {
                file: (rows, bad)
                for file, rows, bad in checker.execute(
                    f"select filename, count(*), count(why) from ({checked}) group by 1",
                    {"paths": paths, "now": now},
                ).fetchall()
            }
        except duckdb.Error:
            return None

    # NDJSON exports (nearly all the events): the plain ones land together in
    # one parallel read (`_sendgrid_bulk`), their rows to reject found again,
    # numbered; each of the others (and a plain one with an empty line) is read once, file by file:
    # DuckDB's JSON reader types the events and its CSV reader numbers the
    # lines, so every rejected event keeps its physical line. A file with a
    # carriage return, a byte-order mark or bytes that are not UTF-8 goes to
    # Python. Only if DuckDB fails on a file is the load done again, carefully.
    if ndjson and not careful:
        shapes = dict(zip(ndjson, _each_file(_line_shape, ndjson), strict=True))
        try:
            landed = _sendgrid_bulk(con, {p: s.lines for p, s in shapes.items() if s.plain}, now)
        except duckdb.Error as exc:
            checker.close()
            raise _ReadCarefully from exc
        for path in ndjson:
            if path in landed:
                continue
            lined = None
            if shapes[path].plain:
                try:
                    lined = _sendgrid_aligned(con, path, shapes[path].lines) or _sendgrid_lined(con, path)
                    if lined:
                        _sendgrid_land(con, lined, {"path": path, "now": now})
                except duckdb.Error as exc:
                    checker.close()
                    raise _ReadCarefully from exc
            if not lined:
                by_python.append(path)
        ndjson = []
    # Files DuckDB reads whole, a row per event and nothing to reject, load
    # in bulk; the others are read by Python, which knows each event's line
    # (one reader decides what of a file lands and what is rejected).
    bulk: dict[str, list[str]] = {}
    for fmt, paths in (("array", arrays), ("newline_delimited", ndjson)):
        counts = scan(fmt, paths) if paths else {}
        if counts is None:
            counts = {}
            for path in paths:
                one = scan(fmt, [path])
                if one is None:
                    by_python.append(path)
                else:
                    counts.update(one)
        paths = [p for p in paths if p not in set(by_python)]
        shapes = _each_file(_line_shape, paths) if fmt != "array" else []
        lines = {p: shape.lines for p, shape in zip(paths, shapes, strict=False)}
        bulk[fmt] = []
        for path in paths:
            rows, bad = counts.get(path, (0, 0))
            if bad or (fmt != "array" and rows != lines[path]):
                by_python.append(path)
            else:
                bulk[fmt].append(path)
    checker.close()

    for fmt, paths in bulk.items():
        if paths:
            _sendgrid_insert(
                con,
                _sendgrid_checked(_sendgrid_typed(fmt, ignore_errors=fmt != "array")),
                {"paths": paths, "now": now},
            )
    for path in by_python:
        documents, unread = _sendgrid_documents(path)
        _load_sendgrid_lines(
            con,
            pa.table(
                {
                    "filename": [path] * len(documents),
                    "line": [line for line, _ in documents],
                    "doc": [doc for _, doc in documents],
                },
                schema=_LINES_SCHEMA,
            ),
            now,
        )
        if unread:
            con.executemany(
                "insert into raw.rejected_rows values ('sendgrid', ?, ?, ?, ?, ?)",
                [(path, line, why, raw, now) for line, why, raw in unread],
            )
    counts = con.execute(
        """
        select file, sum(loaded), sum(rejected) from (
            select _source_file as file, count(*) as loaded, 0 as rejected
            from raw.sendgrid_events where _loaded_at = $now group by 1
            union all
            select file, 0, count(*) from raw.rejected_rows
            where source = 'sendgrid' and loaded_at = $now group by 1
        ) group by 1
        """,
        {"now": now},
    ).fetchall()
    con.execute("insert into raw.sendgrid_loads_to_dedupe values ($now)", {"now": now})
    for _, loaded_rows, rejected in counts:
        result.rows_loaded += loaded_rows
        result.rows_rejected += rejected
    return {file: (loaded_rows, rejected) for file, loaded_rows, rejected in counts}


_LINES_SCHEMA = pa.schema([("filename", pa.string()), ("line", pa.int64()), ("doc", pa.string())])


def _load_sendgrid_lines(con, documents: pa.Table, now: dt.datetime) -> None:
    """Events one a line (filename, line, doc): the good ones land, the rest are rejected with their line."""
    con.register("_sg_arrow", documents)
    con.execute(
        "create or replace temp table _sg_documents as "
        "select * from _sg_arrow where doc is not null and trim(doc) <> ''"
    )
    con.unregister("_sg_arrow")
    checked = _sendgrid_checked(_sendgrid_lines())
    _sendgrid_insert(con, checked, {"now": now})
    _reject_sendgrid(con, checked, {"now": now})


@dataclass(frozen=True)
class _LineShape:
    lines: int  # physical lines (a last line without a newline counts)
    # UTF-8 with no carriage return and no byte-order mark: DuckDB reads it, and numbers its lines exactly
    plain: bool


class _LineCounter:
    """A file's _LineShape, taken chunk by chunk as the file is read."""

    def __init__(self) -> None:
        self.lines, self.last, self.plain, self.first = 0, b"\n", True, True
        self.utf8 = _Utf8Check()

    def add(self, chunk: bytes) -> None:
        if self.first:
            self.plain = not chunk.startswith(b"\xef\xbb\xbf")
            self.first = False
        self.lines += _count(chunk, b"\n")
        self.plain = self.plain and b"\r" not in chunk
        if self.plain:
            self.utf8.add(chunk)
        self.last = chunk[-1:]

    def shape(self) -> _LineShape:
        return _LineShape(self.lines + (self.last != b"\n"), self.plain and self.utf8.final())


def _line_shape(path: str) -> _LineShape:
    """A landed file's lines: taken when its digest was (`file_sha256`, the same read), else read."""
    shaped = _SHAPES.pop(str(path), None)
    if shaped is not None:
        stat = os.stat(path)
        if shaped[:2] == (stat.st_size, stat.st_mtime_ns):
            return shaped[2]

    def scan(handle) -> _LineShape:
        counter = _LineCounter()
        while chunk := handle.read(1 << 24):
            counter.add(chunk)
        return counter.shape()

    return _read_landed(path, scan)


NOT_BLANK = "trim(doc) <> ''"
IS_OBJECT = "json_valid(doc) and starts_with(ltrim(doc), '{')"


def _lines_of(path: str) -> str:
    """DuckDB's CSV reader over a file ($path) as one `doc` column a physical line: no delimiter or
    quote it could meet (no carriage return in a plain file, so lines are exact)."""
    return (
        f"read_csv({path}, columns = {{'doc': 'varchar'}}, delim = chr(1), quote = '', escape = '', "
        "header = false, auto_detect = false, strict_mode = false, new_line = '\\n')"
    )


def _file_lines(where: str) -> str:
    """A plain file's physical lines (line, doc), numbered, where `where` holds."""
    return f"""
        select line, doc from (select row_number() over () as line, doc from {_lines_of("$path")})
        where {where}
    """


def _sendgrid_bulk(con, lines: dict[str, int], now: dt.datetime) -> set[str]:
    """The plain NDJSON exports with one typed row a line, landed in one parallel read: the files landed.

    DuckDB's typed JSON reader gives a plain file one row a line (a row of
    nulls for a line it cannot read: bad JSON, two objects, a cut-off line)
    unless the file has a line that is empty or only spaces, which it skips.
    So every plain file's good rows land in one read with every other's, no
    line needing a number. A file with fewer good rows than lines has rows
    to reject, or a skipped line: its rows to reject alone are found again,
    numbered, in one typed read of that file (`_sendgrid_numbered_rejects`),
    its good rows staying where the bulk read put them. Should the numbered
    read not account for every line once (a skipped line, or any line the two
    readers disagree on), the file's rows are taken out again and it is read
    line by line like the others (`_sendgrid_lined`). (A pass of DuckDB's CSV
    reader over every file used to find the files with an empty line first:
    4.6–5.6 s of the 1M sample's SendGrid load, for files that are rare.)
    """
    candidates = [path for path, count in lines.items() if count]
    if not candidates:
        return set()
    params = {"paths": candidates, "now": now}
    _sendgrid_insert(con, _sendgrid_checked(_sendgrid_typed("newline_delimited", ignore_errors=True)), params)
    good = dict(
        con.execute(
            "select _source_file, count(*) from raw.sendgrid_events "
            "where _loaded_at = $now and list_contains($paths, _source_file) group by 1",
            params,
        ).fetchall()
    )
    short = [path for path in candidates if good.get(path) != lines[path]]

    def numbered(path: str) -> list[tuple] | None:
        # On a cursor of its own: a connection with its own temp tables, outside the
        # load's transaction, so it writes nothing there; the load writes what it finds.
        cur = con.cursor()
        try:
            return _sendgrid_numbered_rejects(cur, path, lines[path], good.get(path, 0), now)
        finally:
            cur.close()

    # On every core (the 1M sample's 40 such exports took 10.4 s one after another).
    rejects = _each_file(numbered, short)
    again = [path for path, rows in zip(short, rejects, strict=True) if rows is None]
    landed = [row for rows in rejects if rows for row in rows]
    if landed:
        con.executemany("insert into raw.rejected_rows values (?, ?, ?, ?, ?, ?)", landed)
    if again:
        con.execute(
            "delete from raw.sendgrid_events where _loaded_at = $now and list_contains($paths, _source_file)",
            {"paths": again, "now": now},
        )
    return set(candidates) - set(again)


def _sendgrid_numbered_rejects(cur, path: str, lines: int, good: int, now: dt.datetime) -> list[tuple] | None:
    """The rows of one landed file that the bulk read left out, as rows of raw.rejected_rows.

    The file's one numbered typed read (`_sendgrid_aligned`), checked as the
    bulk read checked it, finds them; only their lines are read again as text
    (`_sendgrid_rejected_text`). None if that read does not give one row a
    line or finds another number than `lines - good` to reject. Only temp
    tables are written (`cur` may be a cursor of the load's connection).
    """
    lined = _sendgrid_aligned(cur, path, lines)
    if (
        lined is None
        or _sendgrid_rejects_of(cur, _sendgrid_checked(lined), {"path": path, "now": now}) != lines - good
    ):
        return None
    _sendgrid_rejected_text(cur, path)
    return cur.execute(_sendgrid_rejected_rows("select * from _sg_rejects"), {"now": now}).fetchall()


def _sendgrid_typed_rows(con, path: str) -> None:
    """Temp table `_sg_typed`: one plain NDJSON file through DuckDB's typed JSON reader
    (ignore_errors: a row of nulls for a line it cannot read), numbered k in file order."""
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in SENDGRID_FIELDS.items()) + "}"
    con.execute(
        f"""
        create or replace temp table _sg_typed as
        select row_number() over () as k, *
        from read_json($path, format = 'newline_delimited', columns = {columns}, ignore_errors = true)
        """,
        {"path": path},
    )


def _early_reason(doc: str) -> str:
    return f"case when json_valid({doc}) then 'not a JSON object' else 'bad JSON' end"


def _sendgrid_aligned(con, path: str, lines: int) -> str | None:
    """One plain NDJSON file, read once as JSON: its events with their physical lines (SQL), or None.

    DuckDB's typed JSON reader (ignore_errors) gives a row for every line it
    is given, a row of nulls for one that is not a JSON object (bad JSON, an
    array, a scalar, two objects, a cut-off line: tests/lib/test_ingest_hostile.py
    pins it, kind by kind), which the checks reject as missing its
    sg_event_id. When it gives exactly one row a physical line (no blank
    line), the k-th row is line k; no line's text is kept: the rows to reject
    get theirs, and the reason a line that is not a JSON object has, from
    `_sendgrid_rejected_text`. (A pass of json_valid over every line first,
    for those reasons, cost the 1M sample's load about 0.6 s: 36.2–37.1 s
    with it, 35.6–36.1 s without.) None, nothing written but temp tables,
    when the rows are not aligned with the lines (`_sendgrid_lined` reads the
    file then).
    """
    _sendgrid_typed_rows(con, path)
    if con.execute("select count(*) from _sg_typed").fetchone()[0] != lines:
        return None
    fields = ", ".join(f'"{k}"' for k in SENDGRID_FIELDS)
    return f"""
        select k as line, null::varchar as early_reason, null::varchar as doc, {fields}, $path as filename
        from _sg_typed
    """


def _sendgrid_lined(con, path: str) -> str | None:
    """One plain NDJSON file's events with their physical lines (SQL), the file's lines kept whole.

    DuckDB's CSV reader, with no delimiter or quote it could meet, gives the
    file's lines in order (numbered as the file is, there being no carriage
    return); DuckDB's JSON reader gives a row for each line that is not
    blank, so the k-th such line is the k-th typed event. A line that is not
    a JSON object is rejected whatever its row holds. None (and nothing
    written but temp tables) if the two readers do not agree on how many
    lines there are: Python reads the file instead.
    """
    con.execute(
        "create or replace temp table _sg_lines as "
        f"select line, doc, {IS_OBJECT} as is_object "
        f"from ({_file_lines(NOT_BLANK)})",
        {"path": path},
    )
    _sendgrid_typed_rows(con, path)
    lines, typed = con.execute(
        "select (select count(*) from _sg_lines), (select count(*) from _sg_typed)"
    ).fetchone()
    if lines != typed:
        return None
    fields = ", ".join(f't."{k}"' for k in SENDGRID_FIELDS)
    return f"""
        select o.line, case when not o.is_object then {_early_reason("o.doc")} end as early_reason,
               o.doc, {fields}, $path as filename
        from _sg_typed as t
        inner join (select row_number() over (order by line) as k, * from _sg_lines) as o on t.k = o.k
    """


def _sendgrid_land(con, lined: str, params: dict) -> None:
    """One file's events with their lines (SQL over temp tables): the good land, the rest are rejected.

    The check runs where it is read, with no copy of the file's events: the
    good rows go straight into raw.sendgrid_events, the few to reject into a
    temp table (`_sendgrid_reject_checked`).
    """
    checked = _sendgrid_checked(lined)
    _sendgrid_insert(con, checked, params)
    _sendgrid_rejects_of(con, checked, params)
    _sendgrid_reject_checked(con, params)


def _sendgrid_rejects_of(con, checked: str, params: dict) -> int:
    """Temp table `_sg_rejects`: the rows of a checked source to reject; how many."""
    con.execute(
        f"create or replace temp table _sg_rejects as select * from ({checked}) where why is not null", params
    )
    return con.execute("select count(*) from _sg_rejects").fetchall()[0][0]


def _sendgrid_rejected_text(con, path: str) -> None:
    """In temp table `_sg_rejects` (one file's, `path`): a row rejected for what it holds (its
    line text not kept) gets its line's text as its raw value, and, when that line is not a JSON
    object (its row was all nulls), that reason (`_early_reason`)."""
    if con.execute("select count(*) from _sg_rejects where doc is null").fetchone()[0]:
        con.execute(
            "create or replace temp table _sg_rejected_lines as "
            + _file_lines("line in (select line from _sg_rejects where doc is null)"),
            {"path": path},
        )
        con.execute(
            "update _sg_rejects set doc = r.doc from _sg_rejected_lines as r where _sg_rejects.line = r.line"
        )
        con.execute(
            f"update _sg_rejects set why = {_early_reason('doc')} "
            f"where early_reason is null and not ({IS_OBJECT})"
        )


def _sendgrid_reject_checked(con, params: dict) -> None:
    """Reject the rows of temp table `_sg_rejects` (one file's, $path), each with its line's text."""
    _sendgrid_rejected_text(con, params["path"])
    _reject_sendgrid(con, "select * from _sg_rejects", {"now": params["now"]})


# --- Twilio -----------------------------------------------------------------


def _phone_reasons(*columns: str) -> str:
    """CASE branches rejecting a row whose phone column is present but not a number."""
    return "\n".join(
        f"when p_{c}.e164 is null then 'not a phone number \"' || coalesce({c}, '') || '\"'" for c in columns
    )


def _load_messages(con, files, now, result) -> dict:
    required = ("sid", "from_number", "to_number", "status", "direction", "sent")
    _read_csv_batch(con, files, "twilio_messages", MESSAGE_COLUMNS, required, "a Twilio message log", now)
    _register_phones(con, "from_number", "to_number")
    _register_keywords(con, "_batch")
    # An opt-out is never lost for another bad field: the row is kept (the
    # bad value left empty; no Sid → a made-up one from the row's content;
    # no readable date → dated when it was loaded, so it wins over every
    # keyword reply dated before the load), and the bad field is reported.
    con.execute(
        f"""
        create or replace temp table _parsed as
        select b.*, p_from_number.e164 as from_e164, p_to_number.e164 as to_e164,
               {_date_sql("b.sent")} as sent_parsed, {_window_sql("sent_parsed", now)} as sent_at,
               k.keyword, k.keyword_action,
               coalesce(k.keyword_action = 'opt_out', false) as is_opt_out,
               case
                   when nullif(trim(sid), '') is null then 'missing Sid'
                   {_date_reasons("sent", "sent_parsed", "sent_at")}
                   {_phone_reasons("from_number", "to_number")}
                   when nullif(trim(error_code), '') is not null
                        and try_cast(trim(error_code) as integer) is null
                       then 'unparsable error code "' || error_code || '"'
               end as problem,
               problem || case when not is_opt_out then ''
                               when sent_at is null then ' (opt-out kept, dated when loaded)'
                               else ' (opt-out kept)' end as reason,
               -- the landed row as it was, kept for rejected rows only
               case when reason is not null then to_json(b)::varchar end as raw_value
        from _batch b
        left join _phones p_from_number on p_from_number.raw = b.from_number
        left join _phones p_to_number on p_to_number.raw = b.to_number
        left join _keywords k on k.body = b.body and lower(trim(b.direction)) = 'inbound'
        """
    )
    _reject(con, "twilio_messages", now, "_parsed")
    # A view, not a copy: the 1M sample's 3.1M messages were written again for 4.7 s.
    con.execute(
        "create or replace temp view _good_rows as select * from _parsed where reason is null or is_opt_out"
    )
    _append(
        con,
        "twilio_messages",
        f"""
        coalesce(nullif(trim(g.sid), ''),
                 'no-sid-' || md5(concat_ws('|', g.from_number, g.to_number, g.body, g.sent))),
        lower(trim(g.direction)), lower(trim(g.status)), g.from_number, g.to_number,
        g.from_e164, g.to_e164, g.body, coalesce(g.sent_at, '{now.isoformat(sep=" ")}'::timestamp),
        try_cast(g.num_segments as integer), try_cast(nullif(trim(g.error_code), '') as integer),
        g.file, g.line, '{now.isoformat(sep=" ")}'::timestamp, g.keyword, g.keyword_action
        """,
        result,
        good="_good_rows",
    )
    result.rows_rejected += con.sql("select count(*) from _parsed where reason is not null").fetchall()[0][0]
    return _per_file(con, "twilio_messages", files, now, good="_good_rows")


def _load_calls(con, files, now, result) -> dict:
    required = ("sid", "from_number", "to_number", "status", "direction", "started", "duration")
    _read_csv_batch(con, files, "twilio_calls", CALL_COLUMNS, required, "a Twilio call log", now)
    _register_phones(con, "from_number", "to_number")
    con.execute(
        f"""
        create or replace temp table _parsed as
        select b.*, p_from_number.e164 as from_e164, p_to_number.e164 as to_e164,
               {_date_sql("b.started")} as started_parsed, {_window_sql("started_parsed", now)} as started_at,
               {_date_sql("b.ended")} as ended_parsed, {_window_sql("ended_parsed", now)} as ended_at,
               case
                   when nullif(trim(sid), '') is null then 'missing Sid'
                   {_date_reasons("started", "started_parsed", "started_at")}
                   when nullif(trim(ended), '') is not null and ended_parsed is null
                       then 'unparsable date "' || ended || '"'
                   when nullif(trim(ended), '') is not null and ended_at is null
                       then 'date out of range "' || ended || '"'
                   {_phone_reasons("from_number", "to_number")}
                   when nullif(trim(duration), '') is not null
                        and try_cast(trim(duration) as integer) is null
                       then 'unparsable duration "' || duration || '"'
               end as reason,
               -- the landed row as it was, kept for rejected rows only
               case when reason is not null then to_json(b)::varchar end as raw_value
        from _batch b
        left join _phones p_from_number on p_from_number.raw = b.from_number
        left join _phones p_to_number on p_to_number.raw = b.to_number
        """
    )
    _reject(con, "twilio_calls", now, "_parsed")
    con.execute("create or replace temp view _good_rows as select * from _parsed where reason is null")
    _append(
        con,
        "twilio_calls",
        f"""
        trim(g.sid), nullif(trim(g.parent_call_sid), ''), lower(trim(g.direction)),
        lower(trim(g.status)), g.from_number, g.to_number, g.from_e164, g.to_e164,
        g.started_at, g.ended_at, coalesce(try_cast(nullif(trim(g.duration), '') as integer), 0),
        g.file, g.line, '{now.isoformat(sep=" ")}'::timestamp
        """,
        result,
        good="_good_rows",
    )
    result.rows_rejected += con.sql("select count(*) from _parsed where reason is not null").fetchall()[0][0]
    return _per_file(con, "twilio_calls", files, now, good="_good_rows")


# --- Action Network actions ---------------------------------------------------

# An action's kind → the kind of page it is taken on, the `_embedded` key of an
# API page body holding it, and the folder its NDJSON records land in.
ACTION_KINDS = {
    "signature": ("petition", "osdi:signatures", "signatures"),
    "submission": ("form", "osdi:submissions", "submissions"),
    "attendance": ("event", "osdi:attendances", "attendances"),
    "outreach": ("advocacy_campaign", "osdi:outreaches", "outreaches"),
}
_KIND_OF_KEY = {key: kind for kind, (_, key, _) in ACTION_KINDS.items()}
_KIND_OF_FOLDER = {folder: kind for kind, (_, _, folder) in ACTION_KINDS.items()}
_ISO_UTC = re.compile(rf"{ISO_DATE}(?:{ISO_OFFSET})?")
TARGET_FIELDS = ("title", "given_name", "family_name", "ocdid")
ACTION_BATCH = 250_000  # records handed to DuckDB at a time (bounds the memory a big NDJSON export takes)


def _an_datetime(value) -> dt.datetime | None:
    """An Action Network date (ISO 8601; RFC 2822 read too) as naive UTC, or None (the pull's watermarks)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if _ISO_UTC.fullmatch(text):
            moment = dt.datetime.fromisoformat(re.sub(r"\s*(UTC|GMT)$", "+00:00", text))
        else:
            moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _decoded(data: bytes) -> tuple[str, bool]:
    """The text of a file's bytes, and whether they were UTF-8 (else they are read as cp1252/Latin-1)."""
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="rollcall_latin1"), False


def _action_documents(path: Path, folder: Path) -> tuple[str, list[int], pa.Array]:
    """(kind, lines, JSON texts as an Arrow string array) of the records of one landed actions file.

    An API page body (a JSON object with `_embedded`) gives its records at
    their place in the `_embedded` list (1, 2, …); an NDJSON file in a kind's
    folder (`signatures/`, …) gives one record a physical line, as written
    (bad JSON included: the checks reject it). Anything else is not the
    format: IngestError naming the file.
    """
    data = _read_landed(path, lambda handle: handle.read()).removeprefix(b"\xef\xbb\xbf")
    relative = path.relative_to(folder).parts
    folder_kind = _KIND_OF_FOLDER.get(relative[0]) if len(relative) > 1 else None
    start = data.lstrip()[:1]
    if not start:
        return folder_kind or "signature", [], pa.array([], pa.string())
    what = "Action Network actions (an API page body, or NDJSON records in signatures/, submissions/, …)"
    if start != b"{":
        raise IngestError(f"{path}: not {what}")
    text, utf8 = _decoded(data)
    doc, problem = None, None
    if folder_kind is None or text.lstrip().startswith('{"total_pages"') or "\n" not in text.strip():
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = f"bad JSON: {exc.msg} at line {exc.lineno}"
    elif '"_embedded"' in text[:200_000]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None  # NDJSON that mentions _embedded: read line by line
    embedded = doc.get("_embedded") if isinstance(doc, dict) else None
    if (
        isinstance(doc, dict)
        and "_embedded" in doc
        and (
            # in a kind's folder, one record that embeds its person is NDJSON, not a page
            folder_kind is None or (isinstance(embedded, dict) and any(k in _KIND_OF_KEY for k in embedded))
        )
    ):
        if not isinstance(embedded, dict):
            raise IngestError(f"{path}: not an Action Network API page body (`_embedded` is not an object)")
        keys = [k for k in embedded if k in _KIND_OF_KEY]
        if len(keys) > 1:
            raise IngestError(f"{path}: an API page body holding {' and '.join(keys)}: one collection a page")
        if not keys:
            others = [k for k, v in embedded.items() if v]
            if others:
                raise IngestError(f"{path}: an API page of {', '.join(others)}, not of actions")
            return folder_kind or "signature", [], pa.array([], pa.string())
        records = embedded[keys[0]]
        if not isinstance(records, list):
            raise IngestError(f"{path}: not an Action Network API page body ({keys[0]} is not a list)")
        texts = pa.array([json.dumps(r, ensure_ascii=False) for r in records], pa.string())
        return _KIND_OF_KEY[keys[0]], list(range(1, len(records) + 1)), texts
    if folder_kind is None:
        raise IngestError(
            f"{path}: not an Action Network API page body ({problem or 'no `_embedded`'}); "
            "NDJSON records belong in signatures/, submissions/, attendances/ or outreaches/"
        )
    return (folder_kind, *_ndjson_records(data, text, utf8))


def _ndjson_records(data: bytes, text: str, utf8: bool) -> tuple[list[int], pa.Array]:
    """The lines of an NDJSON file that are not blank: their numbers and texts (a carriage return
    at the end dropped). A UTF-8 file's lines stay bytes on their way to Arrow: Python strings
    made from them and turned back into UTF-8 took 2.5 of the 1M sample's 4.2 s outside DuckDB."""
    lines: list[int] = []
    if utf8:
        chunks: list[bytes] = []
        for number, line in enumerate(data.split(b"\n"), start=1):
            kept = line.strip()
            # blank as str.strip() has it, Unicode spaces included: decoded only when it could be
            if kept and (kept[:1] == b"{" or kept.isascii() or kept.decode("utf-8").strip()):
                lines.append(number)
                chunks.append(line.rstrip(b"\r"))
        return lines, pa.array(chunks, pa.binary()).cast(pa.string())
    texts: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            lines.append(number)
            texts.append(line.rstrip("\r"))
    return lines, pa.array(texts, pa.string())


def _json_text(path: str, doc: str = "doc") -> str:
    """A text field of the JSON `doc`, trimmed, null when absent or blank."""
    return f"nullif(trim(json_extract_string({doc}, '{path}')), '')"


def _uuid_of(given: str, link: str) -> str:
    """A uuid field (`action_network:` prefix dropped), else the last segment of the record's link."""
    value = f"nullif(trim(regexp_replace(trim({given}), '^action_network:', '')), '')"
    href = f"json_extract_string(doc, '$._links.\"{link}\".href')"
    tail = f"nullif(regexp_extract(rtrim(regexp_extract({href}, '^[^?#]*'), '/'), '[^/]*$'), '')"
    return f"(case when {value} is not null then {value} else {tail} end)"


# The fields read from each record, parsed once (a field of another type reads as null or its text).
ACTION_FIELDS = {
    "identifiers": "VARCHAR[]",
    "created_date": "VARCHAR",
    "modified_date": "VARCHAR",
    "action_network:person_id": "VARCHAR",
    **{f"action_network:{page}_id": "VARCHAR" for page, _, _ in ACTION_KINDS.values()},
    "status": "VARCHAR",
    "type": "VARCHAR",
}


def _actions_checked(now: dt.datetime) -> str:
    """`_act_docs` (file, line, kind, doc) read and checked: raw.actionnetwork_actions' columns, a reason."""
    page_ids = "\n".join(
        "when '{}' then {}".format(kind, _uuid_of(f'j."action_network:{page}_id"', "osdi:" + page))
        for kind, (page, _, _) in ACTION_KINDS.items()
    )
    page_kinds = "\n".join(f"when '{kind}' then '{page}'" for kind, (page, _, _) in ACTION_KINDS.items())
    structure = json.dumps(ACTION_FIELDS)
    return f"""
        with docs as (
            select *, case when not json_valid(doc) then 'bad JSON'
                           when json_type(doc) <> 'OBJECT' then 'not a JSON object' end as early
            from _act_docs
        ),
        records as (
            select *, from_json(doc, '{structure}') as j from docs where early is null
        ),
        fields as (
            select file, line, kind, doc, early,
                   case kind {page_kinds} end as page_kind,
                   j.created_date as created,
                   {_date_sql("j.modified_date")} as modified_parsed,
                   nullif(trim(regexp_replace(list_filter(
                       j.identifiers, lambda x: starts_with(x, 'action_network:') and trim(x[16:]) <> ''
                   )[1], '^action_network:', '')), '') as action_id,
                   {_uuid_of('j."action_network:person_id"', "osdi:person")} as person_id,
                   case kind {page_ids} end as page_id,
                   case when kind = 'attendance' then lower(nullif(trim(j.status), '')) end as status,
                   case when kind = 'outreach' then nullif(trim(j.type), '') end as outreach_type
            from records
        ),
        parsed as (
            select *, {_date_sql("created")} as acted_parsed, {_window_sql("acted_parsed", now)} as acted_at
            from fields
        )
        select file, line, doc,
               case
                   when nullif(trim(created), '') is null then 'missing created_date'
                   when acted_parsed is null then 'unparsable created_date "' || created || '"'
                   when acted_at is null then 'created_date out of range "' || created || '"'
                   when action_id is null then 'missing action_network: identifier'
                   when person_id is null then 'missing action_network:person_id'
                   when page_id is null then 'missing action_network:' || page_kind || '_id'
               end as reason,
               action_id, kind, page_kind, lower(page_id) as page_id, person_id, acted_at,
               -- an unreadable (or absurd) modified_date orders the copy as never modified
               {_window_sql("modified_parsed", now)} as modified_at, status, outreach_type
        from parsed
        union all by name
        select file, line, doc, early as reason from docs where early is not null
    """


def _load_actions(con, files, now, result) -> dict:
    """Action Network actions, each kept once: the copy with the latest modified_date.

    Python reads each file's shape (page body or NDJSON) and hands DuckDB the
    records as JSON text with their line; DuckDB reads and checks them all in
    one pass. The copies this load brings are compared with the one held
    (whatever order files land in): the latest `modified_date` wins, a tie
    keeps the first landed copy (earliest load, then file name, then line). A
    replaced action's row and targets are written again, with this load's
    `_loaded_at`.
    """
    folder = Path(files[0]).parent
    while folder.name != "actionnetwork_actions" and folder != folder.parent:
        folder = folder.parent
    con.execute(
        "create or replace temp table _act_docs (file varchar, line integer, kind varchar, doc varchar)"
    )
    pending: list[tuple[str, str, list[int], list[str]]] = []

    def flush() -> None:
        if not pending:
            return
        # A file's name and kind, repeated on each of its records, made from one string each
        # (the same name made 726k times took 0.6 s).
        each = pa.array([i for i, (_, _, lines, _) in enumerate(pending) for _ in lines], pa.int32())
        table = pa.table(
            {
                "file": pa.DictionaryArray.from_arrays(
                    each, pa.array([f for f, *_ in pending])
                ).dictionary_decode(),
                "line": pa.array([n for _, _, lines, _ in pending for n in lines], pa.int32()),
                "kind": pa.DictionaryArray.from_arrays(
                    each, pa.array([k for _, k, *_ in pending])
                ).dictionary_decode(),
                "doc": pa.concat_arrays([texts for *_, texts in pending]),
            }
        )
        con.register("_act_docs_arrow", table)
        con.execute("insert into _act_docs select * from _act_docs_arrow")
        con.unregister("_act_docs_arrow")
        pending.clear()

    held = 0
    for path in files:
        kind, lines, texts = _action_documents(Path(path), folder)
        pending.append((str(path), kind, lines, texts))
        held += len(lines)
        if held >= ACTION_BATCH:
            flush()
            held = 0
    flush()
    con.execute(f"create or replace temp table _act_checked as {_actions_checked(now)}")
    con.execute(
        """
        insert into raw.rejected_rows
        select 'actionnetwork_actions', file, line, reason, left(doc, 2000), $now
        from _act_checked where reason is not null
        """,
        {"now": now},
    )
    con.execute(
        """
        create or replace temp table _act_keep as
        with held as (
            select *, false as fresh from raw.actionnetwork_actions
            where action_id in (select action_id from _act_checked where reason is null)
        ),
        landed as (
            select action_id, kind, page_kind, page_id, person_id, acted_at, modified_at, status,
                   outreach_type, file as _source_file, line as _line, $now::timestamp as _loaded_at,
                   true as fresh
            from _act_checked where reason is null
        )
        select * from (select * from held union all by name select * from landed)
        qualify row_number() over (
            partition by action_id order by modified_at desc nulls last, _loaded_at, _source_file, _line
        ) = 1
        """,
        {"now": now},
    )
    replaced = "(select action_id from _act_keep where fresh)"
    con.execute(f"delete from raw.actionnetwork_action_targets where action_id in {replaced}")
    con.execute(f"delete from raw.actionnetwork_actions where action_id in {replaced}")
    con.execute(
        "insert into raw.actionnetwork_actions by name select * exclude (fresh) from _act_keep where fresh"
    )
    con.execute(
        f"""
        insert into raw.actionnetwork_action_targets
        with targets as (
            select c.action_id, unnest(json_extract(c.doc, '$.targets[*]')) as target,
                   unnest(range(1, json_array_length(c.doc, '$.targets')::bigint + 1)) as target_index
            from _act_checked c
            join _act_keep k on k.fresh and k.action_id = c.action_id
                and k._source_file = c.file and k._line = c.line
            where c.kind = 'outreach' and json_type(c.doc, '$.targets') = 'ARRAY'
        )
        select action_id, target_index::integer,
               {", ".join(_json_text(f"$.{f}", "target") for f in TARGET_FIELDS)},
               $now
        from targets where json_type(target) = 'OBJECT'
        """,
        {"now": now},
    )
    counts = con.execute(
        "select file, count(*) filter (where reason is null), count(reason) from _act_checked group by file"
    ).fetchall()
    per_file = {str(p): (0, 0) for p in files}
    for file, loaded, rejected in counts:
        per_file[file] = (loaded, rejected)
        result.rows_loaded += loaded
        result.rows_rejected += rejected
    return per_file


# --- campaigns.yml ----------------------------------------------------------


# parse_campaigns (and its checks) live in pipelines/lib/campaigns.py.


def _load_campaigns(con, files, now, result) -> dict:
    (path,) = files
    try:
        campaigns, numbers, pages = parse_registry(path)
    except CampaignsError as exc:
        raise IngestError(str(exc)) from exc
    con.execute("delete from raw.campaigns")
    con.execute("delete from raw.campaign_call_numbers")
    con.execute("delete from raw.campaign_actions")
    if pages:
        con.register("_a", pa.Table.from_pylist(pages))
        con.execute("insert into raw.campaign_actions by name select distinct * from _a")
        con.unregister("_a")
    if campaigns:
        con.register("_c", pa.Table.from_pylist(campaigns))
        con.execute("insert into raw.campaigns by name select * from _c")
        con.unregister("_c")
    if numbers:
        con.register("_n", pa.Table.from_pylist(numbers))
        con.execute("insert into raw.campaign_call_numbers by name select distinct * from _n")
        con.unregister("_n")
    result.rows_loaded += len(campaigns)
    return {str(path): (len(campaigns), 0)}


_LOADERS = {
    "people": _load_people,
    "sendgrid": _load_sendgrid,
    "twilio_messages": _load_messages,
    "twilio_calls": _load_calls,
    "actionnetwork_actions": _load_actions,
    "campaigns": _load_campaigns,
}

# What a source's load does after its transaction commits, in transactions of its own.
_AFTER_COMMIT = {"sendgrid": _dedupe_sendgrid_loads}
