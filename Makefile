# The newcomer's front door. `make demo` builds everything on sample data;
# `make test` runs every test CI runs.
UV ?= uv
export UV_LINK_MODE ?= copy

.PHONY: setup demo run test fuzz lint bench dev dashboard clean

setup:
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	@# Byte-compiled once here: the machines set PYTHONDONTWRITEBYTECODE, so without
	@# .pyc files every dbt and Dagster process compiled its dependencies from source.
	@$(UV) sync --frozen --quiet --compile-bytecode
	@# The dashboard's browser test drives Debian's Chromium (never `playwright install`).
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

demo: setup
	@$(UV) run rollcall demo

run: setup
	$(UV) run rollcall run

# The attack suite (tests/attack) runs here with Hypothesis's `ci` profile: 25
# derandomized examples a property. TEST_WORKERS pytest-xdist workers share the
# tests; the tests of a module-scoped fixture, and all the dashboard tests, stay
# on one worker (tests/conftest.py).
TEST_WORKERS ?= 2
test: setup
	$(UV) run pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The attack properties with fresh random examples, batch after batch, for
# FUZZ_SECONDS (10 minutes); prints the cases tried.
FUZZ_SECONDS ?= 600
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) $(UV) run pytest -q -s -p no:cacheprovider tests/attack/test_fuzz.py

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run sqlfluff lint dbt_project/models

bench: setup
	$(UV) run python bench/run.py

dev: setup
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(UV) run dagster dev -f pipelines/definitions.py

dashboard: setup
	$(UV) run rollcall dashboard

clean:
	rm -rf data/warehouse.duckdb* dbt_project/target dbt_project/logs
