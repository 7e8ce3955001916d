"""`make fuzz`: every attack property, random examples, batch after batch, for FUZZ_SECONDS.

Skipped unless FUZZ_SECONDS is set. A failure stops the run with
Hypothesis's shrunk example; at the end the number of cases tried per
property is printed (and written to FUZZ_REPORT when set).
"""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import settings

from tests.attack import test_damaged_landing as attack

PROPERTIES = [
    attack.test_damaged_people_exports,
    attack.test_damaged_twilio_message_logs_and_no_opt_out_lost,
    attack.test_damaged_twilio_call_logs,
    attack.test_damaged_sendgrid_posts,
]


@pytest.mark.skipif(not os.environ.get("FUZZ_SECONDS"), reason="make fuzz sets FUZZ_SECONDS")
def test_fuzz_every_property_for_a_while():
    assert settings.default.derandomize is False, "run with HYPOTHESIS_PROFILE=fuzz (make fuzz)"
    seconds = float(os.environ["FUZZ_SECONDS"])
    start = time.monotonic()
    attack.CASES.clear()
    batches = 0
    while time.monotonic() - start < seconds:
        for prop in PROPERTIES:
            prop()  # one batch: the fuzz profile's max_examples, fresh random examples
        batches += 1
    report = {
        "seconds": round(time.monotonic() - start),
        "batches": batches,
        "cases": dict(attack.CASES),
        "total": sum(attack.CASES.values()),
    }
    print(f"\nfuzz: {json.dumps(report)}")
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as out:
            json.dump(report, out)
