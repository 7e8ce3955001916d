"""A run with nothing new does nothing: no ingest, no dbt, no publish (pipelines/lib/runstate.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from pipelines.lib import runstate
from pipelines.run import log_path, run_all
from tests.conftest import copy_built


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_the_models_digest_follows_the_project_file_as_well_as_the_models(tmp_path):
    # A config in dbt_project.yml reaches every model: tables built under another are not added to.
    project = tmp_path / "dbt_project"
    for part in ("models", "macros"):
        shutil.copytree(runstate.DBT_DIR / part, project / part)
    shutil.copyfile(runstate.DBT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    held = runstate.models_sha256(project)
    assert held == runstate.models_sha256()  # the same bytes, the same digest
    with (project / "dbt_project.yml").open("a", encoding="utf-8") as project_file:
        project_file.write("\nvars:\n  anything: changed\n")
    assert runstate.models_sha256(project) != held


def test_a_run_with_nothing_new_publishes_nothing(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    # Another landing folder than the one the build read: the run looks, and records what it read.
    first = run_all(landing, warehouse)
    assert first.published
    assert runstate.last_published_inputs(warehouse) == runstate.inputs_fingerprint(landing)
    before = _stamp(warehouse)
    again = run_all(landing, warehouse)
    assert not again.published
    assert _stamp(warehouse) == before  # the same file: nothing was copied over it
    assert again.rows == first.rows and again.rejected == first.rejected


def test_a_file_touched_or_landed_makes_the_run_look_again(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    run_all(landing, warehouse)
    post = next((landing / "sendgrid").iterdir())
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    assert run_all(landing, warehouse).published
    (landing / "sendgrid" / "post-900.json").write_text(
        '[{"email":"alice@example.com","timestamp":1780412400,"event":"click","sg_event_id":"ev-new",'
        '"campaign_id":"pro-act-2026"}]'
    )
    done = run_all(landing, warehouse)
    assert done.published and not run_all(landing, warehouse).published


def test_a_touched_file_with_nothing_new_in_it_does_not_start_dbt(built, tmp_path):
    # The run looks (the file's time changed), finds no row loaded since the last build,
    # and leaves every model as it is (pipelines/defs/transform/assets.py, unchanged_models).
    landing, warehouse = copy_built(built, tmp_path)
    run_all(landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        funnel = con.sql("select * from marts.person_campaign_funnel order by all").fetchall()
    post = next((landing / "sendgrid").iterdir())
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    assert run_all(landing, warehouse).published
    # the run's own log (replaced each run)
    assert "dbt not started: every model is as the last build left it" in log_path(warehouse).read_text()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("select * from marts.person_campaign_funnel order by all").fetchall() == funnel


def test_changed_models_or_segments_make_the_run_look_again(built, tmp_path, monkeypatch):
    landing, warehouse = copy_built(built, tmp_path)
    run_all(landing, warehouse)
    segments = tmp_path / "segments.yml"
    segments.write_text("segments: []\n")
    monkeypatch.setenv("ROLLCALL_SEGMENTS", str(segments))
    assert runstate.inputs_fingerprint(landing, segments) != runstate.last_published_inputs(warehouse)
    monkeypatch.setattr(runstate, "models_sha256", lambda: "other models")
    assert runstate.inputs_fingerprint(landing) != runstate.last_published_inputs(warehouse)


def test_a_publish_keeps_the_copy_it_replaced_until_the_next_run_frees_it(built, tmp_path):
    import duckdb

    from pipelines.lib import warehouse as wh

    landing, warehouse = copy_built(built, tmp_path)
    first_copy = warehouse.stat().st_ino
    # A reader mid-way through the published copy when a run replaces it.
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        people = reader.sql("select count(*) from marts.people").fetchall()
        assert run_all(landing, warehouse).published
        (retired,) = wh.retired_copies(warehouse)
        assert retired.stat().st_ino == first_copy != warehouse.stat().st_ino

        post = next((landing / "sendgrid").iterdir())
        os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
        second_copy = warehouse.stat().st_ino
        assert run_all(landing, warehouse).published
        # The next run freed the first copy; the one it replaced waits in turn.
        assert not retired.exists()
        assert [p.stat().st_ino for p in wh.retired_copies(warehouse)] == [second_copy]
        # The reader still reads the copy it opened.
        assert reader.sql("select count(*) from marts.people").fetchall() == people
    finally:
        reader.close()


def test_old_dbt_run_folders_are_removed_and_the_newest_or_recent_kept(tmp_path):
    """dagster-dbt leaves a folder a dbt step; rollcall keeps the newest ten and any of the last hours."""
    from pipelines.defs.transform.project import KEEP_DBT_HOURS, prune_dbt_runs

    now = 1_800_000_000.0
    ages_hours = [0.1 * i for i in range(12)] + [KEEP_DBT_HOURS + 1 + i for i in range(5)]
    folders = []
    for i, age in enumerate(ages_hours):
        folder = tmp_path / f"rollcall_dbt_models-{i:07d}-abcdef0"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (now - age * 3600, now - age * 3600))
        folders.append(folder)
    (tmp_path / "partial_parse.msgpack").write_bytes(b"x")
    (tmp_path / "other").mkdir()

    removed = prune_dbt_runs(tmp_path, keep=10, now=now)

    # The 12 recent folders stay (10 newest, and 2 more because they are recent);
    # the 5 older than KEEP_DBT_HOURS and not among the newest go.
    assert sorted(removed) == sorted(folders[12:])
    assert all(f.exists() for f in folders[:12])
    assert not any(f.exists() for f in folders[12:])
    assert (tmp_path / "partial_parse.msgpack").exists() and (tmp_path / "other").is_dir()
    # A second pass removes nothing.
    assert prune_dbt_runs(tmp_path, keep=10, now=now) == []


def test_a_publish_moves_the_working_file_and_the_next_run_builds_on_a_copy_of_it(built, tmp_path):
    # A publish copies nothing: the checkpointed working file itself becomes the published
    # warehouse. The next run makes its working file again from the published one (in the
    # background, while ingest writes the raw file) and adds to it: no full refresh.
    # (pipelines/lib/warehouse.py, publish and start_restoring_build)
    from pipelines.lib import warehouse as wh
    from pipelines.run import log_path

    landing, warehouse = copy_built(built, tmp_path)
    build = wh.build_path(warehouse)
    post = next((landing / "sendgrid").iterdir())
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    working = build.stat().st_ino
    assert run_all(landing, warehouse).published
    assert warehouse.stat().st_ino == working and not build.exists()
    assert wh.raw_path(build).exists()  # the history stays beside it, never moved or copied

    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    published = warehouse.stat().st_ino
    summary = run_all(landing, warehouse)
    assert summary.published and not build.exists()
    assert warehouse.stat().st_ino not in (published, working)
    log = log_path(warehouse).read_text(encoding="utf-8")
    # The same events landed again under a new time: the restored working file's build log
    # says every model is as it left them (a missing one would mean a full refresh).
    assert "dbt full refresh" not in log and "as they are" in log
    assert summary.rows == built["summary"].rows
