"""campaigns.yml, the strategists' campaign registry: read safely, validated, one line per mistake.

Every mistake raises `CampaignsError` with one line naming the file and, when
it is about one campaign, the campaign (its id, or its place in the list):

- The file is read by a YAML loader that refuses a document over `MAX_BYTES`
  or one whose aliases would expand past `MAX_NODES` nodes (a "billion
  laughs" bomb is refused in milliseconds, before anything is built), and a
  recursive alias.
- A date YAML cannot read (`2026-13-01`) stays text and is refused by the
  campaign's own check (`starts` is not a date), never as a bare ValueError.
- A key the registry does not know (`emial:`) is an error naming it, with the
  nearest known key ("did you mean 'email'?").
- The optional `actions:` (the Action Network pages of the campaign, a list of
  `{kind, id}`) is validated and becomes rows of `raw.campaign_actions`
  (`parse_registry`); a page may belong to several campaigns.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from pathlib import Path

import yaml

from pipelines.lib.phones import to_e164

MAX_BYTES = 1_000_000  # a registry is a few kilobytes; a megabyte is far past any real one
MAX_NODES = 100_000  # YAML nodes once every alias is expanded

TOP_KEYS = {"campaigns"}
CAMPAIGN_KEYS = {
    "id",
    "name",
    "ask",
    "starts",
    "email",
    "sms",
    "call_numbers",
    "min_call_seconds",
    "follow_up_of",
    "actions",
}
NAME_KEYS = {"en", "fr"}
EMAIL_KEYS = {"campaign_id"}
SMS_KEYS = {"from", "sent_between"}
ACTION_KEYS = {"kind", "id"}
ACTION_KINDS = ("petition", "form", "event", "advocacy_campaign")


class CampaignsError(ValueError):
    """A campaigns.yml that cannot be used; the message is one line naming the file."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but a timestamp it cannot read stays text (the checks name the campaign)."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """How many nodes the document has once every alias is expanded; stops counting past `limit`."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise CampaignsError("a recursive alias (an anchor used inside itself)")
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        open_.discard(key)
        sizes[key] = total
        return total

    return size(root)


def read_yaml(path: Path, what: str = "file") -> object:
    """A small YAML file, refusing bombs; CampaignsError (one line, naming the file) on any failure."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CampaignsError(f"{path}: {size:,} bytes is too large for a {what} (at most {MAX_BYTES:,})")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CampaignsError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise CampaignsError(f"{path}: not UTF-8 text ({_first_line(exc)})") from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            nodes = _expanded_size(node, MAX_NODES)
        except CampaignsError as exc:
            raise CampaignsError(f"{path}: refused: {exc}") from None
        except RecursionError:
            raise CampaignsError(f"{path}: refused: nested too deeply") from None
        if nodes > MAX_NODES:
            raise CampaignsError(
                f"{path}: refused: its aliases expand to more than {MAX_NODES:,} values "
                "(a YAML bomb?); write the entries out instead of nesting anchors"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise CampaignsError(f"{path}: not valid YAML ({_first_line(exc)})") from exc
    except RecursionError:
        raise CampaignsError(f"{path}: not valid YAML (nested too deeply)") from None
    finally:
        loader.dispose()


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200]


def unknown_key(keys, known: set[str]) -> str | None:
    """A one-line complaint about the first key not in `known`, with the nearest known one; else None."""
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
            return f"unknown key {key!r} ({hint})"
    return None


def parse_campaigns(path: Path) -> tuple[list[dict], list[dict]]:
    """Campaign rows and call-number rows from the registry; CampaignsError on any mistake."""
    campaigns, numbers, _ = parse_registry(path)
    return campaigns, numbers


def parse_registry(path: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """Campaign rows, call-number rows and action-page rows (`campaign_id, page_kind, page_id`)."""
    path = Path(path)
    doc = read_yaml(path, "campaign registry")
    if not isinstance(doc, dict) or not isinstance(doc.get("campaigns"), list):
        raise CampaignsError(f"{path}: expected a list under `campaigns:`")
    problem = unknown_key(doc, TOP_KEYS)
    if problem:
        raise CampaignsError(f"{path}: {problem}")
    campaigns, numbers, pages = [], [], []
    ids = [c.get("id") if isinstance(c, dict) else None for c in doc["campaigns"]]
    for place, entry in enumerate(doc["campaigns"], start=1):
        campaign, campaign_numbers = _parse_campaign(entry, path, ids, place)
        campaigns.append(campaign)
        numbers.extend(campaign_numbers)
        pages.extend(
            {"campaign_id": campaign["campaign_id"], "page_kind": kind, "page_id": page_id}
            for kind, page_id in _check_actions(entry.get("actions"), _never)
        )
    duplicated = {str(i) for i in ids if ids.count(i) > 1}
    if duplicated:
        raise CampaignsError(f"{path}: campaign id listed twice: {', '.join(sorted(duplicated))}")
    return campaigns, numbers, pages


def _never(why: str):  # actions were checked by _parse_campaign already
    raise AssertionError(why)


def _mapping(value, what: str, known: set[str], fail) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(f"`{what}` must be a mapping ({', '.join(sorted(known))}), not {value!r:.60}")
    problem = unknown_key(value, known)
    if problem:
        fail(f"{what}: {problem}")
    return value


def _parse_campaign(entry, path: Path, ids: list, place: int = 0) -> tuple[dict, list[dict]]:
    if not isinstance(entry, dict) or entry.get("id") in (None, ""):
        raise CampaignsError(f"{path}: campaign #{place} needs an `id`")
    if not isinstance(entry["id"], str | int) or isinstance(entry["id"], bool):
        raise CampaignsError(f"{path}: campaign #{place}: `id` must be a text, not {entry['id']!r:.60}")
    cid = str(entry["id"])

    def fail(why: str):
        raise CampaignsError(f"{path}: campaign {cid!r}: {why}")

    problem = unknown_key(entry, CAMPAIGN_KEYS)
    if problem:
        fail(problem)
    name = _mapping(entry.get("name"), "name", NAME_KEYS, fail)
    if not all(isinstance(name.get(k), str | int | float) and str(name.get(k)).strip() for k in ("en", "fr")):
        fail("needs `name: {en: …, fr: …}`")
    ask = entry.get("ask")
    if ask not in ("call", "click"):
        fail(f"`ask` must be call or click, not {ask!r:.60}")
    email = _mapping(entry.get("email"), "email", EMAIL_KEYS, fail)
    sms = _mapping(entry.get("sms"), "sms", SMS_KEYS, fail)
    sms_from = sms_start = sms_end = None
    if sms:
        sms_from = to_e164(str(sms.get("from", "")))
        if sms_from is None:
            fail(f"`sms.from` is not a phone number: {sms.get('from')!r:.60}")
        window = sms.get("sent_between")
        if not isinstance(window, list) or len(window) != 2:
            fail("`sms.sent_between` must be [start, end]")
        sms_start, sms_end = (_as_utc(v, fail, "sms.sent_between") for v in window)
        if sms_start >= sms_end:
            fail("`sms.sent_between` ends before it starts")
    call_numbers = entry.get("call_numbers") or []
    if not isinstance(call_numbers, list):
        fail(f"`call_numbers` must be a list of phone numbers, not {call_numbers!r:.60}")
    numbers = []
    for raw in call_numbers:
        e164 = to_e164(str(raw)) if isinstance(raw, str | int) else None
        if e164 is None:
            fail(f"call number {raw!r:.60} is not a phone number")
        numbers.append({"campaign_id": cid, "number_e164": e164})
    min_seconds = entry.get("min_call_seconds", 1)
    if isinstance(min_seconds, bool) or not isinstance(min_seconds, int) or not 0 <= min_seconds <= 86_400:
        fail("`min_call_seconds` must be a whole number of seconds (0 to 86400)")
    parent = entry.get("follow_up_of")
    if parent is not None and parent not in ids:
        fail(f"`follow_up_of` names no campaign: {parent!r:.60}")
    starts = entry.get("starts")
    if isinstance(starts, dt.datetime):
        starts = starts.date()
    if starts is not None and not isinstance(starts, dt.date):
        try:
            starts = dt.date.fromisoformat(str(starts))
        except ValueError as exc:
            fail(f"`starts` is not a date: {starts!r:.60} ({exc})")
    _check_actions(entry.get("actions"), fail)
    campaign = {
        "campaign_id": cid,
        "name_en": str(name["en"]),
        "name_fr": str(name["fr"]),
        "ask": ask,
        "starts": starts,
        "email_campaign_id": str(email["campaign_id"]) if email.get("campaign_id") else None,
        "sms_from_e164": sms_from,
        "sms_sent_from": sms_start,
        "sms_sent_until": sms_end,
        "min_call_seconds": min_seconds,
        "follow_up_of": parent,
    }
    return campaign, numbers


def _check_actions(actions, fail) -> list[tuple[str, str]]:
    """`actions:` — a list of {kind, id}: kind one of ACTION_KINDS, id an Action Network uuid.

    Returns (kind, uuid in lower case) for each.
    """
    if actions is None:
        return []
    if not isinstance(actions, list):
        fail("`actions` must be a list of {kind: …, id: …}")
    seen, pages = set(), []
    for n, action in enumerate(actions, start=1):
        if not isinstance(action, dict):
            fail(f"actions #{n} must be {{kind: …, id: …}}, not {action!r:.60}")
        problem = unknown_key(action, ACTION_KEYS)
        if problem:
            fail(f"actions #{n}: {problem}")
        kind = action.get("kind")
        if kind not in ACTION_KINDS:
            fail(f"actions #{n}: `kind` must be one of {', '.join(ACTION_KINDS)}, not {kind!r:.60}")
        value = action.get("id")
        try:
            parsed = uuid.UUID(str(value)) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != value.strip().lower():
            fail(f"actions #{n}: `id` must be an Action Network uuid (8-4-4-4-12 hex), not {value!r:.60}")
        if (kind, str(parsed)) in seen:
            fail(f"actions #{n}: {kind} {parsed} is listed twice")
        seen.add((kind, str(parsed)))
        pages.append((kind, str(parsed)))
    return pages


def _as_utc(value, fail, what: str = "date") -> dt.datetime:
    """A YAML date or datetime as naive UTC (a bare date is midnight UTC)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError as exc:
            fail(f"`{what}`: not a date or time: {value!r:.60} ({exc})")
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            fail(f"`{what}`: out of range: {value!r:.60}")
    return moment
