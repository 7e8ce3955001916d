"""A local HTTP server that behaves like Action Network's API v2, for the tests.

Real HTTP on 127.0.0.1 (stdlib http.server in a thread), not mocked calls:
HAL+JSON, the OSDI-API-Token header, 25 people a page with `_links.next`
down to a trailing empty page, `filter=modified_date gt '…'`, and the person
signup helper (POST people with `person` and `add_tags`), idempotent on the
email (or phone) like the real one: it matches or creates the person, creates
the tag the first time, and tags. What a push checks after a lost answer is
there too: `filter=email_address eq '…'` (or `phone_number eq '…'`) on
people, `GET tags`, and a person's `taggings`.

Faults, for the tests that attack: a 429 with Retry-After every n-th request;
an outage (500) for a while after a number of signups; and `chaos(seed, …)`,
which answers requests at random with a 429, a 500 or a dropped connection —
each 500 and dropped connection either before the request is applied or
*after* it (the answer is lost, the tagging is done). Every request is
recorded, and `signups[identifier]` / `tagged[(identifier, tag)]` count each
person's signup requests received and taggings applied; `removed[(identifier,
tag)]` counts taggings deleted (`DELETE tags/<tag>/taggings/<id>`, listed with
`GET tags/<tag>/taggings` or a person's `taggings`).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token"
PER_PAGE = 25
DROP = 0  # a status that means: close the connection without answering
FAULTS = ("429", "500-before", "500-after", "drop-before", "drop-after")
# API path of a kind of page → (page kind, its collection of actions)
ACTION_COLLECTIONS = {
    "petitions": ("petition", "signatures"),
    "forms": ("form", "submissions"),
    "events": ("event", "attendances"),
    "advocacy_campaigns": ("advocacy_campaign", "outreaches"),
}


class FakeActionNetwork:
    def __init__(self, people: list[dict] | None = None, token: str = TOKEN):
        self.people = list(people or [])
        self.token = token
        self.requests: list[dict] = []
        self.tagged: Counter = Counter()  # (identifier, tag) → times a signup added it
        self.throttle_every: int | None = None  # answer 429 to every n-th request
        self.retry_after = "0"
        self.outage_after_signups: int | None = None  # go down after this many signups …
        self.outage_requests = 0  # … for this many requests
        self.reject = set()  # identifiers answered with 400
        self.signups: Counter = Counter()  # identifier → signup requests received (any answer)
        self.persons: dict[str, dict] = {}  # identifier → person resource made by a signup
        self.taggings: dict[str, set[str]] = {}  # person uuid → tag ids
        self.tag_ids: dict[str, str] = {}  # tag name → id
        self.answer_delay = 0.0  # seconds a signup's answer waits after the tagging is done
        self.faults_seen: Counter = Counter()  # fault kind → times injected
        self._chaos: random.Random | None = None
        self._fault_rates: dict[str, float] = {}
        self._signups = 0
        self._init_taggings()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v2/"

    def __enter__(self) -> FakeActionNetwork:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def chaos(self, seed: int, *, p429: float = 0.0, p500: float = 0.0, pdrop: float = 0.0) -> None:
        """Answer requests at random with faults (seeded): 429; 500 or a dropped connection, half
        of them before the request is applied and half after (the answer lost, the work done)."""
        self._chaos = random.Random(seed)
        self._fault_rates = {
            "429": p429,
            "500-before": p500 / 2,
            "500-after": p500 / 2,
            "drop-before": pdrop / 2,
            "drop-after": pdrop / 2,
        }

    def _fault(self) -> str | None:
        if self._chaos is None:
            return None
        roll = self._chaos.random()
        for kind in FAULTS:
            roll -= self._fault_rates[kind]
            if roll < 0:
                return kind
        return None

    def bodies(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["method"] == "POST" and r["body"] is not None]

    # --- behaviour --------------------------------------------------------

    def _answer(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        with self._lock:
            n = len(self.requests)
            if method == "POST" and isinstance(body, dict):
                identifier = _identifier(body.get("person") or {})
                if identifier:
                    self.signups[identifier] += 1
            if self.throttle_every and n % self.throttle_every == self.throttle_every - 1:
                return 429, {"Retry-After": self.retry_after}, {"error": "You have exceeded the rate limit"}
            if (
                self.outage_after_signups is not None
                and self._signups >= self.outage_after_signups
                and self.outage_requests > 0
            ):
                self.outage_requests -= 1
                return 500, {}, {"error": "Internal Server Error"}
            fault = self._fault()
            if fault:
                self.faults_seen[fault] += 1
            if fault == "429":
                return 429, {"Retry-After": self.retry_after}, {"error": "You have exceeded the rate limit"}
            if fault == "500-before":
                return 500, {}, {"error": "Internal Server Error"}
            if fault == "drop-before":
                return DROP, {}, {}
            answer = self._route(method, path.rstrip("/"), query, body)
            if fault == "500-after":
                return 500, {}, {"error": "Internal Server Error"}
            if fault == "drop-after":
                return DROP, {}, {}
            return answer

    def _route(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        base = "/api/v2/"
        if not path.startswith(base):
            return 404, {}, {"error": "not found"}
        parts = path[len(base) :].split("/")
        tagging = self._taggings_route(method, parts, query)
        if tagging is not None:
            return tagging
        if parts == ["people"] and method == "GET":
            return 200, {}, self._people_page(query)
        if parts == ["people"] and method == "POST":
            return self._signup(body)
        if parts == ["tags"] and method == "GET":
            tags = [self._tag_resource(name, tid) for name, tid in self.tag_ids.items()]
            return 200, {}, self._page(tags, "osdi:tags", "tags", query)
        if len(parts) == 3 and parts[0] == "people" and parts[2] == "taggings" and method == "GET":
            tags = sorted(self.taggings.get(parts[1], set()))
            items = [
                {"_links": {"osdi:tag": {"href": f"{self.url}tags/{t}"},
                            "osdi:person": {"href": f"{self.url}people/{parts[1]}"}}}
                for t in tags
            ]  # fmt: skip
            return 200, {}, self._page(items, "osdi:taggings", f"people/{parts[1]}/taggings", query)
        if parts[0] in ACTION_COLLECTIONS and method == "GET":
            return self._actions_route(parts, query)
        if parts[0] in ("people", "tags"):
            return (
                (405, {}, {"error": "method not allowed"})
                if len(parts) == 1
                else (404, {}, {"error": "not found"})
            )
        return 404, {}, {"error": "not found"}

    def _tag_resource(self, name: str, tid: str) -> dict:
        return {
            "name": name,
            "identifiers": [f"action_network:{tid}"],
            "_links": {"self": {"href": f"{self.url}tags/{tid}"}},
        }

    def _page(self, items: list, key: str, path: str, query: dict) -> dict:
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        links = {"self": {"href": f"{self.url}{path}?page={page}"}}
        if chunk:
            links["next"] = {"href": f"{self.url}{path}?page={page + 1}"}
        return {"page": page, "per_page": PER_PAGE, "_links": links, "_embedded": {key: chunk}}

    def _people_page(self, query: dict) -> dict:
        people = self.people
        wanted = query.get("filter", [None])[0]
        if wanted:
            match = re.fullmatch(r"modified_date gt '([^']+)'", wanted)
            lookup = re.fullmatch(r"(email_address|phone_number) eq '((?:[^']|'')*)'", wanted)
            if lookup:
                value = lookup.group(2).replace("''", "'")
                person = self.persons.get(value)
                people = [person] if person else []
            elif not match:
                return {"error": f"bad filter {wanted}"}
            else:
                people = [p for p in people if p.get("modified_date", "") > match.group(1)]
        page = int(query.get("page", ["1"])[0])
        chunk = people[(page - 1) * PER_PAGE : page * PER_PAGE]
        total_pages = max(1, -(-len(people) // PER_PAGE))
        links = {"self": {"href": self._page_url(page, wanted)}}
        if page <= total_pages:
            # Like the real API, the last full page still links onward: the
            # client stops on the empty page it leads to.
            links["next"] = {"href": self._page_url(page + 1, wanted)}
        return {
            "total_pages": total_pages,
            "per_page": PER_PAGE,
            "page": page,
            "total_records": len(people),
            "_links": links,
            "_embedded": {"osdi:people": chunk},
        }

    def _page_url(self, page: int, wanted: str | None) -> str:
        params = {"page": page, **({"filter": wanted} if wanted else {})}
        return self.url + "people?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

    def _signup(self, body) -> tuple[int, dict, dict]:
        if not isinstance(body, dict) or "person" not in body:
            return 400, {}, {"error": "person is required"}
        person = body["person"]
        identifier = _identifier(person)
        if not identifier:
            return 400, {}, {"error": "an email address or phone number is required"}
        if identifier in self.reject:
            return 400, {}, {"error": f"invalid identifier {identifier}"}
        resource = self.persons.get(identifier)
        if resource is None:  # idempotent on the identifier: match, else create
            pid = str(uuid.uuid5(uuid.NAMESPACE_URL, identifier))
            resource = {
                "identifiers": [f"action_network:{pid}"],
                **person,
                "_links": {"self": {"href": f"{self.url}people/{pid}"},
                           "osdi:taggings": {"href": f"{self.url}people/{pid}/taggings"}},
            }  # fmt: skip
            self.persons[identifier] = resource
        pid = resource["identifiers"][0].removeprefix("action_network:")
        for tag in body.get("add_tags") or []:
            tid = self.tag_ids.setdefault(tag, str(uuid.uuid5(uuid.NAMESPACE_URL, "tag:" + tag)))
            self.taggings.setdefault(pid, set()).add(tid)
            self.tagged[(identifier, tag)] += 1
        self._signups += 1
        return 200, {}, resource

    # --- taggings (mirror mode) --------------------------------------------
    # Shapes as Action Network's API v2 gives them: a tagging has `identifiers`
    # and `_links` to itself (`tags/<tag>/taggings/<id>`), `osdi:tag` and
    # `osdi:person`; collections list them under `_embedded["osdi:taggings"]`.
    # A tagging is made only by the signup helper's `add_tags` (as on Action
    # Network) and deleted by `DELETE tags/<tag>/taggings/<id>`.

    def _init_taggings(self) -> None:
        self.tagging_ids: dict[tuple[str, str], str] = {}  # (person uuid, tag id) → tagging id
        self.removed: Counter = Counter()  # (identifier, tag) → times a DELETE removed it
        self.fail_removals: Counter = Counter()  # identifier → DELETEs to answer 500 (not applied)

    def _tagging_id(self, pid: str, tid: str) -> str:
        # A new id for each tagging made: a tag removed and added again is a new tagging.
        return self.tagging_ids.setdefault((pid, tid), str(uuid.uuid4()))

    def _tagging(self, pid: str, tid: str) -> dict:
        gid = self._tagging_id(pid, tid)
        return {
            "identifiers": [f"action_network:{gid}"],
            "item_type": "osdi:person",
            "_links": {
                "self": {"href": f"{self.url}tags/{tid}/taggings/{gid}"},
                "osdi:tag": {"href": f"{self.url}tags/{tid}"},
                "osdi:person": {"href": f"{self.url}people/{pid}"},
            },
        }

    def _identifier_of(self, pid: str) -> str | None:
        for identifier, resource in self.persons.items():
            if resource["identifiers"][0] == f"action_network:{pid}":
                return identifier
        return None

    def tag_holders(self, tag: str) -> set[str]:
        """Identifiers of the people carrying the tag now."""
        tid = self.tag_ids.get(tag)
        return {self._identifier_of(p) for p, tags in self.taggings.items() if tid in tags}

    def _taggings_route(self, method: str, parts: list[str], query: dict) -> tuple[int, dict, dict] | None:
        if len(parts) == 3 and parts[0] == "people" and parts[2] == "taggings" and method == "GET":
            pid = parts[1]
            items = [self._tagging(pid, t) for t in sorted(self.taggings.get(pid, set()))]
            return 200, {}, self._page(items, "osdi:taggings", f"people/{pid}/taggings", query)
        if len(parts) == 3 and parts[0] == "tags" and parts[2] == "taggings" and method == "GET":
            tid = parts[1]
            if tid not in self.tag_ids.values():
                return 404, {}, {"error": "tag not found"}
            items = [self._tagging(p, tid) for p, tags in sorted(self.taggings.items()) if tid in tags]
            return 200, {}, self._page(items, "osdi:taggings", f"tags/{tid}/taggings", query)
        if len(parts) == 4 and parts[0] == "tags" and parts[2] == "taggings":
            if method != "DELETE" and method != "GET":
                return 405, {}, {"error": "method not allowed"}
            tid, gid = parts[1], parts[3]
            found = [p for (p, t), g in self.tagging_ids.items() if t == tid and g == gid]
            pid = found[0] if found else None
            if pid is None or tid not in self.taggings.get(pid, set()):
                return 404, {}, {"error": "tagging not found"}
            if method == "GET":
                return 200, {}, self._tagging(pid, tid)
            identifier = self._identifier_of(pid)
            if self.fail_removals[identifier] > 0:
                self.fail_removals[identifier] -= 1
                return 500, {}, {"error": "Internal Server Error"}
            self.taggings[pid].discard(tid)
            del self.tagging_ids[(pid, tid)]
            name = next(n for n, i in self.tag_ids.items() if i == tid)
            self.removed[(identifier, name)] += 1
            return 200, {}, {"notice": "This tagging was successfully deleted."}
        if parts[:1] == ["tags"] and method == "DELETE":
            return 405, {}, {"error": "method not allowed"}
        return None

    # --- actions (issue 15): what members did on petitions, forms, events, letters ------------
    # GET petitions/{id}/signatures, forms/{id}/submissions, events/{id}/attendances,
    # advocacy_campaigns/{id}/outreaches: 25 a page, `filter=modified_date gt '…'`, the last
    # full page linking on to an empty one, as for people. The store lives in `actions`.

    @property
    def actions(self) -> dict[tuple[str, str], list[dict]]:
        """(page kind, page uuid) → its action records, in the order the API lists them."""
        return self.__dict__.setdefault("_actions", {})

    def add_action(self, page_kind: str, page_id: str, record: dict) -> None:
        """Add a record to a page's collection, or replace the one with the same identifier in place."""
        records = self.actions.setdefault((page_kind, page_id), [])
        for i, held in enumerate(records):
            if held["identifiers"][0] == record["identifiers"][0]:
                records[i] = record
                return
        records.append(record)

    def _actions_route(self, parts: list[str], query: dict) -> tuple[int, dict, dict]:
        page_kind, collection = ACTION_COLLECTIONS[parts[0]]
        if len(parts) != 3 or parts[2] != collection:
            return 404, {}, {"error": "not found"}
        if (page_kind, parts[1]) not in self.actions:
            return 404, {}, {"error": f"no {page_kind} {parts[1]}"}
        records = self.actions[(page_kind, parts[1])]
        wanted = query.get("filter", [None])[0]
        if wanted:
            match = re.fullmatch(r"modified_date gt '([^']+)'", wanted)
            if not match:
                return 400, {}, {"error": f"bad filter {wanted}"}
            records = [r for r in records if r.get("modified_date", "") > match.group(1)]
        time.sleep(self.__dict__.get("actions_delay", 0.0))  # slow pages: where a kill lands mid-pull
        page = int(query.get("page", ["1"])[0])
        total_pages = max(1, -(-len(records) // PER_PAGE))
        path = "/".join(parts)

        def link(n: int) -> str:
            params = {"page": n, **({"filter": wanted} if wanted else {})}
            return f"{self.url}{path}?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

        links = {"self": {"href": link(page)}}
        if page <= total_pages:
            links["next"] = {"href": link(page + 1)}
        return (
            200,
            {},
            {
                "total_pages": total_pages,
                "per_page": PER_PAGE,
                "page": page,
                "total_records": len(records),
                "_links": links,
                "_embedded": {f"osdi:{collection}": records[(page - 1) * PER_PAGE : page * PER_PAGE]},
            },
        )

    # --- HTTP -------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self, method: str) -> None:
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                if self.headers.get("OSDI-API-Token") != fake.token:
                    status, headers, doc = 401, {}, {"error": "API Key invalid or not present"}
                else:
                    status, headers, doc = fake._answer(method, parts.path, query, body)
                if method in ("POST", "DELETE") and fake.answer_delay:
                    time.sleep(fake.answer_delay)  # done, not yet answered: where a kill hurts
                if status == DROP:  # the connection closes with no answer
                    with fake._lock:
                        fake.requests.append(
                            {"method": method, "path": parts.path, "query": query, "body": body,
                             "status": status, "at": time.monotonic()}
                        )  # fmt: skip
                    self.close_connection = True
                    return
                with fake._lock:
                    fake.requests.append(
                        {"method": method, "path": parts.path, "query": query, "body": body,
                         "status": status, "at": time.monotonic()}
                    )  # fmt: skip
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/hal+json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler


def _identifier(person: dict) -> str | None:
    for key, field in (("email_addresses", "address"), ("phone_numbers", "number")):
        for item in person.get(key) or []:
            if isinstance(item, dict) and item.get(field):
                return item[field]
    return None


def person_resource(row: dict, modified: str = "2026-06-01T00:00:00Z") -> dict:
    """An Action Network person resource holding an activist-export row's values."""
    resource = {
        "identifiers": [f"action_network:{row['uuid']}"],
        "given_name": row.get("first_name"),
        "family_name": row.get("last_name"),
        "created_date": "2026-01-01T00:00:00Z",
        "modified_date": modified,
        "email_addresses": [
            {"primary": True, "address": row.get("email"), "status": row.get("can2_subscription_status")}
        ],
        "phone_numbers": [
            {
                "primary": True,
                "number": row.get("can2_phone"),
                "number_type": "Mobile",
                "status": row.get("can2_sms_status"),
            }
        ],
        "postal_addresses": [
            {
                "primary": True,
                "postal_code": row.get("zip_code"),
                "locality": row.get("can2_user_city"),
                "region": row.get("can2_state_abbreviated"),
                "country": row.get("can2_country"),
            }
        ],
        "custom_fields": {
            k: row[k] for k in ("affiliate", "language", "federal_district", "state_district") if row.get(k)
        },
        "_links": {"self": {"href": f"https://actionnetwork.org/api/v2/people/{row['uuid']}"}},
    }
    return resource
