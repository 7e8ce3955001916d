"""Damaged landing files made from good rows, each row knowing what it must become.

A file is a header and records; each record is rendered to text, and the
file is damaged as a whole (encoding, byte-order mark, CRLF line ends,
truncation, gzip). Every record knows its physical start line, so the
properties can say exactly where each row must end up:

- `good`: lands exactly once, at its line, and is not rejected;
- `bad`: is in raw.rejected_rows exactly once, at its line, and does not land;
- `kept_and_reported`: lands and is rejected once (an opt-out with a bad
  field; a person with an invalid email or phone, left empty);
- `blank`: neither (a blank line);
- `truncated`: the file's last record, cut short: lands or is rejected,
  exactly once in all.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from pipelines.lib import ingest
from pipelines.lib.sample import CALL_CONSOLE, CALL_REST

OUR_NUMBER = "+16135550199"
MEMBERS = {"+16135550101": "+16135550101", "(613) 555-0102": "+16135550102", "613.555.0103": "+16135550103"}
BASE_TIME = dt.datetime(2026, 6, 2, 14, 0, 0)

MESSAGE_HEADERS = {
    "rest": ["sid", "from", "to", "body", "status", "direction", "date_sent", "num_segments", "error_code"],
    "console": [
        "From", "To", "Body", "Status", "SentDate", "ApiVersion", "NumSegments", "ErrorCode",
        "AccountSid", "Sid", "Direction", "Price", "PriceUnit",
    ],
}  # fmt: skip
CALL_HEADERS = {"rest": CALL_REST, "console": CALL_CONSOLE}
# canonical name → (REST spelling, console spelling); columns no name maps to get a constant
CONSTANTS = {"ApiVersion": "2010-04-01", "AccountSid": "AC1", "Price": "-0.0079", "PriceUnit": "USD"}


@dataclass
class Record:
    kind: str  # good | bad | kept_and_reported | blank | truncated
    text: str  # as rendered, without the line end
    key: str | None = None  # uuid or sid
    values: dict = field(default_factory=dict)  # what the row must land as
    line: int = 0


@dataclass
class Landed:
    path: Path
    records: list[Record]

    def of(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]


def csv_line(fields: list[str]) -> str:
    out = io.StringIO()
    # "\r\n" as the writer's line end: a field holding a newline is quoted
    csv.writer(out, lineterminator="\r\n").writerow(fields)
    return out.getvalue().removesuffix("\r\n")


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# --- text --------------------------------------------------------------------

# Letters and marks a union's members write, in both languages and beyond;
# no control characters, no lone carriage returns (a line end of its own).
CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    include_characters="\n",
)
LATIN = st.sampled_from([*"abcdeéèêëàâçôöüïœæÉÈÊÀÇÔßñÑ’“”€…«» -'.,;:!?\"", "\n"])


def free_text(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(st.one_of(CHARS, LATIN), max_size=max_size)


FULL_WIDTH = {c: chr(ord(c) - 0x21 + 0xFF01) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


@st.composite
def keyword_body(draw) -> tuple[str, str]:
    """A keyword as people type it (case, accents decomposed, full width, punctuation, emoji)."""
    action = draw(st.sampled_from(["opt_out", "opt_in"]))
    base = draw(st.sampled_from(ingest.OPT_OUT_KEYWORDS if action == "opt_out" else ingest.OPT_IN_KEYWORDS))
    word = "".join(c.lower() if draw(st.booleans()) else c for c in base)
    if draw(st.booleans()):
        word = "".join(FULL_WIDTH.get(c, c) if draw(st.booleans()) else c for c in word)
    if draw(st.booleans()):
        word = unicodedata.normalize("NFD", word)
    if draw(st.booleans()):
        word = "\u200b" + word + "\u200d"
    around = st.text(st.sampled_from([*" .!?,;:«»-…'\"()*", "🛑", "\u3000", "\n"]), max_size=3)
    return draw(around) + word + draw(around), action


def chatter() -> st.SearchStrategy[str]:
    """A reply that is never a keyword: words with a space between them."""
    return st.builds(lambda a, b: f"{a} call me {b}", free_text(8), free_text(8))


# --- dates -------------------------------------------------------------------


def date_text(moment: dt.datetime, style: str) -> str:
    """`moment` (UTC) written the way one of the exports writes dates."""
    if style == "rfc":
        return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    if style == "rfc_offset":
        return (moment - dt.timedelta(hours=4)).strftime("%a, %d %b %Y %H:%M:%S -0400")
    if style == "iso_ms_z":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if style == "iso_offset":
        return (moment - dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S-04:00")
    return moment.strftime("%Y-%m-%d %H:%M:%S")  # naive = UTC


DATE_STYLES = st.sampled_from(["rfc", "rfc_offset", "iso_ms_z", "iso_offset", "naive"])
BAD_DATES = st.sampled_from(
    ["yesterday", "2026-02-30 10:00:00", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "0", "NaN", ""]
)
EXTREME_INTEGERS = st.sampled_from(["1e400", "99999999999", "NaN", "inf", "-", "12abc"])


# --- files -------------------------------------------------------------------


@st.composite
def damage(draw, records: list[Record], header: list[str], width: int) -> tuple[list[Record], dict]:
    """Garbage lines, blank lines and a truncated last record, mixed into `records`."""
    out = list(records)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["too_many", "too_few", "text", "blank"]))
        if kind == "blank":
            garbage = Record("blank", "")
        elif kind == "text":
            # one field, no quotes, no spaces: never a row, never a blank line
            letters = st.characters(
                codec="utf-8", exclude_categories=("Cs", "Cc", "Z"), exclude_characters=',"'
            )
            garbage = Record("bad", draw(st.text(letters, min_size=1, max_size=20)))
        else:
            fields = [draw(free_text(6)) for _ in range(width)]
            fields[0] = "x" + fields[0]  # never a blank line
            fields = (
                [*fields, "extra", "more"]
                if kind == "too_many"
                else fields[: draw(st.integers(1, width - 1))]
            )
            garbage = Record("bad", csv_line(fields))
        out.insert(draw(st.integers(0, len(out))), garbage)
    return out, {
        "eol": draw(st.sampled_from(["\n", "\r\n"])),
        "final_eol": draw(st.booleans()),
        "gzip": draw(st.booleans()),
        "truncate_at": draw(st.floats(0.05, 0.95)) if draw(st.booleans()) else None,
        "encoding_pick": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
    }


def write(folder: Path, name: str, header: list[str], records: list[Record], how: dict) -> Landed:
    """Render the file, number the lines, damage it as `how` says, write it."""
    eol = how["eol"]
    records = list(records)
    if how["truncate_at"] is not None and records and records[-1].kind in ("good", "truncated"):
        last = records[-1]
        cut = max(1, min(len(last.text) - 1, int(len(last.text) * how["truncate_at"])))
        if len(last.text) > 1:
            records[-1] = Record("truncated", last.text[:cut], last.key, last.values)
    line = 2
    for record in records:
        record.line = line
        line += record.text.count("\n") + 1
    text = eol.join([csv_line(header)] + [r.text for r in records])
    truncated = bool(records) and records[-1].kind == "truncated"
    if how["final_eol"] and not truncated:
        text += eol
    encoding = how["encoding_pick"] if encodable(text, "cp1252") else "utf-8"
    data = text.encode(encoding)
    path = folder / (name + (".gz" if how["gzip"] else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if how["gzip"] else data)
    return Landed(path, records)


def row(header: list[str], names: dict[str, tuple[str, ...]], values: dict[str, str]) -> list[str]:
    """A record's fields in the header's order, from canonical names."""
    by_spelling = {
        spelling: values.get(name, "") for name, spellings in names.items() for spelling in spellings
    }
    return [by_spelling.get(h, CONSTANTS.get(h, "")) for h in header]
