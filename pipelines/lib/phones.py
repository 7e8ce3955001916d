"""Phone and postal-code normalisation, done once per distinct value.

Callers hand over the distinct raw strings of a batch (never one call per
event): a national export has millions of texts but far fewer numbers.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import phonenumbers
import zipcodes

# Action Network and Twilio numbers here are North American: a bare
# 10-digit number is read as +1.
DEFAULT_REGION = "US"


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of a human-written number, or None if it is not a valid number."""
    if raw is None or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def e164_table(values: Iterable[str | None]) -> dict[str, list]:
    """Columns `raw`, `e164` mapping each distinct non-empty value to its E.164 form."""
    distinct = sorted({v for v in values if v is not None and v.strip()})
    return {"raw": distinct, "e164": [to_e164(v) for v in distinct]}


# A North American number written the usual ways: digits and ( ) . - / spaces,
# optionally led by +1. Anything else (letters, extensions, other country
# codes) goes through phonenumbers' full parser.
NANP_SHAPE = r"^\s*(\+\s*1)?[\s0-9().\-/]*$"


def nanp_prefix(national: str) -> str:
    """The leading digits that decide whether a 10-digit NANP number is valid.

    In phonenumbers' metadata every +1 pattern fixes at most the first six
    digits (area code and exchange) and leaves the rest free, except
    Barbados (246), whose mobile ranges fix a seventh. So validity is a
    property of the prefix, and a million members need only their distinct
    exchanges checked. `tests/lib/test_phones.py` checks this against the
    full parser on random numbers.
    """
    return national[:7] if national.startswith("246") else national[:6]


def nanp_prefix_valid(prefix: str) -> bool:
    """Whether the numbers of a NANP prefix (nanp_prefix) are valid, as phonenumbers says.

    Read from PREFIX_TABLE, which phonenumbers itself wrote (`python -m
    pipelines.lib.phones`); asked of phonenumbers when the table is not for
    the phonenumbers installed. A first build meets ~150k distinct exchanges,
    which took phonenumbers 8 s; the table answers them in milliseconds.
    """
    table = _prefix_table()
    if table is None:
        return _parsed_prefix_valid(prefix)
    index = _prefix_index(prefix)
    return bool(table[index >> 3] >> (index & 7) & 1)


def _parsed_prefix_valid(prefix: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix.ljust(10, "0")))
    return phonenumbers.is_valid_number(number)


# Every prefix nanp_prefix gives, each a bit of PREFIX_TABLE: the 6-digit ones
# (000000 … 999999), then Barbados' 7-digit ones (2460000 … 2469999).
_SIX_DIGIT, _BARBADOS = 1_000_000, 10_000
PREFIX_COUNT = _SIX_DIGIT + _BARBADOS


def all_prefixes() -> list[str]:
    """Every prefix, in PREFIX_TABLE's order (built when asked: a million strings)."""
    return [f"{i:06d}" for i in range(_SIX_DIGIT)] + [f"246{i:04d}" for i in range(_BARBADOS)]


PREFIX_TABLE = Path(__file__).with_name("nanp_prefixes.bin.gz")


def _prefix_index(prefix: str) -> int:
    return int(prefix) if len(prefix) == 6 else 1_000_000 + int(prefix[3:])


def _table_header() -> bytes:
    return f"rollcall nanp prefixes, phonenumbers {phonenumbers.__version__}\n".encode()


@cache
def _prefix_table() -> bytes | None:
    """PREFIX_TABLE's bits, or None when it is missing or another phonenumbers' (then each prefix
    is asked of the parser, as the table was made)."""
    try:
        data = gzip.decompress(PREFIX_TABLE.read_bytes())
    except FileNotFoundError:
        return None
    header = _table_header()
    if not data.startswith(header) or len(data) != len(header) + (PREFIX_COUNT + 7) // 8:
        return None
    return data[len(header) :]


def write_prefix_table(path: Path = PREFIX_TABLE) -> int:
    """Ask phonenumbers about every prefix (on every core: 12 s here) and write the table; the valid ones."""
    from concurrent.futures import ProcessPoolExecutor  # only here: not on every import of ingest

    with ProcessPoolExecutor() as pool:
        valid = list(pool.map(_parsed_prefix_valid, all_prefixes(), chunksize=10_000))
    bits = bytearray((PREFIX_COUNT + 7) // 8)
    for index, ok in enumerate(valid):
        if ok:
            bits[index >> 3] |= 1 << (index & 7)
    path.write_bytes(gzip.compress(_table_header() + bytes(bits), mtime=0))
    _prefix_table.cache_clear()
    return sum(valid)


@cache
def zip_states() -> dict[str, list]:
    """Columns `zip`, `state`: every US ZIP code with its state, from the offline `zipcodes` data."""
    rows = sorted({(z["zip_code"], z["state"]) for z in zipcodes.list_all()})
    return {"zip": [z for z, _ in rows], "state": [s for _, s in rows]}


if __name__ == "__main__":
    # After phonenumbers is upgraded: `uv run python -m pipelines.lib.phones` writes the table again.
    print(f"{write_prefix_table():,} valid prefixes written to {PREFIX_TABLE}")
