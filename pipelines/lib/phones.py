"""Phone and postal-code normalisation, done once per distinct value.

Callers hand over the distinct raw strings of a batch (never one call per
event): a national export has millions of texts but far fewer numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

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
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix.ljust(10, "0")))
    return phonenumbers.is_valid_number(number)


@cache
def zip_states() -> dict[str, list]:
    """Columns `zip`, `state`: every US ZIP code with its state, from the offline `zipcodes` data."""
    rows = sorted({(z["zip_code"], z["state"]) for z in zipcodes.list_all()})
    return {"zip": [z for z, _ in rows], "state": [s for _, s in rows]}
