"""No request makes a 5xx (issue 9, point 9): schemathesis against /api/openapi.json, and the known killers.

Schemathesis generates requests from the OpenAPI document (valid ones and,
in its negative mode, invalid ones) and sends them to the WSGI app through
its Python API: no network, no server.  Every answer must be no server
error, and must be what the document promises (status code, content type,
headers, JSON schema).  Each operation runs against random ids and against
ids that exist (the sample scenario, a real plan, a queued job), deletes
last.  The runner is not started after the one plan is made, so the solves
the fuzzing asks for only queue.

The search is bounded (``MAX_EXAMPLES`` per operation, mode and kind of id)
and derandomized: the same code sends the same requests, so a failure
repeats.  It cannot pass by sending nothing: every operation of the
document must have been called, with a minimum of requests in all.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from routeplanner.web.openapi import document

SAMPLE_ID = 1
#: Examples per operation, generation mode and kind of id: about 1,500
#: requests per database, half a minute on a 2-core machine.
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def existing_ids(app, client, live_runner, wait_job) -> dict[str, int]:
    """Ids of rows that exist: the sample, a real plan (a short reproducible solve), a queued job."""
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 60, "work_limit": 20}).get_json()
    done = wait_job(client, job["id"])
    assert done["status"] == "done", done
    from routeplanner.web import jobs as web_jobs

    web_jobs.stop_runner(app)  # from here on, solves only queue
    queued = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 1}).get_json()
    return {"scenario_id": SAMPLE_ID, "plan_id": done["plan_id"], "job_id": queued["id"]}


def _fuzz(op, mode: GenerationMode, fixed: dict[str, int], calls: Counter, statuses: Counter) -> None:
    """Send MAX_EXAMPLES requests of ``op`` (path parameters ``fixed``); raise what the checks find."""

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    def run(case):
        response = case.call()
        calls[op.label] += 1
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.both_databases
def test_schemathesis_finds_no_server_error_and_answers_match_the_document(app, existing_ids):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    described = {f"{method.upper()} {path}" for path, item in document()["paths"].items() for method in item
                 if method != "parameters"}
    described.remove("GET /api/openapi.json")  # schemathesis leaves out the document it was loaded from
    assert {op.label for op in operations} == described
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # the sample survives until the end

    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for op in operations:
        names = [p.name for p in op.path_parameters]
        id_kinds = [{}] + ([{name: existing_ids[name] for name in names}] if names else [])
        for fixed in id_kinds:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                # nothing left to break: no parameter or body that is not fixed
                if mode is GenerationMode.NEGATIVE and not (
                        (op.path_parameters and not fixed) or op.query or op.headers or op.body):
                    continue
                try:
                    _fuzz(op, mode, fixed, calls, statuses)
                except Exception as exc:  # noqa: BLE001 - every operation is tried; all failures listed
                    failures.append(f"{op.label} ({mode.value}, {'existing' if fixed else 'random'} ids): {exc}")
    assert not failures, "\n\n".join(failures)
    assert set(calls) == described, described - set(calls)
    assert sum(calls.values()) >= 15 * MAX_EXAMPLES * 2, calls
    assert not [code for code in statuses if code >= 500]
    # the fuzzing reached past the 404s and 422s too
    assert {200, 201, 202, 204, 400, 404, 409, 412, 422} <= set(statuses), statuses


# --- what schemathesis does not try: ids beyond the columns, deep nesting -------------------------

ROUTES_WITH_IDS = [
    ("get", "/api/scenarios/{}"), ("put", "/api/scenarios/{}"), ("delete", "/api/scenarios/{}"),
    ("post", "/api/scenarios/{}/copy"), ("get", "/api/scenarios/{}/stops"), ("put", "/api/scenarios/{}/stops"),
    ("post", "/api/scenarios/{}/solve"), ("get", "/api/scenarios/{}/jobs"), ("get", "/api/scenarios/{}/plans"),
    ("get", "/api/jobs/{}"), ("post", "/api/jobs/{}/cancel"), ("get", "/api/plans/{}"),
    ("get", "/api/plans/{}/check"), ("delete", "/api/plans/{}"),
    ("get", "/scenarios/{}"), ("post", "/scenarios/{}/stops"), ("post", "/scenarios/{}/settings"),
    ("post", "/scenarios/{}/delete"), ("post", "/scenarios/{}/copy"), ("post", "/scenarios/{}/plan"),
    ("get", "/scenarios/{}/stops.csv"), ("get", "/jobs/{}"), ("post", "/jobs/{}/cancel"), ("get", "/plans/{}"),
    ("get", "/plans/{}/map"), ("get", "/plans/{}/driver"), ("get", "/plans/{}/driver/1"),
    ("get", "/plans/{}/timetable"), ("get", "/plans/{}/poster"), ("get", "/plans/{}/calendar/x.ics"),
]
#: 2**31 is beyond PostgreSQL's Integer, 2**63 beyond every driver (OverflowError on SQLite).
BIG_IDS = [str(2**31), str(2**63), str(10**30), "9" * 5000]


@pytest.mark.both_databases
@pytest.mark.parametrize("big", BIG_IDS, ids=["2^31", "2^63", "10^30", "5000 digits"])
def test_ids_no_column_can_hold_are_404_everywhere(app, client, big):
    for method, url in ROUTES_WITH_IDS:
        kwargs = {"json": {}} if method in ("put", "post") and url.startswith("/api") else {}
        response = getattr(client, method)(url.format(big), **kwargs)
        assert response.status_code == 404, (method, url, response.status_code)
        if url.startswith("/api"):
            assert response.mimetype == "application/json"
    # the same numbers where ids arrive in a query or a form: refused (400, 404, 422), never a 500
    for url in (f"/api/compare?plans=1,{big}", f"/compare?plans=1,{big}", f"/compare/map?plan={big}"):
        assert 400 <= client.get(url).status_code < 500, url[:60]
    assert 400 <= client.post("/scenarios/copy", data={"copy_from": big}).status_code < 500


def test_the_id_pattern_is_exactly_the_column_range(app):
    adapter = app.url_map.bind("localhost")
    for good in (0, 1, 2**31 - 1):
        assert adapter.match(f"/api/scenarios/{good}", "DELETE")[1] == {"scenario_id": good}
    for bad in (2**31, 2**31 + 10, 2**32, 9999999999, 10**10):
        with pytest.raises(Exception) as info:
            adapter.match(f"/api/scenarios/{bad}", "DELETE")
        assert getattr(info.value, "code", None) == 404  # not 405, as a refusal after the pattern gives


def _nested(depth: int, inner: str = "1") -> bytes:
    return ("[" * depth + inner + "]" * depth).encode()


DEEP_BODIES = {
    "arrays 100,000 deep": _nested(100_000),
    "objects 100,000 deep": ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(),
    "500 deep in a scenario": b'{"name": "x", "depot": ' + _nested(500) + b"}",
    "40 deep in a scenario": b'{"name": "x", "vehicles": [' + ('{"a":' * 40 + "1" + "}" * 40).encode() + b"]}",
}


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
@pytest.mark.parametrize("method, url", [
    ("post", "/api/scenarios"), ("put", f"/api/scenarios/{SAMPLE_ID}"), ("put", f"/api/scenarios/{SAMPLE_ID}/stops"),
    ("post", f"/api/scenarios/{SAMPLE_ID}/copy"), ("post", f"/api/scenarios/{SAMPLE_ID}/solve"),
    ("delete", f"/api/scenarios/{SAMPLE_ID}"),
])
def test_deeply_nested_json_is_400_with_a_clear_problem(app, client, method, url, body):
    before = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    response = getattr(client, method)(url, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    problem = response.get_json()["problems"][0]
    assert "nested" in response.get_json()["error"] and "32 levels" in problem["expected"]
    assert client.get(f"/api/scenarios/{SAMPLE_ID}").get_json() == before
    assert len(client.get("/api/scenarios").get_json()["scenarios"]) == 1


def test_a_scenario_as_deep_as_it_can_be_is_still_read(client):
    """The bound leaves room: the deepest real document (stops > stop > days) passes it."""
    document_ = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    assert client.put(f"/api/scenarios/{SAMPLE_ID}", json=document_).status_code == 200


@pytest.mark.parametrize("toml", [
    "name = " + "[" * 100_000 + "]" * 100_000,
    "name = " + "{a = " * 3_000 + "1" + "}" * 3_000,
    "[" + ".".join(["a"] * 5_000) + "]\nx = 1",
], ids=["arrays", "inline tables", "dotted tables"])
def test_deeply_nested_toml_uploads_are_refused_not_a_500(client, toml):
    from test_api import STOPS_CSV, upload

    response = upload(client, {"stops": (STOPS_CSV, "stops.csv"), "scenario": (toml.encode(), "scenario.toml")})
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    problems = response.get_json()["problems"]
    assert any(p["file"] == "scenario.toml" and "32 levels" in p["expected"] for p in problems), problems


def test_page_forms_with_huge_row_numbers_are_not_a_500(client):
    """Form keys carry row numbers (``stop-<n>-name``); 5,000 digits is no row."""
    huge = "9" * 5000
    response = client.post(f"/scenarios/{SAMPLE_ID}/stops", data={f"stop-{huge}-name": "x"})
    assert response.status_code < 500
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data={f"vehicle-{huge}-name": "x"})
    assert response.status_code < 500
    for url in ("/compare?plans=1,²", f"/compare?plans=1,{huge}"):
        assert client.get(url).status_code == 400, url


def test_the_openapi_document_does_not_repeat_the_host_header(client):
    """Point 11: the servers URL came from the request's Host header (the client's to choose)."""
    response = client.get("/api/openapi.json", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.get_data(as_text=True)
    assert response.get_json()["servers"] == [{"url": "/"}]
