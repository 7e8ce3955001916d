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
  subscription status, so a push opts nobody in or out.
- Exactly once, as Action Network sees it. The ledger (`segments.push_log`,
  append-only, ordered by `seq`) gets a `pending` row — the intent — *before*
  each signup request, and a `pushed` (or `failed`) row after the answer. A
  signup is never blindly re-sent when its outcome is unknown (a 5xx, a
  dropped connection or a timeout after the request went out, or a kill
  between the request and the ledger row): the person is looked up first
  (`GET people?filter=email_address eq '…'` or `phone_number eq '…'`, then
  the person's taggings, against the tag's id from `GET tags`), and only a
  person who does not carry the tag is sent again. A 429, or a connection
  that could not be opened, means the request was not taken: that is retried
  as before. Each ledger row names its `action` (`add_tag`; a mirror mode can
  add `remove_tag` rows to the same ledger).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
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
TAGS_KEY = "osdi:tags"
TAGGINGS_KEY = "osdi:taggings"
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


class OutcomeUnknown(Unavailable):
    """A request that changes something went out and no answer came back (5xx, dropped, timed out).

    It may or may not have been applied: the caller checks before sending it again.
    """


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
        self._tags: dict[str, str] = {}  # tag name → its link, once seen

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

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        params: dict | None = None,
        *,
        resend_unknown: bool = True,
    ) -> dict:
        """One API call, retried on 429 and on a connection that could not be opened.

        5xx, a dropped connection and a timeout after the request went out are
        retried too when `resend_unknown` (reads); otherwise (a signup) they
        raise OutcomeUnknown at once, since the request may have been applied.
        """
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
            unknown = False
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
                unknown = exc.code != 429  # a 429 was refused before anything was done
            except urllib.error.URLError as exc:
                # urllib wraps what fails while connecting and sending: nothing was taken.
                last_problem = f"cannot reach {self.base_url}: {getattr(exc, 'reason', exc)}"
            except (TimeoutError, ConnectionError, http.client.HTTPException, ValueError) as exc:
                # The request went out; the answer was lost, cut short or garbled.
                last_problem = f"no answer from {self.base_url}: {type(exc).__name__}: {exc}"[:300]
                unknown = True
            if unknown and not resend_unknown:
                raise OutcomeUnknown(f"{method} {url}: {last_problem} (outcome unknown)")
            if attempt == self.retries:
                break
            if wait is None:
                wait = self.backoff * 2**attempt
            self._sleep(min(wait, self.max_wait))
        raise Unavailable(f"{method} {url}: {last_problem} (after {self.retries + 1} tries)")

    def pause(self, attempt: int) -> None:
        """The backoff before attempt number `attempt` + 1 of something the caller retries."""
        self._sleep(min(self.backoff * 2**attempt, self.max_wait))

    def iter_pages(self, path: str, key: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a paged collection (`_embedded[key]`), following `_links.next`."""
        next_path: str | None = path
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            if next_path is None:
                return
            page = self.request("GET", next_path, params=params)
            items = (page.get("_embedded") or {}).get(key) or []
            if not items:
                return
            yield from items
            href = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not href or href in seen:
                return
            seen.add(href)
            next_path, params = href, None  # the next link carries the page and the filter
        raise Unavailable(f"more than {MAX_PAGES} pages of {key}: stopping")

    # --- people ---------------------------------------------------------

    def iter_people(self, modified_since: str | None = None) -> Iterator[dict]:
        """Every person resource, page by page (25 a page), until a page comes back empty."""
        params = {"filter": f"modified_date gt '{modified_since}'"} if modified_since else None
        yield from self.iter_pages("people", PEOPLE_KEY, params)

    def signup(self, person: dict, tags: list[str]) -> dict:
        """The person signup helper: match (or create) a person and add tags.

        Sent once: an unknown outcome raises OutcomeUnknown (see `has_tag`).
        """
        body = {"person": person, "add_tags": tags}
        return self.request("POST", "people", body=body, resend_unknown=False)

    def find_person(self, channel: str, identifier: str) -> dict | None:
        """The person Action Network matches on this email (or phone), or None."""
        field_name = "email_address" if channel == "email" else "phone_number"
        quoted = identifier.replace("'", "''")
        for person in self.iter_pages("people", PEOPLE_KEY, {"filter": f"{field_name} eq '{quoted}'"}):
            return person
        return None

    def tag_href(self, name: str) -> str | None:
        """The tag's own link (`…/tags/<id>`), or None when no tag has that name yet."""
        cached = self._tags.get(name)
        if cached:
            return cached
        for tag in self.iter_pages("tags", TAGS_KEY):
            if tag.get("name") == name:
                href = ((tag.get("_links") or {}).get("self") or {}).get("href")
                if href:
                    self._tags[name] = _tail(href)
                    return self._tags[name]
        return None

    def has_tag(self, channel: str, identifier: str, tag: str) -> bool:
        """Whether the person with this identifier carries the tag now (reads only; retried)."""
        wanted = self.tag_href(tag)
        if wanted is None:
            return False
        person = self.find_person(channel, identifier)
        if person is None:
            return False
        links = person.get("_links") or {}
        href = (links.get("osdi:taggings") or {}).get("href")
        if not href:
            uuid = person_record(person)["uuid"]
            if not uuid:
                return False
            href = f"people/{uuid}/taggings"
        for tagging in self.iter_pages(href, TAGGINGS_KEY):
            tag_link = ((tagging.get("_links") or {}).get("osdi:tag") or {}).get("href")
            if tag_link and _tail(tag_link) == wanted:
                return True
        return False


def _tail(href: str) -> str:
    """A resource link without scheme and host, for comparing links: `api/v2/tags/<id>`."""
    return urllib.parse.urlsplit(href).path.strip("/")


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


ADD_TAG = "add_tag"  # the ledger's actions: add_tag, and remove_tag (mirror mode, below)


@dataclass
class PushSummary:
    segment_id: str
    tag: str
    pushed: int = 0
    skipped: int = 0  # pushed by an earlier run
    confirmed: int = 0  # outcome unknown (lost answer, killed run): found tagged, not sent again
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
            "confirmed": self.confirmed,
            "failed": len(self.failed),
            "held_out": self.held_out,
            "unreachable": self.unreachable,
            **({"aborted": self.aborted} if self.aborted else {}),
            **{f"failed: {r[:60]}": n for r, n in reasons.items()},
        }

    def line(self) -> str:
        text = (
            f"{self.segment_id}: {self.pushed} pushed, {self.skipped} already pushed, "
            + (f"{self.confirmed} found already tagged, " if self.confirmed else "")
            + f"{len(self.failed)} failed, {self.held_out} held out, {self.unreachable} unreachable"
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


class Ledger:
    """`segments.push_log` for one segment's tag: append-only, each row committed as it is written.

    A person's state is their latest row (by `seq`) for the action: `pushed`
    (done), `failed` (refused with a 4xx: sent again on a rerun), or
    `pending` — a request that went out, or may have, with no answer
    recorded: its outcome is unknown until Action Network is asked.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, segment: seg.Segment, action: str = ADD_TAG):
        seg.ensure_schema(con)
        self.con, self.segment, self.action = con, segment, action
        self.seq = con.execute("select coalesce(max(seq), 0) from segments.push_log").fetchall()[0][0]

    def states(self) -> dict[str, str]:
        rows = self.con.execute(
            """
            select person_id, arg_max(status, (coalesce(seq, 0), pushed_at)) as status,
                   bool_or(status = 'pushed') as ever_pushed
            from segments.push_log
            where segment_id = ? and tag = ? and coalesce(action, 'add_tag') = ?
            group by person_id
            """,
            [self.segment.id, self.segment.tag, self.action],
        ).fetchall()
        return {p: "pushed" if ever else status for p, status, ever in rows}

    def write(self, person_id: str, identifier: str, status: str, reason: str | None, at) -> None:
        self.seq += 1
        self.con.execute(
            """
            insert into segments.push_log
                (segment_id, person_id, tag, identifier, status, reason, pushed_at, action, seq)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                self.segment.id,
                person_id,
                self.segment.tag,
                identifier,
                status,
                reason,
                at,
                self.action,
                self.seq,
            ],
        )


def push_segment(
    con: duckdb.DuckDBPyConnection, client: Client, segment: seg.Segment, now: dt.datetime | None = None
) -> PushSummary:
    """Tag the segment's current treatment members (reachable now) in Action Network, exactly once.

    Resumable: a rerun skips the people pushed, checks the people left
    pending (a lost answer, a killed run) with Action Network before sending
    them again, and sends the rest. Raises PushAborted (carrying the summary)
    when Action Network stays unavailable.
    """
    ledger = Ledger(con, segment)
    ident = seg.CHANNEL_COLUMNS[segment.channel][0]
    rows = seg.export_rows(con, segment).select(["person_id", ident]).to_pylist()
    states = ledger.states()
    summary = PushSummary(segment.id, segment.tag, **seg.not_sent(con, segment))

    for row in rows:
        person_id, identifier = row["person_id"], row[ident]
        state = states.get(person_id)
        if state == "pushed":
            summary.skipped += 1
            continue
        try:
            outcome = _push_one(client, ledger, segment, person_id, identifier, state == "pending", now)
        except Unavailable as exc:
            summary.aborted = str(exc)
            raise PushAborted(summary) from exc
        states[person_id] = "pushed" if outcome in ("pushed", "confirmed") else "failed"
        if outcome == "pushed":
            summary.pushed += 1
        elif outcome == "confirmed":
            summary.confirmed += 1
        else:
            summary.failed.append((person_id, outcome))
    return summary


def _push_one(
    client: Client,
    ledger: Ledger,
    segment: seg.Segment,
    person_id: str,
    identifier: str,
    unknown: bool,
    now: dt.datetime | None,
) -> str:
    """Tag one person: "pushed", "confirmed" (found tagged after an unknown outcome) or the 4xx reason.

    Unavailable propagates with the person left `pending` (a rerun asks first).
    """
    for attempt in range(client.retries + 1):
        if unknown:
            if client.has_tag(segment.channel, identifier, segment.tag):
                ledger.write(
                    person_id,
                    identifier,
                    "pushed",
                    "found tagged after an unknown outcome",
                    now or seg._now(),
                )
                return "confirmed"
            if attempt:
                client.pause(attempt - 1)
        ledger.write(person_id, identifier, "pending", None, now or seg._now())  # the intent, first
        try:
            client.signup(person_payload(segment.channel, identifier), [segment.tag])
        except ActionNetworkError as exc:
            ledger.write(person_id, identifier, "failed", str(exc), now or seg._now())
            return str(exc)
        except OutcomeUnknown:
            unknown = True
            continue
        ledger.write(person_id, identifier, "pushed", None, now or seg._now())
        return "pushed"
    raise Unavailable(f"no answer to {client.retries + 1} signups of {person_id}, and none was applied")


# --- mirror: the tag follows the segment (adds and removals) ------------------
#
# Kept apart from the add-only push above. The ledger is the same
# `segments.push_log`, its one writer the sync: every row names its action
# (`add_tag` / `remove_tag`), and now the Action Network person id and the
# tagging id once known. The sync state per segment and person
# (`segments.sync_state`, a view) is the person's latest ledger row, so it
# can never disagree with the ledger. Each run writes one `segments.sync_runs`
# row (what it did) for the Follow-up page.

REMOVE_TAG = "remove_tag"


def _uuid(resource: dict) -> str | None:
    for identifier in resource.get("identifiers") or []:
        if isinstance(identifier, str) and identifier.startswith("action_network:"):
            return identifier.removeprefix("action_network:")
    href = ((resource.get("_links") or {}).get("self") or {}).get("href")
    return _tail(href).rsplit("/", 1)[-1] if href else None


def find_tagging(client: Client, person_id: str, tag: str) -> str | None:
    """The id of the person's tagging with this tag, or None (reads only; retried)."""
    wanted = client.tag_href(tag)
    if wanted is None:
        return None
    for tagging in client.iter_pages(f"people/{person_id}/taggings", TAGGINGS_KEY):
        links = tagging.get("_links") or {}
        tag_link = (links.get("osdi:tag") or {}).get("href")
        if tag_link and _tail(tag_link) == wanted:
            return _uuid(tagging)
    return None


def iter_tag_taggings(client: Client, tag: str) -> Iterator[tuple[str, str]]:
    """(person id, tagging id) of everyone carrying the tag (`GET tags/<id>/taggings`)."""
    wanted = client.tag_href(tag)
    if wanted is None:
        return
    for tagging in client.iter_pages(f"/{wanted}/taggings", TAGGINGS_KEY):
        person = ((tagging.get("_links") or {}).get("osdi:person") or {}).get("href")
        if person:
            yield _tail(person).rsplit("/", 1)[-1], _uuid(tagging)


def delete_tagging(client: Client, tag: str, tagging_id: str) -> None:
    """Remove a tag from a person: `DELETE tags/<tag id>/taggings/<tagging id>`, sent once.

    An unknown outcome (5xx, dropped) raises OutcomeUnknown; a 404 means it is gone already.
    """
    wanted = client.tag_href(tag)
    if wanted is None:
        raise ActionNetworkError(404, f"no tag named {tag!r}")
    client.request("DELETE", f"/{wanted}/taggings/{tagging_id}", resend_unknown=False)


@dataclass
class SyncState:
    """A person's latest ledger row for the segment's tag."""

    action: str  # add_tag / remove_tag
    status: str  # pending / pushed / failed
    identifier: str
    an_person_id: str | None
    tagging_id: str | None

    @property
    def holds(self) -> bool:
        """May carry the tag now: added, or an add or removal whose outcome is unknown or failed."""
        if self.action == ADD_TAG:
            return self.status in ("pushed", "pending")
        return self.status != "pushed"

    @property
    def settled(self) -> bool:
        return self.status == "pushed"


@dataclass
class SyncPlan:
    segment_id: str
    tag: str
    mode: str
    add: list[str]  # person ids to tag (or to check first)
    remove: list[str]  # person ids to untag (or to check first)
    check: list[str]  # not wanted, an earlier add failed: maybe tagged, asked before anything
    tagged_before: int  # people carrying the tag as the ledger knows it
    max_remove_pct: int | None  # None: no cap this run

    @property
    def over_cap(self) -> bool:
        if self.max_remove_pct is None or not self.remove:
            return False
        return len(self.remove) * 100 > self.max_remove_pct * max(self.tagged_before, 1)

    def line(self) -> str:
        cap = "no cap" if self.max_remove_pct is None else f"cap {self.max_remove_pct}%"
        text = (
            f"{self.segment_id}: would add {len(self.add)}, remove {len(self.remove)} "
            f"of {self.tagged_before} tagged ({self.mode}, {cap})"
        )
        return text + ("; over the cap: nothing would be sent" if self.over_cap else "")

    def refusal(self) -> str:
        pct = len(self.remove) * 100 / max(self.tagged_before, 1)
        return (
            f"{self.segment_id}: refusing to remove {len(self.remove)} of {self.tagged_before} tagged "
            f"({pct:.0f}% > {self.max_remove_pct}%); nothing sent. Check the build, then rerun with "
            f"--max-remove-pct {int(pct) + 1} or --allow-removals"
        )


@dataclass
class SyncSummary:
    segment_id: str
    tag: str
    mode: str
    added: int = 0
    removed: int = 0
    confirmed: int = 0  # found already as wanted after an unknown or failed outcome: nothing sent
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (person_id, reason)
    tagged_before: int = 0
    outcome: str = "done"  # done / stopped / refused
    reason: str | None = None

    def metadata(self) -> dict:
        return {
            "mode": self.mode,
            "added": self.added,
            "removed": self.removed,
            "confirmed": self.confirmed,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "outcome": self.outcome,
            **({"reason": self.reason} if self.reason else {}),
        }

    def line(self) -> str:
        if self.outcome == "refused":
            return self.reason or f"{self.segment_id}: refused"
        text = (
            f"{self.segment_id}: {self.added} added, {self.removed} removed, {self.unchanged} unchanged, "
            + (f"{self.confirmed} found as wanted, " if self.confirmed else "")
            + f"{len(self.failed)} failed ({self.mode})"
        )
        return text + (f"; stopped: {self.reason}" if self.outcome == "stopped" else "")


class SyncAborted(PushAborted):
    """A sync stopped early (Action Network unavailable); a rerun resumes from the ledger."""

    def __init__(self, summary: SyncSummary):
        Exception.__init__(self, summary.line())
        self.summary = summary


class SyncRefused(Exception):
    """The removals would exceed the segment's cap: nothing was sent."""

    def __init__(self, summary: SyncSummary):
        super().__init__(summary.line())
        self.summary = summary


def sync_states(con: duckdb.DuckDBPyConnection, segment: seg.Segment) -> dict[str, SyncState]:
    """Each person's latest ledger row for the segment's tag, both actions together."""
    try:
        rows = con.execute(
            f"""
            select person_id, last_request, last_action, identifier, an_person_id, tagging_id
            from ({seg.SYNC_STATE_SELECT}) where segment_id = ? and tag = ?
            """,
            [segment.id, segment.tag],
        ).fetchall()
    except duckdb.CatalogException:  # never pushed: no ledger yet
        return {}
    status = {"added": "pushed", "removed": "pushed", "pending": "pending", "failed": "failed"}
    return {p: SyncState(a, status[s], i, ap, tg) for p, a, s, i, ap, tg in rows}


def plan_sync(
    con: duckdb.DuckDBPyConnection,
    segment: seg.Segment,
    max_remove_pct: int | None = -1,
) -> tuple[SyncPlan, dict[str, str], dict[str, SyncState]]:
    """What a mirror run would do: (plan, wanted person → identifier, ledger states).

    Wanted: current treatment members reachable on the channel now (`export_rows`).
    `max_remove_pct` -1 means the segment's own cap; None no cap.
    """
    ident = seg.CHANNEL_COLUMNS[segment.channel][0]
    wanted = {
        r["person_id"]: r[ident]
        for r in seg.export_rows(con, segment).select(["person_id", ident]).to_pylist()
    }
    states = sync_states(con, segment)
    add = [p for p in wanted if not (p in states and states[p].action == ADD_TAG and states[p].settled)]
    remove = sorted(p for p, s in states.items() if p not in wanted and s.holds)
    check = sorted(
        p for p, s in states.items() if p not in wanted and s.action == ADD_TAG and s.status == "failed"
    )
    cap = segment.max_remove_pct if max_remove_pct == -1 else max_remove_pct
    tagged = sum(1 for s in states.values() if s.holds)
    plan = SyncPlan(segment.id, segment.tag, segment.sync_mode, add, remove, check, tagged, cap)
    return plan, wanted, states


def sync_segment(
    con: duckdb.DuckDBPyConnection,
    client: Client,
    segment: seg.Segment,
    *,
    max_remove_pct: int | None = -1,
    now: dt.datetime | None = None,
) -> SyncSummary:
    """Make the segment's tag in Action Network what the segment is now, per its mode.

    mirror: tag who is wanted and not tagged, untag who is tagged and not
    wanted (left, held out, or no longer reachable on the channel). At most
    one change request per person per run; a failed one is retried on the
    next run. Every change is written to the ledger as `pending` before its
    request; a person whose latest row is `pending` or `failed` is looked up
    in Action Network (their taggings) before anything is sent again, so a
    killed or cut-off run resumes without a double add or remove.
    add_only: the push above (`push_segment`), recorded as a run too.

    Raises SyncRefused (nothing sent) when the removals exceed the cap, and
    SyncAborted when Action Network stays unavailable.
    """
    started = now or seg._now()
    seg.ensure_schema(con)
    if segment.sync_mode == "add_only":
        return _add_only(con, client, segment, started)
    plan, wanted, states = plan_sync(con, segment, max_remove_pct)
    summary = SyncSummary(segment.id, segment.tag, segment.sync_mode, tagged_before=plan.tagged_before)
    if plan.over_cap:
        summary.outcome, summary.reason = "refused", plan.refusal()
        _record_run(con, summary, started)
        raise SyncRefused(summary)
    ledger = Ledger(con, segment, ADD_TAG)
    try:
        for person_id in plan.add:
            _mirror_add(
                client, ledger, segment, person_id, wanted[person_id], states.get(person_id), summary, now
            )
        for person_id in [*plan.remove, *plan.check]:
            _mirror_remove(client, ledger, segment, person_id, states[person_id], summary, now)
    except Unavailable as exc:
        summary.outcome, summary.reason = "stopped", str(exc)
        _record_run(con, summary, started)
        raise SyncAborted(summary) from exc
    summary.unchanged = len(wanted) - len(plan.add)
    _record_run(con, summary, started)
    return summary


def _write(ledger: Ledger, action: str, person_id: str, identifier: str, status: str, reason, now,
           an_person_id: str | None = None, tagging_id: str | None = None) -> None:  # fmt: skip
    ledger.seq += 1
    ledger.con.execute(
        """
        insert into segments.push_log (segment_id, person_id, tag, identifier, status, reason, pushed_at,
                                       action, seq, an_person_id, tagging_id)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [ledger.segment.id, person_id, ledger.segment.tag, identifier, status, reason,
         now or seg._now(), action, ledger.seq, an_person_id, tagging_id],
    )  # fmt: skip


def _lookup(client: Client, segment: seg.Segment, state: SyncState | None, identifier: str):
    """(Action Network person id, tagging id or None) as Action Network has them now."""
    an_person = state.an_person_id if state else None
    if not an_person:
        person = client.find_person(segment.channel, state.identifier if state else identifier)
        if person is None:
            return None, None
        an_person = _uuid(person)
    return an_person, find_tagging(client, an_person, segment.tag)


def _mirror_add(client, ledger, segment, person_id, identifier, state, summary, now) -> None:
    an_person = state.an_person_id if state else None
    if state is not None and not state.settled:
        # An add or removal whose outcome is unknown or that failed: ask before sending.
        an_person, tagging = _lookup(client, segment, state, identifier)
        if tagging:
            _write(ledger, ADD_TAG, person_id, identifier, "pushed", "found tagged", now, an_person, tagging)
            summary.confirmed += 1
            return
    _write(ledger, ADD_TAG, person_id, identifier, "pending", None, now, an_person)  # the intent, first
    try:
        answer = client.signup(person_payload(segment.channel, identifier), [segment.tag])
    except ActionNetworkError as exc:
        _write(ledger, ADD_TAG, person_id, identifier, "failed", str(exc), now, an_person)
        summary.failed.append((person_id, str(exc)))
        return
    except OutcomeUnknown as exc:
        _write(ledger, ADD_TAG, person_id, identifier, "failed", str(exc)[:300], now, an_person)
        summary.failed.append((person_id, str(exc)[:300]))
        return
    _write(ledger, ADD_TAG, person_id, identifier, "pushed", None, now, _uuid(answer) or an_person)
    summary.added += 1


def _mirror_remove(client, ledger, segment, person_id, state: SyncState, summary, now) -> None:
    an_person, tagging = _lookup(client, segment, state, state.identifier)
    if not tagging:
        # Not carrying the tag (never applied, or removed by an earlier answer that was lost).
        _write(ledger, REMOVE_TAG, person_id, state.identifier, "pushed", "found untagged", now, an_person)
        summary.confirmed += 1
        return
    _write(ledger, REMOVE_TAG, person_id, state.identifier, "pending", None, now, an_person, tagging)
    try:
        delete_tagging(client, segment.tag, tagging)
    except ActionNetworkError as exc:
        if exc.status == 404:  # gone already
            _write(ledger, REMOVE_TAG, person_id, state.identifier, "pushed", "already gone", now,
                   an_person, tagging)  # fmt: skip
            summary.confirmed += 1
            return
        _write(ledger, REMOVE_TAG, person_id, state.identifier, "failed", str(exc), now, an_person, tagging)
        summary.failed.append((person_id, str(exc)))
        return
    except OutcomeUnknown as exc:
        reason = str(exc)[:300]
        _write(ledger, REMOVE_TAG, person_id, state.identifier, "failed", reason, now, an_person, tagging)
        summary.failed.append((person_id, reason))
        return
    _write(ledger, REMOVE_TAG, person_id, state.identifier, "pushed", None, now, an_person, tagging)
    summary.removed += 1


def _add_only(con, client, segment, started) -> SyncSummary:
    summary = SyncSummary(segment.id, segment.tag, segment.sync_mode)
    try:
        pushed = push_segment(con, client, segment)
    except PushAborted as exc:
        pushed = exc.summary
        summary.outcome, summary.reason = "stopped", pushed.aborted
    summary.added, summary.confirmed, summary.unchanged = pushed.pushed, pushed.confirmed, pushed.skipped
    summary.failed = list(pushed.failed)
    _record_run(con, summary, started)
    if summary.outcome == "stopped":
        raise SyncAborted(summary)
    return summary


def _record_run(con: duckdb.DuckDBPyConnection, summary: SyncSummary, started: dt.datetime) -> None:
    con.execute(
        "insert into segments.sync_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [summary.segment_id, summary.tag, summary.mode, started, seg._now(), summary.outcome,
         summary.added, summary.removed, summary.confirmed, len(summary.failed), summary.tagged_before,
         summary.reason],
    )  # fmt: skip
