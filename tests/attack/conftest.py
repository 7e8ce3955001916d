"""Hypothesis profiles for the attack suite.

- `ci` (the default, `make test`): 25 examples a property, derandomized so CI
  is stable, no example database.
- `fuzz` (`make fuzz`): random, many examples; test_fuzz.py keeps drawing
  batches until FUZZ_SECONDS have passed and reports how many cases it tried.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz", max_examples=50, derandomize=False, database=None, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
