"""Action Network API v2: pull people into `raw.people`, push segment members as a tag.

Plain code with no Dagster in it, over the standard library's `urllib`.

- Every request carries the `OSDI-API-Token` header and speaks HAL+JSON.
- At most `rate` requests a second (Action Network allows 4), spaced evenly.
- 429 and 5xx (and a dropped connection) are retried with exponential
  backoff, honouring `Retry-After`; when retries run out the call raises
  `Unavailable` and a push stops there (a crash, as far as the ledger knows).
- Pull: `GET people`, 25 a page, following `_links.next` until
  `_embedded["osdi:people"]` comes back empty; incremental with
  `filter=modified_date gt '…'` from the latest `modified_date` seen before.
  People land through `ingest.load_people_records`: the same normalisation
  as the CSV export.
- Push: the person signup helper (`POST people` with `person` and
  `add_tags`), sending only the identifier Action Network matches on — the
  email for an email segment, the phone for an SMS one — and never a
  subscription status, so a push opts nobody in or out. A ledger
  (`segments.push_log`) records each person as pushed the moment the API
  accepts them; a resumed push skips those, so nobody is pushed twice. (A
  crash in the instant between Action Network's answer and the ledger write
  would re-send that one person; the signup helper adding a tag it already
  has changes nothing there.)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import duckdb

from pipelines.lib import ingest
from pipelines.lib import segments as seg

DEFAULT_URL = "https://actionnetwork.org/api/v2/"
PEOPLE_KEY = "osdi:people"
MAX_PAGES = 100_000  # a bound on pagination, far above any real list (25 a page)

PULLS_DDL = """
create table if not exists raw.actionnetwork_pulls (
    pulled_at timestamp, modified_since varchar, latest_modified varchar,
    requests bigint, people bigint
);
"""


class ActionNetworkError(Exception):
    """A request Action Network refused (4xx other than 429); retrying would not help."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class Unavailable(Exception):
    """Action Network kept answering 429/5xx (or could not be reached) after every retry."""


class Client:
    """A small Action Network API v2 client: rate-limited, retrying, same-origin only."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        rate: float = 4.0,
        retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not token:
            raise ValueError("an Action Network API token is needed")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._origin = urllib.parse.urlsplit(self.base_url)[:2]
        self._token = token
        self.interval = 1.0 / rate
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self.requests = 0

    def url(self, path: str, params: dict | None = None) -> str:
        url = urllib.parse.urljoin(self.base_url, path)
        if urllib.parse.urlsplit(url)[:2] != self._origin:
            # Never send the token to another host, whatever a `next` link says.
            raise ActionNetworkError(0, f"refusing to follow a link off {self.base_url}: {url}")
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return url

    def _throttle(self) -> None:
        if self._last is not None:
            wait = self._last + self.interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last = self._clock()

    def request(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> dict:
        url = self.url(path, params)
        data = None if body is None else json.dumps(body).encode()
        headers = {
            "OSDI-API-Token": self._token,
            "Accept": "application/hal+json",
            "Content-Type": "application/json",
        }
        last_problem = ""
        for attempt in range(self.retries + 1):
            self._throttle()
            self.requests += 1
            wait = None
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method=method)
                with urllib.request.urlopen(req, timeout=self.timeout) as response:
                    raw = response.read()
                    return json.loads(raw) if raw.strip() else {}
            except urllib.error.HTTPError as exc:
                detail = _error_text(exc)
                if exc.code != 429 and exc.code < 500:
                    raise ActionNetworkError(exc.code, detail) from None
                last_problem = f"HTTP {exc.code}: {detail}"
                wait = _retry_after(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_problem = f"cannot reach {self.base_url}: {getattr(exc, 'reason', exc)}"
            if attempt == self.retries:
                break
            if wait is None:
                wait = self.backoff * 2**attempt
            self._sleep(min(wait, self.max_wait))
        raise Unavailable(f"{method} {url}: {last_problem} (after {self.retries + 1} tries)")

    # --- people ---------------------------------------------------------

    def iter_people(self, modified_since: str | None = None) -> Iterator[dict]:
        """Every person resource, page by page (25 a page), until a page comes back empty."""
        params = {"filter": f"modified_date gt '{modified_since}'"} if modified_since else None
        path: str | None = "people"
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if path is None:
                return
            page = self.request("GET", path, params=params)
            people = (page.get("_embedded") or {}).get(PEOPLE_KEY) or []
            if not people:
                return
            yield from people
            href = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not href or href in seen:
                return
            seen.add(href)
            path, params = href, None  # the next link carries the page and the filter
        raise Unavailable(f"more than {MAX_PAGES} pages of people: stopping")

    def signup(self, person: dict, tags: list[str]) -> dict:
        """The person signup helper: match (or create) a person and add tags."""
        return self.request("POST", "people", body={"person": person, "add_tags": tags})


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read().decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    try:
        doc = json.loads(text)
        text = doc.get("error") or doc.get("message") or text
    except (ValueError, AttributeError):
        pass
    return (str(text) or exc.reason or "error").splitlines()[0][:200]


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


# --- pull -------------------------------------------------------------------


def _primary(items) -> dict:
    items = [i for i in items or [] if isinstance(i, dict)]
    for item in items:
        if item.get("primary"):
            return item
    return items[0] if items else {}


def person_record(resource: dict) -> dict:
    """An API person resource as a row of the activist export (ingest.PEOPLE_COLUMNS)."""
    uuid = None
    for identifier in resource.get("identifiers") or []:
        if isinstance(identifier, str) and identifier.startswith("action_network:"):
            uuid = identifier.removeprefix("action_network:")
            break
    email_address = _primary(resource.get("email_addresses"))
    phone = _primary(resource.get("phone_numbers"))
    address = _primary(resource.get("postal_addresses"))
    custom = resource.get("custom_fields") or {}
    spoken = resource.get("languages_spoken") or []
    return {
        "uuid": uuid,
        "first_name": resource.get("given_name"),
        "last_name": resource.get("family_name"),
        "email": email_address.get("address"),
        "can2_phone": phone.get("number"),
        "zip_code": address.get("postal_code"),
        "can2_user_city": address.get("locality"),
        "can2_state_abbreviated": address.get("region"),
        "can2_country": address.get("country"),
        "can2_subscription_status": email_address.get("status"),
        "can2_sms_status": phone.get("status"),
        "affiliate": custom.get("affiliate"),
        "language": custom.get("language") or (spoken[0] if spoken else None),
        "federal_district": custom.get("federal_district"),
        "state_district": custom.get("state_district"),
    }


@dataclass
class PullResult:
    people: int = 0
    modified_since: str | None = None
    latest_modified: str | None = None
    load: ingest.LoadResult | None = None

    def metadata(self) -> dict:
        meta = {"people": self.people, "modified_since": self.modified_since or "(full pull)"}
        if self.load is not None:
            meta.update(self.load.metadata())
        return meta


def pull_people(con: duckdb.DuckDBPyConnection, client: Client, full: bool = False) -> PullResult:
    """Pull people changed since the last pull (all of them the first time) into raw.people."""
    ingest.ensure_raw_schema(con)
    con.execute(PULLS_DDL)
    since = None
    if not full:
        since = con.sql("select max(latest_modified) from raw.actionnetwork_pulls").fetchall()[0][0]
    result = PullResult(modified_since=since)
    records, latest = [], since
    for resource in client.iter_people(since):
        records.append(person_record(resource))
        modified = resource.get("modified_date")
        if isinstance(modified, str) and (latest is None or modified > latest):
            latest = modified
    result.people = len(records)
    result.latest_modified = latest
    label = "actionnetwork-api:people" + (f" modified_date gt '{since}'" if since else "")
    result.load = ingest.load_people_records(con, records, "people", label)
    con.execute(
        "insert into raw.actionnetwork_pulls values (?, ?, ?, ?, ?)",
        [seg._now(), since, latest, client.requests, len(records)],
    )
    return result


# --- push -------------------------------------------------------------------


@dataclass
class PushSummary:
    segment_id: str
    tag: str
    pushed: int = 0
    skipped: int = 0  # pushed by an earlier run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (person_id, reason)
    held_out: int = 0  # control members: never sent
    unreachable: int = 0  # treatment members not reachable on the channel now: never sent
    aborted: str | None = None  # why the run stopped early (Action Network unavailable)

    def metadata(self) -> dict:
        reasons: dict[str, int] = {}
        for _, reason in self.failed:
            reasons[reason] = reasons.get(reason, 0) + 1
        return {
            "pushed": self.pushed,
            "skipped": self.skipped,
            "failed": len(self.failed),
            "held_out": self.held_out,
            "unreachable": self.unreachable,
            **({"aborted": self.aborted} if self.aborted else {}),
            **{f"failed: {r[:60]}": n for r, n in reasons.items()},
        }

    def line(self) -> str:
        text = (
            f"{self.segment_id}: {self.pushed} pushed, {self.skipped} already pushed, "
            f"{len(self.failed)} failed, {self.held_out} held out, {self.unreachable} unreachable"
        )
        return text + (f"; stopped: {self.aborted}" if self.aborted else "")


class PushAborted(Exception):
    """A push stopped early; what was pushed is in the ledger and a rerun resumes."""

    def __init__(self, summary: PushSummary):
        super().__init__(summary.line())
        self.summary = summary


def person_payload(channel: str, identifier: str) -> dict:
    """The `person` of a signup: only the identifier Action Network matches on, no status."""
    if channel == "email":
        return {"email_addresses": [{"address": identifier}]}
    return {"phone_numbers": [{"number": identifier}]}


def push_segment(
    con: duckdb.DuckDBPyConnection, client: Client, segment: seg.Segment, now: dt.datetime | None = None
) -> PushSummary:
    """Tag the segment's current treatment members (reachable now) in Action Network, resumably.

    Raises PushAborted (carrying the summary) when Action Network stays unavailable.
    """
    seg.ensure_schema(con)
    ident = seg.CHANNEL_COLUMNS[segment.channel][0]
    rows = seg.export_rows(con, segment).select(["person_id", ident]).to_pylist()
    done = {
        p
        for (p,) in con.execute(
            "select person_id from segments.push_log where segment_id = ? and tag = ? and status = 'pushed'",
            [segment.id, segment.tag],
        ).fetchall()
    }
    summary = PushSummary(segment.id, segment.tag, **seg.not_sent(con, segment))

    def log(person_id: str, identifier: str, status: str, reason: str | None) -> None:
        con.execute(
            "insert into segments.push_log values (?, ?, ?, ?, ?, ?, ?)",
            [segment.id, person_id, segment.tag, identifier, status, reason, now or seg._now()],
        )

    for row in rows:
        person_id, identifier = row["person_id"], row[ident]
        if person_id in done:
            summary.skipped += 1
            continue
        try:
            client.signup(person_payload(segment.channel, identifier), [segment.tag])
        except ActionNetworkError as exc:
            summary.failed.append((person_id, str(exc)))
            log(person_id, identifier, "failed", str(exc))
            continue
        except Unavailable as exc:
            summary.aborted = str(exc)
            raise PushAborted(summary) from exc
        log(person_id, identifier, "pushed", None)
        done.add(person_id)
        summary.pushed += 1
    return summary
