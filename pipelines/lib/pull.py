"""`rollcall pull`: Action Network people and actions → landing files, so one ingest path reads them.

Plain code with no Dagster in it, over `actionnetwork.Client` (≤ 4 requests a
second, backoff on 429 and 5xx, honouring Retry-After).

- People: `GET people` (25 a page; `filter=modified_date gt '…'` after the
  first pull) written as one activist-export CSV,
  `people/pulled-<UTC time>.csv`, in the export's own columns
  (`ingest.PEOPLE_COLUMNS`): ingest reads it like any export and replaces only
  the people whose row changed. Its watermark is `people/.pull-state.json`.
- Actions: for every page campaigns.yml lists under `actions:`, its
  signatures, submissions, attendances or outreaches modified since that
  page's watermark, each API page body written as it came, one file each:
  `actionnetwork_actions/pull-<UTC time>/<nnnnnn>-<kind>-<page uuid>-p<nnnn>.json`
  (the numbers run in pull order, so the files sort in the order they were
  pulled and two pulls never share a name).
- Resumable without a gap. Every file is written to a hidden temporary,
  fsynced and renamed into place (and the folder fsynced) before the state
  (`actionnetwork_actions/.pull-state.json`, written the same way) records it.
  A page's watermark — the latest `modified_date` its records carry — moves
  only once its whole collection has been read: the API does not promise to
  list records in `modified_date` order, so a crash part-way re-reads the
  collection from the old watermark. The state lists the digests of the files
  already written for that unfinished read, and a page body identical to one
  of them is not written again; a record that changed meanwhile lands again,
  which is harmless (ingest keeps one copy per action, the latest).
- A page Action Network answers 404 for (deleted) is reported and skipped;
  any other refusal, or Action Network staying unavailable, stops the pull
  (a rerun resumes).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib import actionnetwork as an
from pipelines.lib import ingest
from pipelines.lib.campaigns import parse_registry

STATE_FILE = ".pull-state.json"
# page kind → (API path of such pages, its collection of actions)
COLLECTIONS = {
    "petition": ("petitions", "signatures"),
    "form": ("forms", "submissions"),
    "event": ("events", "attendances"),
    "advocacy_campaign": ("advocacy_campaigns", "outreaches"),
}


class PullError(Exception):
    """A pull that cannot start (a damaged state file); the message is one line naming the file."""


@dataclass
class PullSummary:
    people: int = 0
    people_file: Path | None = None
    pages: int = 0  # action pages (petitions, forms, …) read
    records: int = 0  # action records received
    files: int = 0  # page bodies written
    repeated: int = 0  # page bodies not written again (identical to one written before a crash)
    missing: list[str] = field(default_factory=list)  # pages Action Network no longer has
    requests: int = 0

    def line(self) -> str:
        people = f"{self.people:,} people" + (f" → {self.people_file}" if self.people_file else "")
        text = (
            f"{people}; {self.records:,} actions from {self.pages} pages in {self.files} files"
            f" ({self.requests:,} requests)"
        )
        if self.missing:
            text += f"; not found: {', '.join(self.missing)}"
        return text


def pull(landing: Path, client: an.Client, now: Callable[[], dt.datetime] | None = None) -> PullSummary:
    """People, then every listed page's actions, changed since the last pull, into `landing`."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    summary = PullSummary()
    pull_people(landing, client, summary, clock())
    pull_actions(landing, client, summary, clock())
    summary.requests = client.requests
    return summary


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def write_durably(path: Path, data: bytes) -> None:
    """`data` at `path`, all or nothing: a hidden temporary, fsynced, renamed, the folder fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.pulling")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise PullError(f"{path}: not a pull state ({exc}); move it aside to pull everything again") from None
    return state if isinstance(state, dict) else {}


def _save_state(path: Path, state: dict) -> None:
    write_durably(path, (json.dumps(state, indent=1, sort_keys=True) + "\n").encode())


def _later(current: str | None, candidate) -> str | None:
    """The later of two `modified_date`s as given (compared as instants; an unreadable one is ignored)."""
    new = ingest._an_datetime(candidate)
    if new is None:
        return current
    old = ingest._an_datetime(current) if current else None
    return candidate if old is None or new > old else current


def _clear_leftovers(folder: Path) -> None:
    """Temporaries a killed pull left behind (never read by ingest: hidden)."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.pulling"):
            leftover.unlink(missing_ok=True)


# --- people ---------------------------------------------------------------------


def pull_people(landing: Path, client: an.Client, summary: PullSummary, moment: dt.datetime) -> None:
    folder = landing / "people"
    state_path = folder / STATE_FILE
    _clear_leftovers(folder)
    state = _read_state(state_path)
    since = state.get("modified_since")
    rows, latest = [], since
    for resource in client.iter_people(since):
        rows.append(an.person_record(resource))
        latest = _later(latest, resource.get("modified_date"))
    summary.people = len(rows)
    if rows:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ingest.PEOPLE_COLUMNS)
        writer.writerows([["" if r.get(c) is None else r[c] for c in ingest.PEOPLE_COLUMNS] for r in rows])
        summary.people_file = folder / f"pulled-{_stamp(moment)}.csv"
        write_durably(summary.people_file, out.getvalue().encode("utf-8"))
    if latest != since:
        _save_state(state_path, {"modified_since": latest})


# --- actions --------------------------------------------------------------------


def pull_actions(landing: Path, client: an.Client, summary: PullSummary, moment: dt.datetime) -> None:
    registry = landing / "campaigns.yml"
    if not registry.exists():
        return
    _, _, listed = parse_registry(registry)
    pages = list(dict.fromkeys((p["page_kind"], p["page_id"]) for p in listed))
    folder = landing / "actionnetwork_actions"
    state_path = folder / STATE_FILE
    _clear_leftovers(folder)
    state = _read_state(state_path)
    state.setdefault("pages", {})
    out = folder / f"pull-{_stamp(moment)}"
    written_here = 0
    for page_kind, page_id in pages:
        key = f"{page_kind}/{page_id}"
        entry = state["pages"].get(key) or {}
        since = entry.get("modified_since")
        unfinished = entry.get("unfinished") or {}
        # bodies written by a pull that stopped part-way through this same read
        done = set(unfinished.get("files", [])) if unfinished.get("since") == since else set()
        base, collection = COLLECTIONS[page_kind]
        params = {"filter": f"modified_date gt '{since}'"} if since else None
        next_path: str | None = f"{base}/{page_id}/{collection}"
        latest, seen_links = since, set()
        try:
            for number in range(1, an.MAX_PAGES + 1):
                if next_path is None:
                    break
                body = client.request("GET", next_path, params=params)
                records = (body.get("_embedded") or {}).get(f"osdi:{collection}") or []
                if not records:
                    break
                data = (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8")
                digest = hashlib.sha256(data).hexdigest()
                if digest in done:
                    summary.repeated += 1
                else:
                    written_here += 1
                    name = f"{written_here:06d}-{page_kind}-{page_id}-p{number:04d}.json"
                    write_durably(out / name, data)
                    done.add(digest)
                    entry["unfinished"] = {"since": since, "files": sorted(done)}
                    state["pages"][key] = entry
                    _save_state(state_path, state)
                    summary.files += 1
                summary.records += len(records)
                for record in records:
                    if isinstance(record, dict):
                        latest = _later(latest, record.get("modified_date"))
                href = ((body.get("_links") or {}).get("next") or {}).get("href")
                if not href or href in seen_links:
                    break
                seen_links.add(href)
                next_path, params = href, None  # the next link carries the page and the filter
        except an.ActionNetworkError as exc:
            if exc.status != 404:
                raise
            summary.missing.append(key)
            continue
        summary.pages += 1
        state["pages"][key] = {"modified_since": latest}  # the whole collection is read: move on
        _save_state(state_path, state)
