"""The use cases on a real SQLite store: each storage rule holds for every entry point alike."""

from __future__ import annotations

import dataclasses

import pytest

from builders import scenario, stop
from routeplanner import services, store
from routeplanner.errors import InputError


@pytest.fixture
def sessions(tmp_path):
    engine, factory = store.open_sessions(f"sqlite:///{tmp_path / 'rp.sqlite'}")
    yield factory
    engine.dispose()


def small(name: str = "District"):
    return scenario([stop("a", 0.1), stop("b", 0.2)], name=name)


def test_storage_problems_name_the_row_and_the_column_as_the_user_sees_them():
    sc = small("N" * 301)
    sc = dataclasses.replace(sc, stops=(sc.stops[0], dataclasses.replace(sc.stops[1], id="i" * 201, name="x" * 301)))
    problems = services.storage_problems(sc, "settings", "stops.csv")
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("settings", None, "name"), ("stops.csv", 3, "id"), ("stops.csv", 3, "name")]
    assert "at most 300 characters" in problems[0].expected and "at most 200" in problems[1].expected
    # the editor's own row numbers
    assert services.storage_problems(sc, "settings", "table", lambda i: 10 + i)[1].row == 11
    assert services.storage_problems(small(), "settings", "stops.csv") == []


def test_copy_name_rules():
    assert services.copy_name(None, "District (copy)") == "District (copy)"
    assert services.copy_name(None, "D" * 400) == "D" * store.MAX_NAME  # a long default is cut to fit
    assert services.copy_name("  Winter  ", "x") == "Winter"
    for bad in ("", "   ", "W" * 301, 5, "a\x00b"):
        with pytest.raises(InputError) as err:
            services.copy_name(bad, "x")
        assert err.value.problems[0].column == "name"


def test_create_copy_and_save_store_what_they_say_and_refuse_what_storage_cannot_hold(sessions):
    with sessions() as s:
        row = services.create_scenario(s, small())
        assert row.id and row.to_model().stops == small().stops
        copy = services.copy_scenario(s, row, services.copy_name(None, "District (copy)"))
        assert (copy.copied_from_id, copy.name) == (row.id, "District (copy)")
        assert copy.to_model().stops == row.to_model().stops
        before = row.version
        three = dataclasses.replace(small(), stops=small().stops + (stop("c", 0.3),))
        saved = services.save_scenario(s, row, three, expected_version=before)
        assert len(saved.stops) == 3 and saved.version == before + 1
        with pytest.raises(store.Conflict):
            services.save_scenario(s, saved, small(), expected_version=before)
        with pytest.raises(InputError):
            services.create_scenario(s, small("N" * 301))
        with pytest.raises(InputError):
            services.save_scenario(s, saved, small("N" * 301))
        assert s.query(store.ScenarioRow).count() == 2  # nothing half-stored
        assert len(s.get(store.ScenarioRow, row.id).stops) == 3


def test_start_solve_queues_a_job_for_a_stored_scenario(sessions):
    from routeplanner import jobs

    with sessions() as s:
        row = services.create_scenario(s, small())
        job = services.start_solve(s, row.id, time_limit_s=1, label="try")
        assert (job.status, job.params["label"], job.params["time_limit_s"]) == (jobs.QUEUED, "try", 1.0)
        with pytest.raises(jobs.JobNotFound):
            services.start_solve(s, 999)
