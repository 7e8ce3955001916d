"""Seeded sample landing folder in the vendors' own formats.

`generate(out_dir, people, campaigns, seed)` writes

    people/activists.csv        Action Network activist export (+ custom fields)
    sendgrid/*.json, *.ndjson   Event Webhook posts (JSON arrays) and bulk NDJSON
    twilio_messages/*.csv       message logs, console and REST header spellings
    twilio_calls/*.csv          call logs, both spellings, hotline + patch-through
    actionnetwork_actions/      Action Network actions: API page bodies (pull-*/) and NDJSON
                                (signatures/, submissions/, attendances/, outreaches/)
    campaigns.yml               the strategists' registry (with each campaign's `actions:` pages)

and returns a summary of what it wrote, including every piece of deliberate
damage (`planted`) so ingest tests can check they reject exactly that.

Scale: people are built once with vectorised sampling from Faker name pools;
events are generated per campaign, per chunk of people, with numpy and
polars string expressions, and written out chunk by chunk, so memory stays
flat however many events there are. Same seed -> byte-identical files.
With `gzip=True` (`--gzip`) the bulk exports (SendGrid NDJSON, Twilio logs)
are written gzip-compressed, `*.ndjson.gz` / `*.csv.gz`, at about an eighth
of the disk: how a federation's history is kept, and what lets a benchmark
at five times the default size fit on one disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import re
import shutil
import sys
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import yaml
import zipcodes
from faker import Faker

from pipelines.lib.ingest import CALL_COLUMNS, SENDGRID_EVENTS

CHUNK_PEOPLE = 250_000  # people per generation chunk (events for them in one go)
EMAIL_AUDIENCE_SHARE = 0.5  # each campaign is emailed to about half the people
JSON_POST_BUDGET = 20_000  # per campaign at most this many events go to JSON-array posts
NDJSON_MAX_LINES = 1_000_000
CSV_MAX_ROWS = 200_000
ACCOUNT_SID = "AC3f9c2b7e41d08a6c5e2f1b9d07a4c6e1"
PLATFORM_NUMBER = "+18442000100"  # the click-to-call platform's caller id (patch-through)
SMS_NUMBERS = ["+18442010042", "+14162010077", "+15142010031"]  # reused across campaigns
EPOCH = dt.datetime(1970, 1, 1)
FIRST_CAMPAIGN = dt.date(2026, 1, 12)

# ---------------------------------------------------------------- geography

US_STATES = {  # code: (name, House seats — also the population weight)
    "AL": ("Alabama", 7),
    "AK": ("Alaska", 1),
    "AZ": ("Arizona", 9),
    "AR": ("Arkansas", 4),
    "CA": ("California", 52),
    "CO": ("Colorado", 8),
    "CT": ("Connecticut", 5),
    "DE": ("Delaware", 1),
    "DC": ("District of Columbia", 1),
    "FL": ("Florida", 28),
    "GA": ("Georgia", 14),
    "HI": ("Hawaii", 2),
    "ID": ("Idaho", 2),
    "IL": ("Illinois", 17),
    "IN": ("Indiana", 9),
    "IA": ("Iowa", 4),
    "KS": ("Kansas", 4),
    "KY": ("Kentucky", 6),
    "LA": ("Louisiana", 6),
    "ME": ("Maine", 2),
    "MD": ("Maryland", 8),
    "MA": ("Massachusetts", 9),
    "MI": ("Michigan", 13),
    "MN": ("Minnesota", 8),
    "MS": ("Mississippi", 4),
    "MO": ("Missouri", 8),
    "MT": ("Montana", 2),
    "NE": ("Nebraska", 3),
    "NV": ("Nevada", 4),
    "NH": ("New Hampshire", 2),
    "NJ": ("New Jersey", 12),
    "NM": ("New Mexico", 3),
    "NY": ("New York", 26),
    "NC": ("North Carolina", 14),
    "ND": ("North Dakota", 1),
    "OH": ("Ohio", 15),
    "OK": ("Oklahoma", 5),
    "OR": ("Oregon", 6),
    "PA": ("Pennsylvania", 17),
    "RI": ("Rhode Island", 2),
    "SC": ("South Carolina", 7),
    "SD": ("South Dakota", 1),
    "TN": ("Tennessee", 9),
    "TX": ("Texas", 38),
    "UT": ("Utah", 4),
    "VT": ("Vermont", 1),
    "VA": ("Virginia", 11),
    "WA": ("Washington", 10),
    "WV": ("West Virginia", 2),
    "WI": ("Wisconsin", 8),
    "WY": ("Wyoming", 1),
}
US_METRO_COUNCIL = {
    "NY": "New York City Central Labor Council",
    "CA": "Los Angeles County Federation of Labor",
    "TX": "Texas Gulf Coast Area Labor Federation",
    "IL": "Chicago Federation of Labor",
    "PA": "Philadelphia Council AFL-CIO",
    "OH": "North Shore Federation of Labor",
    "MI": "Metro Detroit AFL-CIO",
    "WA": "MLK Labor (King County)",
    "MA": "Greater Boston Labor Council",
    "MN": "Minneapolis Regional Labor Federation",
    "WI": "Milwaukee Area Labor Council",
    "MO": "Greater St. Louis Labor Council",
    "CO": "Denver Area Labor Federation",
    "GA": "Atlanta-North Georgia Labor Council",
    "NJ": "Essex-West Hudson Labor Council",
    "OR": "Northwest Oregon Labor Council",
    "NV": "Southern Nevada Central Labor Council",
    "FL": "South Florida AFL-CIO",
}
US_LOCALS = [
    "SEIU Local 32BJ",
    "SEIU 1199",
    "UFCW Local 3000",
    "IBEW Local 46",
    "AFSCME Council 31",
    "UAW Local 600",
    "CWA Local 1101",
    "Teamsters Local 710",
    "UNITE HERE Local 11",
    "AFT Local 2",
    "USW Local 1999",
    "NNU California",
    "ATU Local 1005",
    "IUOE Local 150",
]

# province: (weight, federation, [(city, [FSA...], [area codes], [federal ridings])])
CA_PROVINCES = {
    "ON": (
        38,
        "Ontario Federation of Labour",
        [
            (
                "Toronto",
                ["M5V", "M4C", "M6G", "M1B", "M9W", "M6H"],
                ["416", "647", "437"],
                ["Toronto Centre", "Spadina—Harbourfront", "Davenport", "Scarborough North"],
            ),
            ("Ottawa", ["K1N", "K2P", "K1S", "K2B"], ["613", "343"], ["Ottawa Centre", "Ottawa South"]),
            ("Hamilton", ["L8P", "L8L"], ["905", "289"], ["Hamilton Centre"]),
            ("London", ["N6A", "N5V"], ["519", "226"], ["London Centre"]),
            ("Windsor", ["N9A", "N8X"], ["519", "548"], ["Windsor West"]),
            ("Sudbury", ["P3A", "P3E"], ["705", "249"], ["Sudbury"]),
            ("Thunder Bay", ["P7B"], ["807"], ["Thunder Bay—Superior North"]),
            ("Oshawa", ["L1H", "L1G"], ["905", "365"], ["Oshawa"]),
        ],
    ),
    "QC": (
        22,
        "Fédération des travailleurs et travailleuses du Québec (FTQ)",
        [
            (
                "Montréal",
                ["H2X", "H3B", "H1L", "H4C", "H2J"],
                ["514", "438"],
                ["Laurier—Sainte-Marie", "Hochelaga—Rosemont-Est", "Ville-Marie—Le Sud-Ouest—Île-des-Sœurs"],
            ),
            ("Québec", ["G1R", "G1K", "G1L"], ["418", "581"], ["Québec Centre"]),
            ("Laval", ["H7N", "H7T"], ["450", "579"], ["Alfred-Pellan"]),
            ("Gatineau", ["J8X", "J9H"], ["819", "873"], ["Gatineau"]),
            ("Sherbrooke", ["J1H"], ["819"], ["Sherbrooke"]),
            ("Trois-Rivières", ["G9A"], ["819"], ["Trois-Rivières"]),
            ("Saguenay", ["G7H"], ["418"], ["Chicoutimi—Le Fjord"]),
        ],
    ),
    "BC": (
        13,
        "BC Federation of Labour",
        [
            (
                "Vancouver",
                ["V6B", "V5L", "V5N"],
                ["604", "778", "236"],
                ["Vancouver East", "Vancouver Centre"],
            ),
            ("Victoria", ["V8W", "V8V"], ["250", "778"], ["Victoria"]),
            ("Surrey", ["V3T"], ["604"], ["Surrey Centre"]),
            ("Prince George", ["V2L"], ["250"], ["Cariboo—Prince George"]),
        ],
    ),
    "AB": (
        11,
        "Alberta Federation of Labour",
        [
            ("Calgary", ["T2P", "T3E", "T2E"], ["403", "587"], ["Calgary Centre", "Calgary Confederation"]),
            (
                "Edmonton",
                ["T5J", "T6E", "T5B"],
                ["780", "587", "825"],
                ["Edmonton Griesbach", "Edmonton Centre"],
            ),
            ("Red Deer", ["T4N"], ["403"], ["Red Deer"]),
        ],
    ),
    "MB": (
        4,
        "Manitoba Federation of Labour",
        [
            ("Winnipeg", ["R3C", "R2W", "R2K"], ["204", "431"], ["Winnipeg Centre", "Elmwood—Transcona"]),
            ("Brandon", ["R7A"], ["204"], ["Brandon—Souris"]),
        ],
    ),
    "SK": (
        3,
        "Saskatchewan Federation of Labour",
        [
            ("Regina", ["S4P", "S4T"], ["306", "639"], ["Regina—Lewvan"]),
            ("Saskatoon", ["S7K", "S7M"], ["306", "639"], ["Saskatoon West"]),
        ],
    ),
    "NS": (
        3,
        "Nova Scotia Federation of Labour",
        [
            ("Halifax", ["B3H", "B3K"], ["902", "782"], ["Halifax"]),
            ("Sydney", ["B1P"], ["902"], ["Sydney—Glace Bay"]),
        ],
    ),
    "NB": (
        2,
        "New Brunswick Federation of Labour",
        [
            ("Moncton", ["E1C", "E1A"], ["506"], ["Moncton—Dieppe"]),
            ("Fredericton", ["E3B"], ["506"], ["Fredericton—Oromocto"]),
            ("Saint John", ["E2L"], ["506"], ["Saint John—Kennebecasis"]),
        ],
    ),
    "NL": (
        1.5,
        "Newfoundland and Labrador Federation of Labour",
        [
            ("St. John's", ["A1C", "A1B"], ["709"], ["St. John's East"]),
            ("Corner Brook", ["A2H"], ["709"], ["Long Range Mountains"]),
        ],
    ),
    "PE": (
        0.6,
        "PEI Federation of Labour",
        [
            ("Charlottetown", ["C1A"], ["902", "782"], ["Charlottetown"]),
        ],
    ),
    # The territories are tiny, but weighted up so every demo has some: X0A/X0B/X0C
    # are Nunavut, X1A and X0E the Northwest Territories — the postal-code edge case.
    "NT": (
        0.6,
        "Northern Territories Federation of Labour",
        [
            ("Yellowknife", ["X1A"], ["867"], ["Northwest Territories"]),
            ("Hay River", ["X0E"], ["867"], ["Northwest Territories"]),
        ],
    ),
    "NU": (
        0.6,
        "Northern Territories Federation of Labour",
        [
            ("Iqaluit", ["X0A"], ["867"], ["Nunavut"]),
            ("Cambridge Bay", ["X0B"], ["867"], ["Nunavut"]),
            ("Rankin Inlet", ["X0C"], ["867"], ["Nunavut"]),
        ],
    ),
    "YT": (
        0.4,
        "Yukon Federation of Labour",
        [
            ("Whitehorse", ["Y1A"], ["867"], ["Yukon"]),
        ],
    ),
}
QC_PROVINCIAL = {
    "Montréal": ["Gouin", "Laurier-Dorion", "Hochelaga-Maisonneuve", "Mercier"],
    "Québec": ["Taschereau", "Jean-Lesage"],
    "Laval": ["Laval-des-Rapides"],
    "Gatineau": ["Hull"],
    "Sherbrooke": ["Sherbrooke"],
    "Trois-Rivières": ["Trois-Rivières"],
    "Saguenay": ["Chicoutimi"],
}
CA_LOCALS = [
    "CUPE Local 79",
    "Unifor Local 444",
    "UFCW Canada Local 1006A",
    "OPSEU Local 5105",
    "USW Local 6500",
    "PSAC Local 70",
    "BCGEU Local 1",
    "ATU Local 113",
    "CUPW Toronto Local",
]
QC_LOCALS = [
    "SCFP section locale 301",
    "Syndicat des Métallos section locale 9414",
    "Unifor section locale 62",
    "TUAC section locale 500",
    "FTQ-Construction",
]
POSTAL_LETTERS = np.array(list("ABCEGHJKLMNPRSTVWXYZ"))  # no D F I O Q U
US_DOMAINS = (
    [
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "icloud.com",
        "aol.com",
        "comcast.net",
        "att.net",
        "verizon.net",
        "proton.me",
    ],
    [36, 16, 8, 10, 12, 6, 5, 3, 2, 2],
)
CA_DOMAINS = (
    [
        "gmail.com",
        "hotmail.com",
        "outlook.com",
        "yahoo.ca",
        "icloud.com",
        "videotron.ca",
        "sympatico.ca",
        "rogers.com",
        "shaw.ca",
        "telus.net",
        "bell.net",
        "hotmail.ca",
    ],
    [34, 10, 8, 8, 8, 6, 4, 6, 5, 4, 3, 4],
)

# ---------------------------------------------------------------- campaigns

THEMES = [  # (slug, en, fr)
    ("pro-act", "Call your Senator: pass the PRO Act", "Appelez votre sénateur : adoptez le PRO Act"),
    ("anti-scab", "Pass an anti-scab law now", "Une loi anti-briseurs de grève, maintenant"),
    ("pharmacare", "Pharmacare for all", "L'assurance médicaments pour tous"),
    ("minimum-wage", "Raise the minimum wage to $20", "Le salaire minimum à 20 $"),
    ("pensions", "Protect our pensions", "Protégeons nos régimes de retraite"),
    ("back-to-work", "Stop the back-to-work law", "Non à la loi spéciale de retour au travail"),
    ("safe-staffing", "Safe staffing in our hospitals", "Des ratios sécuritaires dans nos hôpitaux"),
    ("sick-days", "Ten paid sick days for every worker", "Dix jours de congé de maladie payés pour tous"),
    ("heat-standard", "Heat protection for outdoor workers", "Protéger les travailleurs contre la chaleur"),
    ("public-services", "Defend public services", "Défendons les services publics"),
    ("right-to-organize", "Protect the right to organize", "Protégeons le droit de se syndiquer"),
    ("child-care", "Child care workers deserve a raise", "Les éducatrices en garderie méritent une hausse"),
    ("wage-theft", "Stop wage theft", "Halte au vol de salaire"),
    (
        "just-transition",
        "A just transition for energy workers",
        "Une transition juste pour les travailleurs de l'énergie",
    ),
    ("repeal-rtw", "Repeal right-to-work", "Abrogeons le « right-to-work »"),
    ("ei-reform", "EI reform now", "Réforme de l'assurance-emploi, maintenant"),
    ("fund-osha", "Tell Congress: fund OSHA", "Dites au Congrès : financez l'OSHA"),
    ("nurses", "Stand with striking nurses", "Solidarité avec les infirmières en grève"),
    ("housing", "Homes workers can afford", "Des logements abordables pour les travailleurs"),
    ("overtime", "Protect overtime pay", "Protégeons la rémunération des heures supplémentaires"),
]

ASK_CALL, ASK_CLICK = "call", "click"


@dataclass
class Campaign:
    index: int
    id: str
    name_en: str
    name_fr: str
    ask: str
    starts: dt.date
    email_campaign_id: str
    category: str | list[str]
    hotline: str | None = None  # E.164
    offices_us: list[str] = field(default_factory=list)
    offices_ca: list[str] = field(default_factory=list)
    call_numbers_human: list[str] = field(default_factory=list)
    min_call_seconds: int | None = None
    sms_from: str | None = None
    sms_start: int = 0  # unix seconds, window [sms_start, sms_end)
    sms_end: int = 0
    follow_up_of: Campaign | None = None
    sms_blast_share: float = 0.0  # standalone blasts: share of SMS-subscribed people texted
    pages: list[tuple[str, str]] = field(default_factory=list)  # Action Network pages: (kind, uuid)
    progress: float = 0.0  # 0 for the first campaign … 1 for the last: where members' arcs stand

    @property
    def send_ts(self) -> int:
        return _unix(dt.datetime.combine(self.starts, dt.time(14, 0)))

    @property
    def url(self) -> str:
        return f"https://act.rollcall-demo.org/{self.id}"


def _unix(t: dt.datetime) -> int:
    return int((t - EPOCH).total_seconds())


def _human_phone(e164: str, style: int) -> str:
    d = e164[2:]
    a, b, c = d[:3], d[3:6], d[6:]
    return [f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}", d, f"{a}-{b}-{c}"][
        style % 6
    ]


def build_campaigns(k: int, rng: np.random.Generator) -> list[Campaign]:
    """Roles repeat every three: a call campaign, its SMS follow-up, a click campaign with a text blast."""
    out: list[Campaign] = []
    theme_i = 0
    for i in range(k):
        starts = FIRST_CAMPAIGN + dt.timedelta(days=7 * i)
        role = i % 3
        cat_style = i % 2  # category as a string for some campaigns, an array for others
        if role == 1:
            parent = out[i - 1]
            c = Campaign(
                index=i,
                id=f"{parent.id}-text",
                name_en=f"{parent.name_en} — text follow-up",
                name_fr=f"{parent.name_fr} — relance par texto",
                ask=ASK_CALL,
                starts=parent.starts + dt.timedelta(days=8),
                email_campaign_id=f"em_{i:03d}_{parent.id.split('-', 2)[2].replace('-', '_')}_text",
                category=[parent.id.split("-2026")[0], "reminder"] if cat_style else "reminder",
                hotline=parent.hotline,
                offices_us=parent.offices_us,
                offices_ca=parent.offices_ca,
                min_call_seconds=parent.min_call_seconds,
                follow_up_of=parent,
            )
            # the follow-up lists its parent's numbers, written differently
            c.call_numbers_human = [_human_phone(n, j + 2) for j, n in enumerate(parent_numbers(parent))]
        else:
            slug, en, fr = THEMES[theme_i % len(THEMES)]
            rnd = theme_i // len(THEMES)
            theme_i += 1
            if rnd:
                slug, en, fr = f"{slug}-r{rnd + 1}", f"{en} (round {rnd + 1})", f"{fr} ({rnd + 1}e ronde)"
            ask = ASK_CALL if role == 0 else ASK_CLICK
            cid = f"{starts:%Y-%m}-{slug}"
            c = Campaign(
                index=i,
                id=cid,
                name_en=en,
                name_fr=fr,
                ask=ask,
                starts=starts,
                email_campaign_id=f"em_{i:03d}_{slug.replace('-', '_')}",
                category=[slug, ask] if cat_style else slug,
            )
            if ask == ASK_CALL:
                # exchanges 200-249 are never given to people, so no person shares these numbers
                def line(base: int, i: int = i) -> int:
                    return int(base + 100 * (i % 60) + rng.integers(0, 50))

                c.hotline = f"+1{rng.choice(['888', '877', '866', '844'])}{200 + i % 50:03d}{line(1000):04d}"
                c.offices_us = [f"+1202224{line(3000 + 50 * j):04d}" for j in range(2)]
                c.offices_ca = [f"+1613{230 + i % 20:03d}{line(2000 + 50 * j):04d}" for j in range(2)]
                c.min_call_seconds = int(rng.choice([10, 15, 20, 30]))
                c.call_numbers_human = [_human_phone(n, j + i) for j, n in enumerate(parent_numbers(c))]
            else:
                c.sms_blast_share = 0.35
        if role in (1, 2):
            c.sms_from = SMS_NUMBERS[i % len(SMS_NUMBERS)]
            start = dt.datetime.combine(c.starts, dt.time(15, 0))
            c.sms_start = _unix(start)
            c.sms_end = _unix(start + dt.timedelta(days=2))
        c.progress = i / max(1, k - 1)
        out.append(c)
    return out


def parent_numbers(c: Campaign) -> list[str]:
    return [n for n in [c.hotline, *c.offices_us, *c.offices_ca] if n]


def campaigns_yaml(campaigns: list[Campaign]) -> str:
    items = []
    for c in campaigns:
        d: dict = {
            "id": c.id,
            "name": {"en": c.name_en, "fr": c.name_fr},
            "ask": c.ask,
            "starts": c.starts,
            "email": {"campaign_id": c.email_campaign_id},
        }
        if c.sms_from:
            sms_from = c.sms_from if c.index % 4 else _human_phone(c.sms_from, 0)
            d["sms"] = {
                "from": sms_from,
                "sent_between": [
                    dt.datetime.fromtimestamp(c.sms_start, dt.UTC).replace(tzinfo=None),
                    dt.datetime.fromtimestamp(c.sms_end, dt.UTC).replace(tzinfo=None),
                ],
            }
        if c.call_numbers_human:
            d["call_numbers"] = c.call_numbers_human
        if c.min_call_seconds:
            d["min_call_seconds"] = c.min_call_seconds
        if c.follow_up_of:
            d["follow_up_of"] = c.follow_up_of.id
        if c.pages:
            d["actions"] = [{"kind": kind, "id": page_id} for kind, page_id in c.pages]
        items.append(d)
    head = "# Campaign registry — maintained by the digital team. One entry per campaign.\n"
    return head + yaml.safe_dump({"campaigns": items}, sort_keys=False, allow_unicode=True, width=120)


# ---------------------------------------------------------------- people


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _name_pools(seed: int) -> dict[str, tuple[list[str], list[str]]]:
    pools = {}
    for j, loc in enumerate(["en_US", "en_CA", "fr_CA"]):
        f = Faker(loc)
        f.seed_instance(seed * 31 + j)
        pools[loc] = ([f.first_name() for _ in range(4000)], [f.last_name() for _ in range(4000)])
    return pools


def _us_zip_pool() -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Real, active, standard ZIPs per state with their city and a valid area code."""
    pool: dict[str, tuple[list[str], list[str], list[str]]] = {s: ([], [], []) for s in US_STATES}
    for z in zipcodes.list_all():
        st = z["state"]
        if st in pool and z["active"] and z["zip_code_type"] == "STANDARD" and z["area_codes"]:
            ac = z["area_codes"][0]
            if ac[0] in "23456789" and ac[1:] != "11":
                pool[st][0].append(z["zip_code"])
                pool[st][1].append(z["city"].title())
                pool[st][2].append(ac)
    return pool


def _choice_idx(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _pick(rng, items: list, n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


@dataclass
class People:
    frame: pl.DataFrame  # the export as written
    email_send: pl.Series  # address SendGrid sends to ("" if none / invalid)
    phone_e164: pl.Series  # the person's real phone ("" if none / invalid)
    country_ca: np.ndarray
    lang_fr: np.ndarray
    engagement: np.ndarray  # 0..1 propensity to open / act
    arc: np.ndarray  # how engagement moves over the campaigns: STEADY, CLIMBING or FADING
    mpp: np.ndarray  # mail client with privacy-proxy machine opens
    landline: np.ndarray
    dead_number: np.ndarray
    email_ok: np.ndarray  # emailable: valid address, subscribed
    sms_ok: np.ndarray  # textable: valid phone, SMS subscribed
    has_phone: np.ndarray  # valid phone on file
    planted: dict


STEADY, CLIMBING, FADING = 0, 1, 2
ARC_SHARES = (0.7, 0.15, 0.15)  # so the demo's engagement ladder moves: members climb, and fall silent


def engagement_at(people: People, idx: np.ndarray, progress: float) -> np.ndarray:
    """The engagement of people `idx` at a campaign `progress` (0 first … 1 last) of the way
    through the calendar: a climber starts at a quarter of theirs and ends well above it, a
    fading member the other way round (down to near silence); the others keep theirs."""
    arc = people.arc[idx]
    factor = np.where(
        arc == CLIMBING, 0.25 + 1.5 * progress, np.where(arc == FADING, 1.6 - 1.55 * progress, 1.0)
    )
    return np.clip(people.engagement[idx] * factor, 0.0, 0.95)


def build_people(n: int, rng: np.random.Generator, seed: int) -> People:
    pools = _name_pools(seed)
    idx = np.arange(n)
    is_ca = rng.random(n) < 0.5
    zip_col = np.empty(n, dtype=object)
    city = np.empty(n, dtype=object)
    state = np.empty(n, dtype=object)
    area = np.empty(n, dtype=object)
    fed = np.empty(n, dtype=object)
    prov_d = np.empty(n, dtype=object)
    affiliate = np.empty(n, dtype=object)
    lang_fr = np.zeros(n, dtype=bool)
    aff_roll = rng.random(n)

    # --- United States
    us_idx = idx[~is_ca]
    codes = list(US_STATES)
    st_of = np.asarray(codes, dtype=object)[_choice_idx(rng, [US_STATES[s][1] for s in codes], len(us_idx))]
    zpool = _us_zip_pool()
    for s in codes:
        members = us_idx[st_of == s]
        if not len(members):
            continue
        zips, cities, acs = zpool[s]
        k = rng.integers(0, len(zips), len(members))
        zip_col[members] = np.asarray(zips, dtype=object)[k]
        city[members] = np.asarray(cities, dtype=object)[k]
        area[members] = np.asarray(acs, dtype=object)[k]
        state[members] = s
        seats = US_STATES[s][1]
        if s in ("AK", "DE", "ND", "SD", "VT", "WY", "DC"):
            fed[members] = f"{s}-AL"
        else:
            fed[members] = np.char.add(
                f"{s}-", np.char.zfill(rng.integers(1, seats + 1, len(members)).astype(str), 2)
            ).astype(object)
        prov_d[members] = np.char.add(
            f"{s} Senate District ", rng.integers(1, 41, len(members)).astype(str)
        ).astype(object)
        r = aff_roll[members]
        aff = np.where(r < 0.45, f"{US_STATES[s][0]} AFL-CIO", _pick(rng, US_LOCALS, len(members)))
        if s in US_METRO_COUNCIL:
            aff = np.where((r >= 0.45) & (r < 0.65), US_METRO_COUNCIL[s], aff)
        affiliate[members] = aff
    # ZIP+4 for a few (the export keeps what the member typed)
    plus4 = (~is_ca) & (rng.random(n) < 0.04)
    zip_col[plus4] = np.char.add(
        np.char.add(zip_col[plus4].astype(str), "-"),
        np.char.zfill(rng.integers(0, 10000, plus4.sum()).astype(str), 4),
    ).astype(object)

    # --- Canada
    ca_idx = idx[is_ca]
    provs = list(CA_PROVINCES)
    pr_of = np.asarray(provs, dtype=object)[
        _choice_idx(rng, [CA_PROVINCES[p][0] for p in provs], len(ca_idx))
    ]
    for p in provs:
        members = ca_idx[pr_of == p]
        if not len(members):
            continue
        _, federation, cities = CA_PROVINCES[p]
        ci = rng.integers(0, len(cities), len(members))
        state[members] = p
        fr_share = {"QC": 0.8, "NB": 0.3, "ON": 0.04}.get(p, 0.02)
        lang_fr[members] = rng.random(len(members)) < fr_share
        for j, (cname, fsas, acs, ridings) in enumerate(cities):
            m = members[ci == j]
            if not len(m):
                continue
            city[m] = cname
            fsa = _pick(rng, fsas, len(m)).astype(str)
            ldu = np.char.add(
                np.char.add(
                    rng.integers(0, 10, len(m)).astype(str), POSTAL_LETTERS[rng.integers(0, 20, len(m))]
                ),
                rng.integers(0, 10, len(m)).astype(str),
            )
            zip_col[m] = np.char.add(np.char.add(fsa, " "), ldu).astype(object)
            area[m] = _pick(rng, acs, len(m))
            fed[m] = _pick(rng, ridings, len(m))
            if p == "QC":
                prov_d[m] = _pick(rng, QC_PROVINCIAL[cname], len(m))
            elif p == "ON":
                prov_d[m] = fed[m]
            else:
                prov_d[m] = f"{cname} Centre"
            r = aff_roll[m]
            council = f"Conseil régional FTQ {cname}" if p == "QC" else f"{cname} & District Labour Council"
            locals_ = QC_LOCALS if p == "QC" else CA_LOCALS
            affiliate[m] = np.where(
                r < 0.45, federation, np.where(r < 0.65, council, _pick(rng, locals_, len(m)))
            )

    # postal codes as typed: lower-case and/or without the space for some
    pc_style = rng.random(n)
    zips = pl.Series("zip_code", zip_col, dtype=pl.String)
    is_ca_s = pl.Series(is_ca)
    zips = (
        pl.DataFrame({"z": zips, "ca": is_ca_s, "r": pc_style})
        .select(
            pl.when(pl.col("ca") & (pl.col("r") < 0.12))
            .then(pl.col("z").str.to_lowercase().str.replace(" ", ""))
            .when(pl.col("ca") & (pl.col("r") < 0.20))
            .then(pl.col("z").str.replace(" ", ""))
            .when(pl.col("ca") & (pl.col("r") < 0.25))
            .then(pl.col("z").str.to_lowercase())
            .otherwise(pl.col("z"))
        )
        .to_series()
    )

    # --- names
    loc = np.where(is_ca, np.where(lang_fr, 2, 1), 0)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    first_f = np.empty(n, dtype=object)
    last_f = np.empty(n, dtype=object)
    for j, name in enumerate(["en_US", "en_CA", "fr_CA"]):
        m = idx[loc == j]
        fp, lp = pools[name]
        a, b = rng.integers(0, len(fp), len(m)), rng.integers(0, len(lp), len(m))
        first[m] = np.asarray(fp, dtype=object)[a]
        last[m] = np.asarray(lp, dtype=object)[b]
        first_f[m] = np.asarray([_fold(x) for x in fp], dtype=object)[a]
        last_f[m] = np.asarray([_fold(x) for x in lp], dtype=object)[b]

    # --- emails: plausible local parts, made unique by appending digits to repeats
    dom = np.where(
        is_ca,
        np.asarray(CA_DOMAINS[0], dtype=object)[_choice_idx(rng, CA_DOMAINS[1], n)],
        np.asarray(US_DOMAINS[0], dtype=object)[_choice_idx(rng, US_DOMAINS[1], n)],
    )
    df = pl.DataFrame(
        {
            "f": pl.Series(first_f, dtype=pl.String),
            "l": pl.Series(last_f, dtype=pl.String),
            "d": pl.Series(dom, dtype=pl.String),
            "pat": rng.integers(0, 5, n),
            "num": rng.integers(1, 100, n),
            "i": idx,
        }
    )
    local = (
        pl.when(pl.col("pat") == 0)
        .then(pl.concat_str("f", pl.lit("."), "l"))
        .when(pl.col("pat") == 1)
        .then(pl.concat_str("f", "l", pl.col("num").cast(pl.String)))
        .when(pl.col("pat") == 2)
        .then(pl.concat_str(pl.col("f").str.slice(0, 1), "l"))
        .when(pl.col("pat") == 3)
        .then(pl.concat_str("f", pl.lit("_"), "l"))
        .otherwise(pl.concat_str("l", pl.lit("."), "f"))
    )
    df = df.with_columns(e=pl.concat_str(local, pl.lit("@"), "d"))
    df = df.with_columns(
        e=pl.when(pl.col("e").is_first_distinct())
        .then("e")
        .otherwise(pl.concat_str(local, pl.lit("."), pl.col("i").cast(pl.String), pl.lit("@"), "d"))
    )

    r_email = rng.random(n)
    no_email = r_email < 0.01
    bad_email = (r_email >= 0.01) & (r_email < 0.02)
    messy_case = (r_email >= 0.02) & (r_email < 0.10)
    padded = (r_email >= 0.10) & (r_email < 0.14)
    bad_kind = rng.integers(0, 4, n)
    email_out = (
        df.with_columns(
            k=bad_kind,
            bad=pl.Series(bad_email),
            none=pl.Series(no_email),
            mc=pl.Series(messy_case),
            pad=pl.Series(padded),
        )
        .select(
            pl.when("none")
            .then(pl.lit(""))
            .when(pl.col("bad") & (pl.col("k") == 0))
            .then(pl.lit("not-an-email"))
            .when(pl.col("bad") & (pl.col("k") == 1))
            .then(pl.concat_str("f", pl.lit("."), "l", pl.lit("@")))
            .when(pl.col("bad") & (pl.col("k") == 2))
            .then(pl.concat_str("f", pl.lit("."), "l", pl.lit("."), "d"))
            .when("bad")
            .then(pl.concat_str(pl.lit("@"), "d"))
            .when("mc")
            .then(
                pl.when(pl.col("pat") % 3 == 0)
                .then(pl.col("e").str.to_uppercase())
                .otherwise(pl.col("e").str.to_titlecase())
            )
            .when("pad")
            .then(pl.concat_str(pl.lit("  "), "e", pl.lit(" ")))
            .otherwise("e")
        )
        .to_series()
    )
    # SendGrid sends to the trimmed address (case as typed)
    email_send = email_out.str.strip_chars().alias("email_send")
    email_send = pl.select(pl.when(pl.Series(bad_email)).then(pl.lit("")).otherwise(email_send)).to_series()

    # --- phones: area code from the ZIP / city, a unique 7-digit local number per person
    if n > 7_000_000:
        raise ValueError("at most 7,000,000 people (unique phone numbers)")
    # a shuffled index times a unit mod 7e6 keeps numbers unique without looking sequential
    local7 = 3_000_000 + (rng.permutation(n) * 2_718_281 + seed * 7919) % 7_000_000
    l7 = local7.astype(str)
    area_s = area.astype(str)
    e164 = np.char.add(np.char.add("+1", area_s), l7)
    ph = pl.DataFrame({"a": area_s, "b": np.char.ljust(l7, 7)}).with_columns(
        x=pl.col("b").str.slice(0, 3), y=pl.col("b").str.slice(3, 4), s=rng.integers(0, 7, n)
    )
    human = ph.select(
        pl.when(pl.col("s") == 0)
        .then(pl.format("({}) {}-{}", "a", "x", "y"))
        .when(pl.col("s") == 1)
        .then(pl.format("{}.{}.{}", "a", "x", "y"))
        .when(pl.col("s") == 2)
        .then(pl.format("+1 {} {} {}", "a", "x", "y"))
        .when(pl.col("s") == 3)
        .then(pl.format("{}{}{}", "a", "x", "y"))
        .when(pl.col("s") == 4)
        .then(pl.format("{}-{}-{}", "a", "x", "y"))
        .when(pl.col("s") == 5)
        .then(pl.format("1-{}-{}-{}", "a", "x", "y"))
        .otherwise(pl.format("+1{}{}{}", "a", "x", "y"))
    ).to_series()
    r_phone = rng.random(n)
    no_phone = r_phone < 0.10
    bad_phone = (r_phone >= 0.10) & (r_phone < 0.11)
    bad_vals = np.asarray(["555-CALL-NOW", "12", "911", "call me"], dtype=object)[rng.integers(0, 4, n)]
    phone_out = pl.select(
        pl.when(pl.Series(no_phone))
        .then(pl.lit(""))
        .when(pl.Series(bad_phone))
        .then(pl.Series(bad_vals, dtype=pl.String))
        .otherwise(human)
    ).to_series()
    has_phone = ~(no_phone | bad_phone)
    phone_e164 = pl.Series(np.where(has_phone, e164, "").astype(object), dtype=pl.String)

    # --- statuses and behaviour
    r_sub = rng.random(n)
    sub = np.where(r_sub < 0.92, "subscribed", np.where(r_sub < 0.98, "unsubscribed", "bouncing")).astype(
        object
    )
    r_sms = rng.random(n)
    sms = np.where(
        ~(has_phone | bad_phone),
        "",
        np.where(r_sms < 0.62, "subscribed", np.where(r_sms < 0.75, "unsubscribed", "")),
    ).astype(object)
    engagement = rng.beta(1.3, 2.6, n)
    state_out = state.copy()
    r_st = rng.random(n)
    state_out[r_st < 0.12] = ""  # blank: province/state must come from the postal code / ZIP
    low = (r_st >= 0.12) & (r_st < 0.15)
    state_out[low] = np.char.lower(state[low].astype(str)).astype(object)
    country = np.where(is_ca, "CA", "US").astype(object)
    country[rng.random(n) < 0.03] = ""

    uuids = _uuids(rng, n)
    frame = pl.DataFrame(
        {
            "uuid": uuids,
            "first_name": pl.Series(first, dtype=pl.String),
            "last_name": pl.Series(last, dtype=pl.String),
            "email": email_out,
            "can2_phone": phone_out,
            "zip_code": zips,
            "can2_user_city": pl.Series(city, dtype=pl.String),
            "can2_state_abbreviated": pl.Series(state_out, dtype=pl.String),
            "can2_country": pl.Series(country, dtype=pl.String),
            "can2_subscription_status": pl.Series(sub, dtype=pl.String),
            "can2_sms_status": pl.Series(sms, dtype=pl.String),
            "affiliate": pl.Series(affiliate, dtype=pl.String),
            "language": pl.Series(np.where(lang_fr, "fr", "en").astype(object), dtype=pl.String),
            "federal_district": pl.Series(fed, dtype=pl.String),
            "state_district": pl.Series(prov_d, dtype=pl.String),
        }
    )
    return People(
        frame=frame,
        email_send=email_send,
        phone_e164=phone_e164,
        country_ca=is_ca,
        lang_fr=lang_fr,
        engagement=engagement,
        # a generator of its own: the other draws (and so the rest of the sample) stay as they were
        arc=np.random.default_rng([seed, 6000]).choice(3, n, p=ARC_SHARES),
        mpp=rng.random(n) < 0.25,
        landline=has_phone & (rng.random(n) < 0.06),
        dead_number=has_phone & (rng.random(n) < 0.02),
        email_ok=~(no_email | bad_email) & (sub == "subscribed"),
        sms_ok=has_phone & (sms == "subscribed"),
        has_phone=has_phone,
        planted={"invalid_phone": int(bad_phone.sum()), "invalid_email": int(bad_email.sum())},
    )


def _uuids(rng: np.random.Generator, n: int) -> pl.Series:
    b = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    h = pl.Series(np.frombuffer(b.tobytes().hex().encode(), dtype="S32").astype(str))
    return pl.select(
        pl.concat_str(
            h.str.slice(0, 8),
            pl.lit("-"),
            h.str.slice(8, 4),
            pl.lit("-"),
            h.str.slice(12, 4),
            pl.lit("-"),
            h.str.slice(16, 4),
            pl.lit("-"),
            h.str.slice(20, 12),
        )
    ).to_series()


# ---------------------------------------------------------------- SendGrid

# The webhook's event names, in the order the constants below index.
EV = list(SENDGRID_EVENTS)
PROCESSED, DROPPED, DELIVERED, DEFERRED, BOUNCE, OPEN, CLICK, SPAM, UNSUB, GUNSUB, GRESUB = range(11)
UNKNOWN_EVENTS = ["opened", "delivery_delayed", "bounced", "click_tracking"]
DROP_REASONS = ["Bounced Address", "Unsubscribed Address", "Spam Reporting Address", "Invalid"]
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.4 Safari/605.1.15",
]


@dataclass
class State:
    """Per-person state carried from campaign to campaign (in start order)."""

    hard_bounced: np.ndarray
    email_blocked: np.ndarray  # unsubscribed / spam report / group unsubscribe
    sms_opted_out: np.ndarray
    first_open: dict = field(default_factory=dict)  # parent campaign id -> int64 per person (0 = none)
    first_call: dict = field(default_factory=dict)  # parent campaign id -> int64 per person (0 = none)


@dataclass
class Writer:
    out: Path
    rows: dict = field(
        default_factory=lambda: {"people": 0, "sendgrid": 0, "twilio_messages": 0, "twilio_calls": 0}
    )
    files: dict = field(
        default_factory=lambda: {"people": 0, "sendgrid": 0, "twilio_messages": 0, "twilio_calls": 0}
    )
    planted: dict = field(
        default_factory=lambda: {
            "people": {"invalid_phone": 0, "invalid_email": 0},
            "sendgrid": {"bad_json": 0, "unknown_event": 0},
            "twilio_messages": {"bad_date": 0, "bad_phone": 0},
            "twilio_calls": {"bad_date": 0, "bad_phone": 0},
        }
    )
    duplicates: dict = field(default_factory=lambda: {"sendgrid": {"files": 0, "events": 0}})
    unmatched: dict = field(default_factory=lambda: {"sendgrid": 0, "twilio_messages": 0, "twilio_calls": 0})
    email_share: float = EMAIL_AUDIENCE_SHARE
    gzip: bool = False  # bulk exports written as .gz
    stranger_seq: int = 0
    post_seq: int = 0  # webhook posts written so far (picks which ones get re-posted)
    call_seq: int = 0  # call legs so far in the current campaign (unique Sids)

    def strangers(self, n: int, area: str = "312") -> np.ndarray:
        """Phone numbers that belong to nobody in the export (exchanges 250-299 are never people's)."""
        k = self.stranger_seq + np.arange(n)
        self.stranger_seq += n
        return np.char.add(f"+1{area}", (2_500_000 + k % 500_000).astype(str)).astype(object)


def _sg_chunk(c: Campaign, members: np.ndarray, people: People, st: State, rng: np.random.Generator):
    """Events for the campaign's recipients among `members`: arrays (person, type, ts, flag, msg)."""
    m = len(members)
    t_proc = c.send_ts + rng.integers(0, 7200, m)
    msg = members.astype(np.int64)
    drop_reason = np.full(m, -1)
    drop_reason[st.hard_bounced[members]] = 0
    drop_reason[(drop_reason < 0) & st.email_blocked[members]] = 1
    drop_reason[(drop_reason < 0) & (rng.random(m) < 0.002)] = 3
    dropped = drop_reason >= 0
    u = rng.random(m)
    hard = ~dropped & (u < 0.005)
    blocked = ~dropped & (u >= 0.005) & (u < 0.012)
    deferred = ~dropped & (u >= 0.012) & (u < 0.035)
    delivered = ~dropped & ~hard & ~blocked
    t_def = t_proc + rng.integers(5, 120, m)
    t_del = np.where(deferred, t_def + rng.integers(600, 14400, m), t_proc + rng.integers(1, 60, m))

    eng = engagement_at(people, members, c.progress)
    boost = 1.0 + 0.15 * math.sin(c.index)  # some subjects land better than others
    human_open = delivered & (rng.random(m) < np.clip(eng * 0.9 * boost, 0, 0.95))
    machine_open = delivered & people.mpp[members] & (rng.random(m) < 0.9)
    t_open = t_del + np.minimum(rng.exponential(6 * 3600, m).astype(np.int64) + 30, 6 * 86400)
    t_mopen = t_del + rng.integers(1, 90, m)
    second_open = human_open & (rng.random(m) < 0.2)
    t_open2 = t_open + rng.integers(600, 3 * 86400, m)
    clicked = delivered & (
        (human_open & (rng.random(m) < 0.05 + 0.3 * eng)) | (~human_open & (rng.random(m) < 0.005))
    )
    t_click = np.where(human_open, t_open, t_del) + rng.integers(5, 1800, m)
    r = rng.random(m)
    # fading members unsubscribe more as they fall silent (the top of r is otherwise quiet)
    fading = people.arc[members] == FADING
    unsub = delivered & ((r < 0.002) | (fading & (r > 1 - 0.02 * c.progress)))
    gunsub = delivered & (r >= 0.002) & (r < 0.0035)
    spam = delivered & (r >= 0.0035) & (r < 0.0038)
    # even a tiny demo shows every event kind at least once per chunk
    quiet = delivered & ~unsub & ~gunsub & ~spam
    for mask in (unsub, gunsub, spam):
        if quiet.any() and not mask.any():
            i = int(np.flatnonzero(quiet)[-1])
            mask[i], quiet[i] = True, False
    # A fifth of the group unsubscribers resubscribe to the group later in the
    # preference centre, and so do a fifth of the global unsubscribers (whose
    # unsubscribe that does not undo: still blocked below). One draw for both.
    resub = rng.random(m) < 0.2
    gresub = (gunsub | unsub) & resub
    for mask in (gunsub, unsub):
        if mask.any() and not (gresub & mask).any():
            gresub[int(np.flatnonzero(mask)[0])] = True
    t_unsub = np.where(human_open, t_open, t_del) + rng.integers(30, 3600, m)
    t_gresub = t_unsub + rng.integers(86400, 10 * 86400, m)

    parts = [
        (np.ones(m, bool), PROCESSED, t_proc, 0),
        (dropped, DROPPED, t_proc + 1, drop_reason),
        (deferred, DEFERRED, t_def, 0),
        (delivered, DELIVERED, t_del, 0),
        (hard, BOUNCE, t_proc + 3, 1),
        (blocked, BOUNCE, t_proc + 3, 2),
        (machine_open, OPEN, t_mopen, 1),
        (human_open, OPEN, t_open, 0),
        (second_open, OPEN, t_open2, 0),
        (clicked, CLICK, t_click, 0),
        (unsub, UNSUB, t_unsub, 0),
        (gunsub, GUNSUB, t_unsub, 0),
        (gresub, GRESUB, t_gresub, 0),
        (spam, SPAM, t_unsub, 0),
    ]
    cols = [[], [], [], [], []]
    for mask, code, ts, flag in parts:
        flag_arr = np.broadcast_to(flag, m)
        cols[0].append(members[mask])
        cols[1].append(np.full(mask.sum(), code, np.int8))
        cols[2].append(ts[mask])
        cols[3].append(flag_arr[mask])
        cols[4].append(msg[mask])
    ev = [np.concatenate(x) for x in cols]

    # carry state to later campaigns
    st.hard_bounced[members[hard]] = True
    st.email_blocked[members[unsub | spam | (gunsub & ~gresub)]] = True
    engaged = {
        "human_open": human_open,
        "t_open": t_open,
        "clicked": clicked,
        "t_click": t_click,
        "delivered": delivered,
        "t_del": t_del,
    }
    return ev, engaged


def _sg_lines(c: Campaign, frame: pl.DataFrame) -> pl.DataFrame:
    """frame(email, ts, type, flag, msg, eid) -> one JSON object per row, SendGrid's key order."""
    cat = json.dumps(c.category, ensure_ascii=False)
    q = '"'
    t = pl.col("type")
    flag = pl.col("flag")
    extra = (
        pl.when(t == DELIVERED)
        .then(pl.lit(',"response":"250 2.0.0 OK","ip":"167.89.106.44"'))
        .when(t == DEFERRED)
        .then(pl.lit(',"response":"421 4.7.28 Temporarily rate limited, try again later","attempt":"1"'))
        .when((t == BOUNCE) & (flag == 1))
        .then(
            pl.lit(
                ',"type":"bounce","status":"5.1.1",'
                '"reason":"550 5.1.1 The email account that you tried to reach does not exist."'
            )
        )
        .when(t == BOUNCE)
        .then(
            pl.lit(
                ',"type":"blocked","status":"5.7.1","reason":"550 5.7.1 Message rejected due to local policy"'
            )
        )
        .when(t == DROPPED)
        .then(
            pl.concat_str(
                pl.lit(',"reason":"'),
                pl.col("flag").replace_strict(
                    list(range(4)), DROP_REASONS, default="Invalid", return_dtype=pl.String
                ),
                pl.lit(q),
            )
        )
        .when(t == OPEN)
        .then(
            pl.concat_str(
                pl.lit(',"sg_machine_open":'),
                pl.when(flag == 1).then(pl.lit("true")).otherwise(pl.lit("false")),
                pl.lit(',"useragent":"'),
                pl.when(flag == 1)
                .then(pl.lit("Mozilla/5.0"))
                .otherwise(
                    pl.col("msg")
                    .mod(len(USER_AGENTS))
                    .replace_strict(list(range(len(USER_AGENTS))), USER_AGENTS, return_dtype=pl.String)
                ),
                pl.lit('","ip":"10.'),
                (pl.col("msg") % 250).cast(pl.String),
                pl.lit("."),
                (pl.col("msg") // 250 % 250).cast(pl.String),
                pl.lit('.7"'),
            )
        )
        .when(t == CLICK)
        .then(pl.lit(f',"url":"{c.url}?source=email","url_offset":{{"index":0,"type":"html"}}'))
        .when((t == GUNSUB) | (t == GRESUB))
        .then(pl.lit(',"asm_group_id":4821'))
        .otherwise(pl.lit(""))
    )
    ev_name = (
        pl.when(t >= 11)
        .then(pl.col("unknown"))
        .otherwise(t.replace_strict(list(range(11)), EV, return_dtype=pl.String))
    )
    msgid = pl.concat_str(
        pl.lit("Zm"),
        pl.format("{}-{}", pl.lit(c.index), "msg").str.encode("base64").str.strip_chars("="),
        pl.lit(".filterdrecv-7bd9c8-1-"),
        (pl.col("msg") % 97).cast(pl.String),
        pl.lit(".0"),
    )
    line = pl.concat_str(
        pl.lit('{"email":"'),
        "email",
        pl.lit('","timestamp":'),
        pl.col("ts").cast(pl.String),
        pl.lit(',"event":"'),
        ev_name,
        pl.lit('","sg_event_id":"'),
        "eid",
        pl.lit('","sg_message_id":"'),
        msgid,
        pl.lit(f'","category":{cat},"campaign_id":"{c.email_campaign_id}"'),
        extra,
        pl.lit("}"),
    )
    return frame.select(line.alias("line"))


def _bulk_file(path: Path, w: Writer):
    """A bulk export's file, written gzip-compressed (fast level, no time stamp) when asked."""
    if not w.gzip:
        return open(path, "wb")
    return gzip.GzipFile(path.with_name(path.name + ".gz"), "wb", compresslevel=1, mtime=0)


def _write_lines(path: Path, lines: pl.Series, array: bool, w: Writer | None = None) -> None:
    with open(path, "wb") if array or w is None else _bulk_file(path, w) as fh:
        if array:
            fh.write(b"[\n")
            fh.write(lines.str.join(",\n").item().encode())
            fh.write(b"\n]\n")
        else:
            pl.DataFrame({"l": lines}).write_csv(fh, include_header=False, quote_style="never")


def write_sendgrid(
    c: Campaign, people: People, st: State, rng: np.random.Generator, w: Writer, on_engaged
) -> None:
    """One campaign's events, chunk by chunk: the first events as JSON-array webhook posts
    (a few hundred to a few thousand events each), the bulk as NDJSON."""
    out = w.out / "sendgrid"
    n = len(people.email_ok)
    json_left = None
    ndjson_no = 0
    unknown_name = UNKNOWN_EVENTS[c.index % len(UNKNOWN_EVENTS)]
    for ci, lo in enumerate(range(0, n, CHUNK_PEOPLE)):
        crng = np.random.default_rng([c.index, ci, int(rng.integers(1 << 30))])
        hi = min(n, lo + CHUNK_PEOPLE)
        # the list is mostly cleaned before a send: 9 in 10 suppressed addresses are left out,
        # the rest go to SendGrid and come back as `dropped`
        suppressed = (st.hard_bounced[lo:hi] | st.email_blocked[lo:hi]) & (crng.random(hi - lo) < 0.9)
        members = np.arange(lo, hi)[
            people.email_ok[lo:hi] & ~suppressed & (crng.random(hi - lo) < w.email_share)
        ]
        ev, engaged = _sg_chunk(c, members, people, st, crng)
        on_engaged(members, engaged, crng)
        person, etype, ts, flag, msg = ev
        frame = pl.DataFrame(
            {
                "email": people.email_send.gather(person),
                "ts": ts,
                "type": etype,
                "flag": flag.astype(np.int8),
                "msg": msg,
                "unknown": pl.repeat(None, len(ts), dtype=pl.String, eager=True),
            }
        )
        # unmatched: addresses nobody in the export has (old members, forwards)
        k = max(1, len(members) // 500)
        sid = crng.integers(0, 1_000_000, k)
        stranger_email = pl.select(
            pl.format("former.member{}@example.net", pl.lit(pl.Series(sid)))
        ).to_series()
        strangers = pl.DataFrame(
            {
                "email": stranger_email,
                "ts": c.send_ts + crng.integers(0, 7200, k),
                "type": np.full(k, PROCESSED, np.int8),
                "flag": np.zeros(k, np.int8),
                "msg": 10_000_000 + sid,
                "unknown": pl.repeat(None, k, dtype=pl.String, eager=True),
            }
        )
        frame = pl.concat(
            [frame, strangers, strangers.with_columns(type=pl.lit(DELIVERED, pl.Int8), ts=pl.col("ts") + 5)],
            how="vertical_relaxed",
        )
        w.unmatched["sendgrid"] += 2 * k
        if ci == 0:  # one event with an event name SendGrid never sends
            bad = frame.slice(0, 1).with_columns(
                type=pl.lit(11, pl.Int8), ts=pl.col("ts") + 11, unknown=pl.lit(unknown_name)
            )
            frame = pl.concat([frame, bad], how="vertical_relaxed")
            w.planted["sendgrid"]["unknown_event"] += 1
        frame = frame.with_row_index("serial").sort(["ts", "serial"])
        frame = frame.with_columns(
            eid=pl.format(
                "sg{}.{}.{}",
                pl.lit(f"{c.index:04d}"),
                pl.lit(f"{ci:03d}"),
                pl.int_range(pl.len()).cast(pl.String).str.zfill(8),
            )
            .str.encode("base64")
            .str.strip_chars("=")
        )
        lines = _sg_lines(c, frame)["line"]
        unknown_pos = frame["type"].eq(11).arg_max() if ci == 0 else -1
        total = len(lines)
        w.rows["sendgrid"] += total
        if json_left is None:
            # JSON-array posts: most of a small campaign, a capped slice of a big one
            json_left = min(JSON_POST_BUDGET, int(total * 0.6))
        n_json = min(json_left, total)
        json_left -= n_json
        pos = 0
        while pos < n_json:
            size = int(crng.integers(300, 3000))
            if n_json - pos - size < 300:  # no runt posts: the tail joins this one
                size = n_json - pos
            chunk = lines.slice(pos, size)
            first_ts = int(frame["ts"][pos])
            stamp = dt.datetime.fromtimestamp(first_ts, dt.UTC)
            name = f"{stamp:%Y%m%dT%H%M%S}-{c.index:03d}-{w.post_seq:06d}.json"
            _write_lines(out / name, chunk, array=True)
            w.files["sendgrid"] += 1
            # a webhook retry: the same events posted again under another name — byte for byte,
            # or in another order (so a file checksum alone cannot catch it)
            last_of_first = ci == 0 and pos + size == n_json
            if (w.post_seq % 5 == 1 or last_of_first) and not (pos <= unknown_pos < pos + size):
                again = chunk.reverse() if (w.post_seq // 5) % 2 == 0 else chunk
                _write_lines(out / name.replace(".json", "-retry.json"), again, array=True)
                w.files["sendgrid"] += 1
                w.duplicates["sendgrid"]["files"] += 1
                w.duplicates["sendgrid"]["events"] += size
                w.rows["sendgrid"] += size
            w.post_seq += 1
            pos += size
        rest = lines.slice(n_json)
        for s in range(0, len(rest), NDJSON_MAX_LINES):
            part = rest.slice(s, NDJSON_MAX_LINES)
            if ndjson_no == 0:  # a torn line, as when a POST body was cut short
                j = len(part) // 2
                if f'"event":"{unknown_name}"' in part[j]:
                    j = max(0, j - 1)
                cut = part[j]
                part = pl.concat([part.slice(0, j), pl.Series([cut[: len(cut) // 2]]), part.slice(j)])
                w.planted["sendgrid"]["bad_json"] += 1
                w.rows["sendgrid"] += 1
            _write_lines(
                out / f"bulk-{c.starts:%Y%m%d}-{c.index:03d}-{ndjson_no:03d}.ndjson", part, array=False, w=w
            )
            w.files["sendgrid"] += 1
            ndjson_no += 1


# ---------------------------------------------------------------- Twilio

MSG_CONSOLE = [
    "From",
    "To",
    "Body",
    "Status",
    "SentDate",
    "ApiVersion",
    "NumSegments",
    "ErrorCode",
    "AccountSid",
    "Sid",
    "Direction",
    "Price",
    "PriceUnit",
]
MSG_REST = ["sid", "from", "to", "body", "status", "direction", "date_sent", "num_segments", "error_code"]
# Twilio's two call-log header spellings, in the order the exports write them (ingest.CALL_COLUMNS).
CALL_CONSOLE = [console for console, _ in CALL_COLUMNS.values()]
CALL_REST = [rest for _, rest in CALL_COLUMNS.values()]
RFC2822 = "%a, %d %b %Y %H:%M:%S +0000"
BAD_DATES = ["not a date", "2026-13-45 99:99:99", "32/13/2026 25:61", "yesterday"]
BAD_PHONES = ["12", "anonymous", "N/A", "call me"]

STOP_BODIES = ["STOP", "stop.", "Stop", " STOP ", "UNSUBSCRIBE", "stop!", "Cancel", "STOPALL"]
STOP_BODIES_FR = ["Arrêt", "ARRET", "arret.", "ARRÊT", "Arrete"]
START_BODIES = ["START", "YES", "yes", "Unstop"]
NOT_KEYWORDS = ["stop texting me at work", "How did you get this number?", "please stop calling my mom"]
ORDINARY = [
    "Done! Just called.",
    "Called, left a voicemail",
    "Which office should I call?",
    "Thanks!",
    "I'm in",
    "Busy today, will call tomorrow",
    "👍",
    "Line was busy, trying again later",
]
ORDINARY_FR = [
    "Merci!",
    "C'est fait!",
    "J'ai appelé, boîte vocale",
    "Quel bureau dois-je appeler?",
    "Solidarité!",
]


def _rfc2822(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.strftime(RFC2822)


def _hex(value: pl.Expr, digits: int) -> pl.Expr:
    nibble = [(value // (16**k)) % 16 for k in reversed(range(digits))]
    return pl.concat_str(
        [d.replace_strict(list(range(16)), list("0123456789abcdef"), return_dtype=pl.String) for d in nibble]
    )


def _sid(prefix: str, c_index: int, serial: pl.Expr) -> pl.Expr:
    """Twilio-shaped Sid: prefix + 32 hex; unique per (campaign, serial < 2**23) because
    both mixes are bijections modulo 2**40."""
    serial = serial.cast(pl.Int64)
    a = (serial * 2654435761 + 97) % (1 << 40)
    b = (serial * 40503 + 12345) % (1 << 40)
    return pl.concat_str(
        pl.lit(f"{prefix}{(c_index * 2246822519) % (1 << 32):08x}"),
        _hex(a, 10),
        _hex(b, 10),
        _hex(serial % 65536, 4),
    )


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Vendors leave empty fields unquoted; polars would write "" for empty strings."""
    return frame.with_columns(pl.col(pl.String).replace("", None))


def _sms_body(c: Campaign, fr: bool) -> str:
    number = _human_phone(c.hotline, 0) if c.hotline else None
    if fr:
        ask = f"Appelez au {number}" if number else f"Signez ici : {c.url}?s=sms"
        return f"{c.name_fr} : {ask}. Répondez ARRET pour vous désabonner."
    ask = f"Call {number} now" if number else f"Sign here: {c.url}?s=sms"
    return f"{c.name_en}: {ask}. Reply STOP to opt out."


def texts_for(
    c: Campaign,
    to_idx: np.ndarray,
    times: np.ndarray,
    people: People,
    st: State,
    rng: np.random.Generator,
    w: Writer,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Outbound blast + inbound replies; returns (rows, idx of people texted OK, delivered times)."""
    m = len(to_idx)
    status = np.full(m, "delivered", dtype=object)
    err = np.full(m, "", dtype=object)
    u = rng.random(m)
    status[u < 0.03] = "sent"
    und = (u >= 0.03) & (u < 0.045)
    status[und] = "undelivered"
    err[und] = np.where(rng.random(und.sum()) < 0.7, "30003", "30007")
    ll = people.landline[to_idx]
    status[ll], err[ll] = "undelivered", "30006"
    dead = people.dead_number[to_idx]
    status[dead], err[dead] = "failed", "30005"
    oo = st.sms_opted_out[to_idx]
    status[oo], err[oo] = "failed", "21610"
    fr = people.lang_fr[to_idx]
    body = np.where(fr, _sms_body(c, True), _sms_body(c, False)).astype(object)
    phones = people.phone_e164.gather(to_idx)
    out = pl.DataFrame(
        {
            "from": c.sms_from,
            "to": phones,
            "body": pl.Series(body, dtype=pl.String),
            "status": pl.Series(status, dtype=pl.String),
            "ts": times,
            "direction": "outbound-api",
            "error_code": pl.Series(err, dtype=pl.String),
        }
    )
    ok = np.isin(status, ["delivered", "sent"])

    # replies from people whose text arrived
    r = rng.random(m)
    reply = ok & (r < 0.08)
    kind = rng.random(m)
    stop = reply & (kind < 0.3)
    start = reply & (kind >= 0.3) & (kind < 0.36)
    notkw = reply & (kind >= 0.36) & (kind < 0.42)
    ordinary = reply & (kind >= 0.42)
    rb = np.empty(m, dtype=object)
    rb[stop] = np.where(fr[stop], _pick(rng, STOP_BODIES_FR, stop.sum()), _pick(rng, STOP_BODIES, stop.sum()))
    rb[start] = _pick(rng, START_BODIES, start.sum())
    rb[notkw] = _pick(rng, NOT_KEYWORDS, notkw.sum())
    rb[ordinary] = np.where(
        fr[ordinary], _pick(rng, ORDINARY_FR, ordinary.sum()), _pick(rng, ORDINARY, ordinary.sum())
    )
    t_reply = times + rng.integers(20, 6 * 3600, m)
    # some who said STOP change their mind later
    restart = stop & (rng.random(m) < 0.15)
    t_restart = t_reply + rng.integers(86400, 20 * 86400, m)
    replies = pl.DataFrame(
        {
            "from": phones.filter(pl.Series(reply)),
            "to": c.sms_from,
            "body": pl.Series(rb[reply], dtype=pl.String),
            "status": "received",
            "ts": t_reply[reply],
            "direction": "inbound",
            "error_code": "",
        }
    )
    restarts = pl.DataFrame(
        {
            "from": phones.filter(pl.Series(restart)),
            "to": c.sms_from,
            "body": pl.Series(_pick(rng, START_BODIES, restart.sum()), dtype=pl.String),
            "status": "received",
            "ts": t_restart[restart],
            "direction": "inbound",
            "error_code": "",
        }
    )
    st.sms_opted_out[to_idx[stop & ~restart]] = True
    st.sms_opted_out[to_idx[start | restart]] = False
    # unmatched: replies from numbers not in the export (forwarded texts)
    k = max(1, m // 400)
    strangers = pl.DataFrame(
        {
            "from": pl.Series(w.strangers(k), dtype=pl.String),
            "to": c.sms_from,
            "body": pl.Series(_pick(rng, [*ORDINARY, "Who is this?"], k), dtype=pl.String),
            "status": "received",
            "ts": c.sms_start + rng.integers(600, 86400, k),
            "direction": "inbound",
            "error_code": "",
        }
    )
    w.unmatched["twilio_messages"] += k
    rows = pl.concat([out, replies, restarts, strangers], how="vertical_relaxed")
    return rows, to_idx[ok], times[ok]


def write_messages(c: Campaign, rows: pl.DataFrame, rng: np.random.Generator, w: Writer) -> None:
    rows = (
        rows.with_row_index("serial")
        .sort(["ts", "serial"])
        .with_columns(
            sid=_sid("SM", c.index, pl.int_range(pl.len(), dtype=pl.Int64)),
            num_segments=pl.when(pl.col("body").str.len_bytes() > 160)
            .then(pl.lit("2"))
            .otherwise(pl.lit("1")),
            date=_rfc2822("ts"),
        )
    )
    _write_csv_parts(c, rows, rng, w, "twilio_messages", kind="messages")


def _write_csv_parts(
    c: Campaign, rows: pl.DataFrame, rng: np.random.Generator, w: Writer, source: str, kind: str
):
    n = len(rows)
    parts = max(2, math.ceil(n / CSV_MAX_ROWS))
    per = math.ceil(n / parts)
    folder = w.out / source
    for p in range(parts):
        part = rows.slice(p * per, per)
        if p == 0 and len(part):
            # one row with a date nobody can parse, one with a phone that is not a number
            extra = part.slice(0, 2).with_columns(
                serial=pl.lit(10**9, pl.UInt32) + pl.int_range(2, dtype=pl.UInt32)
            )
            extra = extra.with_columns(
                sid=pl.concat_str(
                    pl.col("sid").str.slice(0, 10), pl.lit("ffff"), pl.col("sid").str.slice(14)
                ),
                date=pl.when(pl.int_range(pl.len()) == 0)
                .then(pl.lit(BAD_DATES[c.index % 4]))
                .otherwise(pl.col("date")),
            )
            if kind == "calls":
                extra = extra.with_columns(
                    end_date=pl.when(pl.int_range(pl.len()) == 0).then(pl.col("date")).otherwise("end_date"),
                    parent=pl.lit(""),
                )
            bad_phone = BAD_PHONES[c.index % 4]
            phone_col = "from" if kind == "calls" else "to"
            extra = extra.with_columns(
                pl.when(pl.int_range(pl.len()) == 1)
                .then(pl.lit(bad_phone))
                .otherwise(pl.col(phone_col))
                .alias(phone_col)
            )
            part = pl.concat([part, extra], how="vertical_relaxed")
            w.planted[source]["bad_date"] += 1
            w.planted[source]["bad_phone"] += 1
        console = (c.index + p) % 2 == 0
        if kind == "messages":
            if console:
                frame = part.select(
                    From="from",
                    To="to",
                    Body="body",
                    Status="status",
                    SentDate="date",
                    ApiVersion=pl.lit("2010-04-01"),
                    NumSegments="num_segments",
                    ErrorCode="error_code",
                    AccountSid=pl.lit(ACCOUNT_SID),
                    Sid="sid",
                    Direction="direction",
                    Price=pl.when(pl.col("status").is_in(["failed"]))
                    .then(pl.lit(""))
                    .otherwise(pl.lit("-0.00830")),
                    PriceUnit=pl.lit("USD"),
                )
            else:
                frame = part.select(
                    sid="sid",
                    **{"from": "from"},
                    to="to",
                    body="body",
                    status="status",
                    direction="direction",
                    date_sent="date",
                    num_segments="num_segments",
                    error_code="error_code",
                )
            name = (
                f"messages-{c.starts:%Y-%m-%d}-{c.index:03d}-{p + 1}.csv"
                if console
                else f"Messages_{c.index:03d}_{p + 1}_{c.starts:%Y%m%d}.csv"
            )
        else:
            cols = CALL_CONSOLE if console else CALL_REST
            internal = ["sid", "parent", "from", "to", "status", "direction", "date", "end_date", "duration"]
            frame = part.select([pl.col(s).alias(d) for s, d in zip(internal, cols, strict=True)])
            name = (
                f"calls-{c.starts:%Y-%m-%d}-{c.index:03d}-{p + 1}.csv"
                if console
                else f"Calls_{c.index:03d}_{p + 1}.csv"
            )
        with _bulk_file(folder / name, w) as fh:
            _blank_to_null(frame).write_csv(fh)
        w.files[source] += 1
        w.rows[source] += len(frame)


def calls_for(
    c: Campaign,
    callers: np.ndarray,
    t_call: np.ndarray,
    people: People,
    st: State,
    rng: np.random.Generator,
    w: Writer,
) -> pl.DataFrame:
    """Click-to-call: half hotline (inbound), half patch-through (parent + child legs)."""
    m = len(callers)
    has = people.has_phone[callers]
    phone = np.asarray(people.phone_e164.gather(callers).to_list(), dtype=object)
    # people without a valid phone on file still call, from a number nobody knows
    if (~has).any():
        phone[~has] = w.strangers(int((~has).sum()), "646")
    office = np.where(people.country_ca[callers], _pick(rng, c.offices_ca, m), _pick(rng, c.offices_us, m))
    hotline = rng.random(m) < 0.5
    mins = c.min_call_seconds or 1
    short = rng.random(m) < 0.12
    talk = np.where(short, rng.integers(1, mins, m), mins + rng.lognormal(4.6, 0.7, m).astype(np.int64))
    u = rng.random(m)
    target_status = np.where(
        u < 0.82, "completed", np.where(u < 0.89, "busy", np.where(u < 0.98, "no-answer", "failed"))
    )
    talk = np.where(target_status == "completed", talk, 0)
    pu = rng.random(m)
    parent_status = np.where(
        pu < 0.86, "completed", np.where(pu < 0.96, "no-answer", np.where(pu < 0.99, "busy", "failed"))
    )
    patch = ~hotline
    child = patch & (parent_status == "completed")
    parent_talk = np.where(
        parent_status == "completed",
        np.where(child, talk + rng.integers(12, 40, m), rng.integers(3, 20, m)),
        0,
    )

    w.unmatched["twilio_calls"] += int((~has & (hotline | patch)).sum() + (~has & child).sum())
    made = (target_status == "completed") & (talk >= mins) & (hotline | child)
    key = c.follow_up_of.id if c.follow_up_of else c.id
    if key in st.first_call:  # remember each person's first made call (the follow-up's cohort needs it)
        arr = st.first_call[key]
        big = np.iinfo(np.int64).max
        tmp = np.where(arr == 0, big, arr)
        np.minimum.at(tmp, callers[made & has], t_call[made & has])
        arr[:] = np.where(tmp == big, 0, tmp)

    serial = w.call_seq + np.arange(m, dtype=np.int64)
    w.call_seq += m
    sid = pl.select(_sid("CA", c.index, pl.lit(pl.Series(serial * 2)))).to_series()
    child_sid = pl.select(_sid("CA", c.index, pl.lit(pl.Series(serial * 2 + 1)))).to_series()
    hot = pl.DataFrame(
        {
            "sid": sid,
            "parent": "",
            "from": pl.Series(phone, dtype=pl.String),
            "to": c.hotline,
            "status": pl.Series(target_status, dtype=pl.String),
            "direction": "inbound",
            "ts": t_call,
            "duration": talk,
        }
    ).filter(pl.Series(hotline))
    par = pl.DataFrame(
        {
            "sid": sid,
            "parent": "",
            "from": PLATFORM_NUMBER,
            "to": pl.Series(phone, dtype=pl.String),
            "status": pl.Series(parent_status, dtype=pl.String),
            "direction": "outbound-api",
            "ts": t_call,
            "duration": parent_talk,
        }
    ).filter(pl.Series(patch))
    kid = pl.DataFrame(
        {
            "sid": child_sid,
            "parent": sid,
            "from": PLATFORM_NUMBER,
            "to": pl.Series(office.astype(object), dtype=pl.String),
            "status": pl.Series(target_status, dtype=pl.String),
            "direction": "outbound-dial",
            "ts": t_call + 9,
            "duration": talk,
        }
    ).filter(pl.Series(child))
    return pl.concat([hot, par, kid])


def write_calls(c: Campaign, rows: pl.DataFrame, rng: np.random.Generator, w: Writer) -> None:
    if not len(rows):
        return
    rows = (
        rows.with_row_index("serial")
        .sort(["ts", "serial"])
        .with_columns(
            date=_rfc2822("ts"),
            end_date=pl.from_epoch(pl.col("ts") + pl.col("duration"), time_unit="s").dt.strftime(RFC2822),
            duration=pl.col("duration").cast(pl.String),
        )
    )
    _write_csv_parts(c, rows, rng, w, "twilio_calls", kind="calls")


# ---------------------------------------------------------------- Action Network actions

# page kind → (its actions' collection, the record's page-id field, share of people acting × engagement)
ACTION_PAGES = {
    "petition": ("signatures", "petition_id", 0.06),  # about 2 % of the list sign a campaign's petition
    "form": ("submissions", "form_id", 0.03),
    "event": ("attendances", "event_id", 0.02),
    "advocacy_campaign": ("outreaches", "advocacy_campaign_id", 0.04),
}
PAGE_BODY_BUDGET = 200  # per page, the first records land as API page bodies (25 a page); the rest NDJSON
AN_API = "https://actionnetwork.org/api/v2/"
SAMPLE_PULL = "pull-20260101T000000000000Z"  # the folder `rollcall pull` would have written them to
# Canadian MPs (by electoral district) and the US target when a person's state is unknown
MP_TARGETS = [
    ("Yasir", "Naqvi", "35075"),
    ("Chrystia", "Freeland", "35110"),
    ("Mélanie", "Joly", "24003"),
    ("Jenny", "Kwan", "59034"),
    ("Heather", "McPherson", "48015"),
    ("Leah", "Gazan", "46014"),
]
US_FALLBACK_TARGET = '{"title": "Speaker of the House", "given_name": "Mike", "family_name": "Johnson", ' + (
    '"ocdid": "ocd-division/country:us"}'
)


def action_pages(c: Campaign, seed: int) -> list[tuple[str, str]]:
    """The Action Network pages a campaign lists: a petition and a form on each call campaign,
    an event and letters (an advocacy campaign) on each click campaign; uuids fixed by the seed."""
    kinds = {0: ["petition", "form"], 2: ["event", "advocacy_campaign"]}.get(c.index % 3, [])
    return [(k, str(uuid.uuid5(uuid.NAMESPACE_URL, f"rollcall-sample:{seed}:{c.id}:{k}"))) for k in kinds]


def _iso(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _action_lines(frame: pl.DataFrame, page_kind: str, page_id: str) -> pl.Series:
    """One JSON record a row (action_id, person, created, modified, status, targets), as the API writes it."""
    _, id_field, _ = ACTION_PAGES[page_kind]
    extra = pl.lit("")
    if page_kind == "event":
        extra = pl.concat_str(pl.lit(', "status": "'), pl.col("status"), pl.lit('"'))
    elif page_kind == "advocacy_campaign":
        extra = pl.concat_str(pl.lit(', "type": "email", "targets": ['), pl.col("targets"), pl.lit("]"))
    return frame.select(
        pl.concat_str(
            pl.lit('{"identifiers": ["action_network:'),
            pl.col("action_id"),
            pl.lit('"], "created_date": "'),
            _iso("created"),
            pl.lit('", "modified_date": "'),
            _iso("modified"),
            pl.lit('", "action_network:person_id": "'),
            pl.col("person"),
            pl.lit(f'", "action_network:{id_field}": "{page_id}"'),
            extra,
            pl.lit("}"),
        )
    ).to_series()


def _targets(people: People, idx: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Each letter's targets: a Canadian writes to an MP, an American to a senator of their state."""
    mps = np.array(
        [
            json.dumps(
                {
                    "title": "MP",
                    "given_name": g,
                    "family_name": f,
                    "ocdid": f"ocd-division/country:ca/ed:{ed}",
                },
                ensure_ascii=False,
            )
            for g, f, ed in MP_TARGETS
        ],
        dtype=object,
    )
    state = people.frame["can2_state_abbreviated"].gather(idx).fill_null("").str.to_lowercase()
    senator = pl.select(
        pl.when(state.str.len_chars() == 2)
        .then(
            pl.concat_str(
                pl.lit('{"title": "Senator", "ocdid": "ocd-division/country:us/state:'), state, pl.lit('"}')
            )
        )
        .otherwise(pl.lit(US_FALLBACK_TARGET))
    ).to_series()
    mp = pl.Series(mps[rng.integers(0, len(mps), len(idx))], dtype=pl.String)
    return pl.select(pl.when(pl.Series(people.country_ca[idx])).then(mp).otherwise(senator)).to_series()


def _page_bodies(lines: pl.Series, page_kind: str, page_id: str) -> list[str]:
    """Records as the API's page bodies: 25 a page, HAL links, records under `_embedded`."""
    collection = ACTION_PAGES[page_kind][0]
    base = f"{AN_API}{page_kind}s/{page_id}/{collection}"
    bodies = []
    for n, start in enumerate(range(0, len(lines), 25), start=1):
        records = lines.slice(start, 25).str.join(", ").item()
        links = f'{{"self": {{"href": "{base}?page={n}"}}, "next": {{"href": "{base}?page={n + 1}"}}}}'
        bodies.append(
            f'{{"total_pages": {-(-len(lines) // 25)}, "per_page": 25, "page": {n}, "_links": {links}, '
            f'"_embedded": {{"osdi:{collection}": [{records}]}}}}\n'
        )
    return bodies


def write_actions(camps: list[Campaign], people: People, seed: int, w: Writer) -> dict:
    """Every listed page's actions, and one page no campaign lists, with a real pull's mess.

    The first records of each page land as API page bodies, the rest as NDJSON
    in the kind's folder. Then: 4 % changed later (an attendance accepted →
    declined, in a later file), 5 % re-pulled unchanged (a file that sorts
    later, so an old copy can land after the new one), a few people not in the
    export, and on the first page one record without created_date, one without
    a person and one line of bad JSON (`planted`).
    """
    rng = np.random.default_rng([seed, 5000])
    folder = w.out / "actionnetwork_actions"
    n = len(people.frame)
    pages = [(c, kind, page_id) for c in camps for kind, page_id in c.pages]
    unlisted = str(uuid.uuid5(uuid.NAMESPACE_URL, f"rollcall-sample:{seed}:unlisted"))
    pages.append((camps[0], "petition", unlisted))
    w.rows["actionnetwork_actions"] = 0
    w.files["actionnetwork_actions"] = 0
    w.planted["actionnetwork_actions"] = {"missing_created_date": 0, "missing_person_id": 0, "bad_json": 0}
    stats = {"actions": 0, "unlisted": 0, "unmatched": 0, "changed": 0, "declined": 0, "repulled": 0}
    body_seq = 0
    for number, (c, kind, page_id) in enumerate(pages):
        collection, _, share = ACTION_PAGES[kind]
        acted = np.flatnonzero(
            rng.random(n)
            < share * engagement_at(people, np.arange(n), c.progress) * (0.3 if page_id == unlisted else 1)
        )
        strangers = max(1, n // 2000) if number == 0 else 0
        persons = pl.concat([people.frame["uuid"].gather(acted), _uuids(rng, strangers)])
        m = len(persons)
        if m == 0:  # a tiny sample: nobody acted on this page
            continue
        created = np.sort(c.send_ts + rng.integers(600, 10 * 86400, m))
        frame = pl.DataFrame(
            {
                "action_id": _uuids(rng, m),
                "person": persons,
                "created": created,
                "modified": created,
                "status": "accepted",
                "targets": _targets(people, np.concatenate([acted, np.zeros(strangers, np.int64)]), rng)
                if kind == "advocacy_campaign"
                else pl.Series([""] * m, dtype=pl.String),
            }
        )
        changed = rng.random(m) < 0.04
        changed[rng.integers(0, m)] = True  # at least one a page, however small the sample
        later = frame.filter(pl.Series(changed)).with_columns(
            pl.col("modified") + pl.Series(rng.integers(2 * 86400, 6 * 86400, int(changed.sum()))),
            pl.lit("declined").alias("status"),
        )
        again = rng.random(m) < 0.05
        again[rng.integers(0, m)] = True
        repulled = frame.filter(pl.Series(again))
        lines = _action_lines(frame, kind, page_id)
        head = min(m, PAGE_BODY_BUDGET)
        for page, body in enumerate(_page_bodies(lines.slice(0, head), kind, page_id), start=1):
            body_seq += 1
            path = folder / SAMPLE_PULL / f"{body_seq:06d}-{kind}-{page_id}-p{page:04d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            w.files["actionnetwork_actions"] += 1
        rest = lines.slice(head)
        if number == 0:  # the damage: no created_date, no person, a line cut short
            bad = frame.head(3).with_columns(pl.col("action_id").str.replace("^.{8}", "badbadba"))
            bad_lines = _action_lines(bad, kind, page_id).to_list()
            rest = pl.concat(
                [
                    rest,
                    pl.Series(
                        [
                            re.sub(r'"created_date": "[^"]*", ', "", bad_lines[0]),
                            re.sub(r', "action_network:person_id": "[^"]*"', "", bad_lines[1]),
                            bad_lines[2][: len(bad_lines[2]) // 2],
                        ],
                        dtype=pl.String,
                    ),
                ]
            )
            planted = w.planted["actionnetwork_actions"]
            planted["missing_created_date"] += 1
            planted["missing_person_id"] += 1
            planted["bad_json"] += 1
        kind_folder = folder / collection
        kind_folder.mkdir(parents=True, exist_ok=True)
        for name, part in (
            (f"{page_id}.ndjson", rest),
            (f"{page_id}-later.ndjson", _action_lines(later, kind, page_id)),
            (f"{page_id}-repulled.ndjson", _action_lines(repulled, kind, page_id)),
        ):
            if len(part):
                _write_lines(kind_folder / name, part, array=False, w=w)
                w.files["actionnetwork_actions"] += 1
        w.rows["actionnetwork_actions"] += len(lines) + len(later) + len(repulled) + (3 if number == 0 else 0)
        stats["actions"] += m
        stats["unlisted"] += m if page_id == unlisted else 0
        stats["unmatched"] += strangers
        stats["changed"] += len(later)
        stats["declined"] += len(later) if kind == "event" else 0
        stats["repulled"] += len(repulled)
    w.duplicates["actionnetwork_actions"] = {"copies": stats["changed"] + stats["repulled"]}
    return stats


# ---------------------------------------------------------------- orchestration


def generate(
    out_dir: str | Path,
    people: int = 2000,
    campaigns: int = 15,
    seed: int = 7,
    email_share: float = EMAIL_AUDIENCE_SHARE,
    gzip: bool = False,
) -> dict:
    """Write a landing folder; return what was written and what was planted.

    `rows` counts every record written per source (CSV data rows, JSON events,
    NDJSON lines — deliberate bad rows and re-posted duplicates included);
    `loadable` is what a correct ingest keeps: rows minus planted bad rows
    minus duplicate copies. `planted` counts each kind of deliberate damage.
    """
    out = Path(out_dir)
    if out.exists():
        for sub in ["people", "sendgrid", "twilio_messages", "twilio_calls", "actionnetwork_actions"]:
            shutil.rmtree(out / sub, ignore_errors=True)
    for sub in ["people", "sendgrid", "twilio_messages", "twilio_calls"]:
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w = Writer(out, email_share=email_share, gzip=gzip)

    ppl = build_people(people, rng, seed)
    _blank_to_null(ppl.frame).write_csv(out / "people" / "activists.csv")
    w.rows["people"] = len(ppl.frame)
    w.files["people"] = 1
    w.planted["people"] = dict(ppl.planted)

    camps = build_campaigns(campaigns, rng)
    for c in camps:
        c.pages = action_pages(c, seed)
    (out / "campaigns.yml").write_text(campaigns_yaml(camps), encoding="utf-8")
    st = State(
        hard_bounced=np.zeros(people, bool),
        email_blocked=np.zeros(people, bool),
        sms_opted_out=np.zeros(people, bool),
    )
    has_follow_up = {c.follow_up_of.id for c in camps if c.follow_up_of}
    for c in camps:
        if c.id in has_follow_up:
            st.first_open[c.id] = np.zeros(people, np.int64)
            st.first_call[c.id] = np.zeros(people, np.int64)

    for c in sorted(camps, key=lambda x: (x.starts, x.index)):
        crng = np.random.default_rng([seed, 1000 + c.index])
        w.call_seq = 0
        call_rows: list[pl.DataFrame] = []

        def on_engaged(members, e, r, c=c, call_rows=call_rows):
            if c.id in st.first_open:
                fo = st.first_open[c.id]
                fo[members[e["human_open"]]] = e["t_open"][e["human_open"]]
            if c.ask != ASK_CALL:
                return
            # openers call more, clickers most; a quarter of them only after a week or more
            p = np.where(
                e["clicked"], 0.30, np.where(e["human_open"], 0.10, np.where(e["delivered"], 0.006, 0))
            )
            calls = r.random(len(members)) < p
            anchor = np.where(e["clicked"], e["t_click"], np.where(e["human_open"], e["t_open"], e["t_del"]))
            late = r.random(len(members)) < 0.25
            delay = np.where(
                late,
                r.integers(7 * 86400, 21 * 86400, len(members)),
                r.exponential(1800, len(members)).astype(np.int64) + 20,
            )
            call_rows.append(calls_for(c, members[calls], (anchor + delay)[calls], ppl, st, r, w))

        write_sendgrid(c, ppl, st, crng, w, on_engaged)

        if c.sms_from:
            if c.follow_up_of:
                # the strategist's cohort: opened the parent, no call within 7 days of opening,
                # SMS-subscribed; 80 % texted, 20 % held out as control
                p = c.follow_up_of
                fo, fc = st.first_open[p.id], st.first_call[p.id]
                cohort = np.flatnonzero((fo > 0) & ppl.sms_ok & ~((fc > 0) & (fc <= fo + 7 * 86400)))
                texted_mask = crng.random(len(cohort)) < 0.8
                to_idx, control = cohort[texted_mask], cohort[~texted_mask]
            else:
                pool = np.flatnonzero(ppl.sms_ok)
                to_idx = pool[crng.random(len(pool)) < c.sms_blast_share]
                control = np.empty(0, np.int64)
            times = c.sms_start + crng.integers(0, 3 * 3600, len(to_idx))
            rows, ok_idx, ok_t = texts_for(c, to_idx, times, ppl, st, crng, w)
            write_messages(c, rows, crng, w)
            if c.follow_up_of:
                # the text works: texted people call the parent's numbers far more than the control
                r = crng.random(len(ok_idx)) < 0.22
                call_rows.append(
                    calls_for(
                        c,
                        ok_idx[r],
                        ok_t[r] + crng.exponential(2400, r.sum()).astype(np.int64) + 30,
                        ppl,
                        st,
                        crng,
                        w,
                    )
                )
                ctl = crng.random(len(control)) < 0.05
                t_ctl = c.sms_start + crng.integers(0, 5 * 86400, ctl.sum())
                call_rows.append(calls_for(c, control[ctl], t_ctl, ppl, st, crng, w))
        if c.ask == ASK_CALL and c.hotline and not c.follow_up_of:
            # callers nobody knows: the hotline number gets shared around
            k = max(1, people // 2000)
            serial = 2 * (w.call_seq + np.arange(k, dtype=np.int64))
            w.call_seq += k
            strangers = pl.DataFrame(
                {
                    "sid": pl.select(_sid("CA", c.index, pl.lit(pl.Series(serial)))).to_series(),
                    "parent": "",
                    "from": pl.Series(w.strangers(k, "773"), dtype=pl.String),
                    "to": c.hotline,
                    "status": "completed",
                    "direction": "inbound",
                    "ts": c.send_ts + crng.integers(3600, 3 * 86400, k),
                    "duration": crng.integers(30, 400, k),
                }
            )
            w.unmatched["twilio_calls"] += k
            call_rows.append(strangers)
        if call_rows:
            calls = pl.concat(
                [
                    r.with_columns(pl.col("duration").cast(pl.Int64), pl.col("ts").cast(pl.Int64))
                    for r in call_rows
                ],
                how="vertical_relaxed",
            )
            write_calls(c, calls, crng, w)

    actions = write_actions(camps, ppl, seed, w)
    planted_total = {s: sum(v.values()) for s, v in w.planted.items()}
    dup = {
        "sendgrid": w.duplicates["sendgrid"]["events"],
        "actionnetwork_actions": w.duplicates["actionnetwork_actions"]["copies"],
    }
    return {
        "out_dir": str(out),
        "seed": seed,
        "people": people,
        "campaigns": len(camps),
        "email_share": email_share,
        "files": dict(w.files),
        "rows": dict(w.rows),
        "loadable": {
            s: w.rows[s] - (0 if s == "people" else planted_total[s]) - dup.get(s, 0) for s in w.rows
        },
        "planted": w.planted,
        "duplicates": w.duplicates,
        "unmatched": w.unmatched,
        "actions": actions,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipelines.lib.sample", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="landing folder to write")
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--campaigns", type=int, default=15)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--email-share",
        type=float,
        default=EMAIL_AUDIENCE_SHARE,
        help="share of people each campaign emails (default %(default)s)",
    )
    ap.add_argument("--gzip", action="store_true", help="write the bulk exports gzip-compressed")
    a = ap.parse_args(argv)
    if a.people < 1 or a.campaigns < 1:
        ap.error("--people and --campaigns must be at least 1")
    print(json.dumps(generate(a.out, a.people, a.campaigns, a.seed, a.email_share, a.gzip), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
