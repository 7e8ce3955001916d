"""A local HTTP server that behaves like Action Network's API v2, for the tests.

Real HTTP on 127.0.0.1 (stdlib http.server in a thread), not mocked calls:
HAL+JSON, the OSDI-API-Token header, 25 people a page with `_links.next`
down to a trailing empty page, `filter=modified_date gt '…'`, and the person
signup helper (POST people with `person` and `add_tags`). It can answer 429
with Retry-After every n-th request, and go down (500) for a while after a
number of successful signups. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token"
PER_PAGE = 25


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
        self._signups = 0
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

    def bodies(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["method"] == "POST" and r["body"] is not None]

    # --- behaviour --------------------------------------------------------

    def _answer(self, method: str, path: str, query: dict, body) -> tuple[int, dict, dict]:
        with self._lock:
            n = len(self.requests)
            if self.throttle_every and n % self.throttle_every == self.throttle_every - 1:
                return 429, {"Retry-After": self.retry_after}, {"error": "You have exceeded the rate limit"}
            if (
                self.outage_after_signups is not None
                and self._signups >= self.outage_after_signups
                and self.outage_requests > 0
            ):
                self.outage_requests -= 1
                return 500, {}, {"error": "Internal Server Error"}
            if path.rstrip("/") != "/api/v2/people":
                return 404, {}, {"error": "not found"}
            if method == "GET":
                return 200, {}, self._people_page(query)
            if method == "POST":
                return self._signup(body)
            return 405, {}, {"error": "method not allowed"}

    def _people_page(self, query: dict) -> dict:
        people = self.people
        wanted = query.get("filter", [None])[0]
        if wanted:
            match = re.fullmatch(r"modified_date gt '([^']+)'", wanted)
            if not match:
                return {"error": f"bad filter {wanted}"}
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
        identifier = None
        for key, field in (("email_addresses", "address"), ("phone_numbers", "number")):
            for item in person.get(key) or []:
                identifier = identifier or item.get(field)
        if not identifier:
            return 400, {}, {"error": "an email address or phone number is required"}
        if identifier in self.reject:
            return 400, {}, {"error": f"invalid identifier {identifier}"}
        for tag in body.get("add_tags") or []:
            self.tagged[(identifier, tag)] += 1
        self._signups += 1
        return 200, {}, {"identifiers": [f"action_network:{identifier}"], **person}

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

        return Handler


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
