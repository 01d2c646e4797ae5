"""What keeps other websites out (``web.security``): the Origin check, the forms' CSRF token, JSON only as
``application/json``, the session cookie and the security headers on every response.

The ``client`` fixture sends page forms with a valid token (``conftest.FormClient``); the refusals of
forms without one are tested with ``browser``, a plain Flask test client.  The same attacks from a real
page of another site, in Chromium, are in ``tests/e2e/test_forgery.py``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from flask import session
from flask.testing import FlaskClient
from flask_wtf.csrf import validate_csrf
from test_pages import add_plan

from routeplanner import jobs
from routeplanner.web import db
from routeplanner.web.pages import PAGE_BLUEPRINTS

SAMPLE_ID = 1
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rokiskis"
STOPS_CSV = (
    "id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority\n"
    'a,"<script>alert(1)</script>",55.98,25.60,20,weekly,,,,,\n'
    "b,Kamajai,55.82,25.50,30,weekly,,,,,\n"
    "c,Obeliai,55.94,25.80,25,fortnightly,,,,,\n"
)
FOREIGN = {
    "another site": {"Origin": "http://evil.example"},
    "another port": {"Origin": "http://localhost:8080"},
    "a subdomain": {"Origin": "http://evil.localhost"},
    "Origin: null": {"Origin": "null"},
    "a Referer of another site": {"Referer": "http://evil.example/prize.html"},
    "Sec-Fetch-Site: cross-site": {"Sec-Fetch-Site": "cross-site"},
    "Sec-Fetch-Site: same-site": {"Sec-Fetch-Site": "same-site"},
    "our Origin, but cross-site": {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
}
OURS = {
    "no browser headers (curl)": {},
    "our Origin": {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    "our Referer": {"Referer": "http://localhost/scenarios/1"},
    "https at a proxy that ends TLS": {"Origin": "https://localhost"},
}


@pytest.fixture
def browser(app) -> FlaskClient:
    """A test client that sends exactly what the test gives it (no CSRF token added)."""
    return FlaskClient(app, app.response_class, use_cookies=True)


def state(client) -> dict:
    """Everything a forged request could change, as the API shows it."""
    scenarios = client.get("/api/scenarios").get_json()["scenarios"]
    return {
        "scenarios": scenarios,
        "sample": client.get(f"/api/scenarios/{SAMPLE_ID}").get_json(),
        "jobs": client.get(f"/api/scenarios/{SAMPLE_ID}/jobs").get_json(),
        "plans": [client.get(f"/api/scenarios/{s['id']}/plans").get_json() for s in scenarios],
    }


def queued_job(app) -> int:
    """A solve of the sample waiting in the queue (the runner is not started in these tests)."""
    with db.new_session(app) as s:
        return jobs.submit(s, SAMPLE_ID, time_limit_s=5).id


def small_plan(app, client) -> int:
    """A plan of a three-stop scenario (one stop named ``<script>...``)."""
    response = client.post("/api/scenarios", data={
        "stops": (io.BytesIO(STOPS_CSV.encode()), "stops.csv"),
        "scenario": (io.BytesIO((SAMPLE / "scenario.toml").read_bytes()), "scenario.toml"),
    }, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return add_plan(app, response.get_json()["id"], "small", time_limit_s=2, work_limit=10)


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in policy.split(";")) if d}


def forms(body: str) -> list[tuple[str, str]]:
    """(opening tag, content) of every form of a page."""
    return re.findall(r"(<form\b[^>]*>)(.*?)</form>", body, re.S | re.I)


def token_of(body: str) -> str:
    match = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', body)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- headers ---------------------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)  # a crash answers 500, as when served

    @app.get("/test-crash")
    def crash():
        raise RuntimeError("boom")

    client = app.test_client()
    plan_id = small_plan(app, client)
    responses = {
        "page": client.get("/"),
        "form page": client.get(f"/scenarios/{SAMPLE_ID}"),
        "redirect": client.post(f"/scenarios/{SAMPLE_ID}/copy", data={"name": "copy"}),
        "API": client.get("/api/scenarios"),
        "API error": client.get("/api/scenarios/999"),
        "API 405": client.patch("/api/scenarios"),
        "error page": client.get("/no/such/page"),
        "refused form": FlaskClient(app, app.response_class).post(f"/scenarios/{SAMPLE_ID}/copy"),
        "refused origin": client.post("/api/scenarios/1/copy", headers={"Origin": "http://evil.example"}),
        "server error": client.get("/test-crash"),
        "static file": client.get("/static/js/app.js"),
        "stops.csv": client.get(f"/scenarios/{SAMPLE_ID}/stops.csv"),
        "plan page": client.get(f"/plans/{plan_id}"),
        "plan map": client.get(f"/plans/{plan_id}/map"),
        "compare map": client.get(f"/compare/map?plan={plan_id}"),
    }
    assert responses["refused form"].status_code == 400 and responses["server error"].status_code == 500
    for name, response in responses.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("Referrer-Policy") == (
            "strict-origin-when-cross-origin" if name.endswith("map") else "same-origin"), name  # tiles need one
        policy = csp(response)
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], name
        assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"], name
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(policy["script-src"]), name
        if name.endswith("map"):  # framed by our own pages only
            assert policy["frame-ancestors"] == ["'self'"] and response.headers["X-Frame-Options"] == "SAMEORIGIN"
        else:  # framed by nobody, and no inline script at all
            assert policy["frame-ancestors"] == ["'none'"] and response.headers["X-Frame-Options"] == "DENY", name
            assert policy["script-src"] == ["'self'"], name


def test_pages_have_no_inline_script(client, app):
    """The pages' CSP allows scripts from /static only: no <script> body, no on...= handler, no javascript:."""
    plan_id = small_plan(app, client)
    job_id = queued_job(app)
    for url in ("/", "/scenarios/new", f"/scenarios/{SAMPLE_ID}", f"/jobs/{job_id}", f"/plans/{plan_id}",
                f"/plans/{plan_id}/driver/1", f"/plans/{plan_id}/timetable", f"/plans/{plan_id}/poster", "/compare"):
        body = client.get(url).get_data(as_text=True)
        assert re.findall(r"<script\b[^>]*>", body) == [re.search(r'<script src="/static/js/app.js[^"]*" defer>', body)
                                                        .group(0)], url
        assert not re.search(r"<[^>]*\son[a-z]+\s*=|javascript:", body, re.I), url


def test_map_documents_run_only_scripts_with_their_own_nonce(client, app):
    plan_id = small_plan(app, client)
    seen = set()
    for url in (f"/plans/{plan_id}/map", f"/compare/map?plan={plan_id}", f"/plans/{plan_id}/map"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        nonces = [s[len("'nonce-"):-1] for s in csp(response)["script-src"] if s.startswith("'nonce-")]
        assert csp(response)["script-src"][0] == "'self'" and len(nonces) == 1, url
        nonce = nonces[0]
        assert len(nonce) >= 22 and nonce not in seen, url  # fresh for every response
        seen.add(nonce)
        tags = re.findall(r"<script\b[^>]*>", body, re.I)
        assert len(tags) >= 3 and all(f'nonce="{nonce}"' in t for t in tags), tags
        assert "alert(1)" in body and not re.search(r"<script[^>]*>\s*alert", body)  # the stop's name stays text
        assert "https://tile.openstreetmap.org" in csp(response)["img-src"]  # the default tiles


@pytest.mark.parametrize("tiles, sources", [
    ("OpenStreetMap", ("https://tile.openstreetmap.org",)),
    ("OpenStreetMap.HOT", ("https://a.tile.openstreetmap.fr", "https://b.tile.openstreetmap.fr",
                           "https://c.tile.openstreetmap.fr")),
    ("OpenTopoMap", ("https://a.tile.opentopomap.org", "https://b.tile.opentopomap.org",
                     "https://c.tile.opentopomap.org")),
    (None, ()),
])
def test_the_map_policy_allows_the_configured_tiles_only(make_app, tiles, sources):
    from routeplanner.web import security

    app = make_app(MAP_TILES=tiles)
    assert security.tile_sources(tiles) == sources
    with app.test_request_context("/"):
        policy = security.map_csp("n")
    img = policy.split("img-src ", 1)[1].split(";")[0].split()
    assert img == ["'self'", "data:", *sources]


# --- the forms' token --------------------------------------------------------------------------------


def _page_urls(app, client) -> list[str]:
    """Every HTML page of the pages blueprint that a GET can open, with real ids."""
    plan_id = small_plan(app, client)
    values = {"scenario_id": SAMPLE_ID, "job_id": queued_job(app), "plan_id": plan_id, "number": 1, "week": 1}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in PAGE_BLUEPRINTS or "GET" not in rule.methods:
            continue
        if not set(rule.arguments) <= set(values):
            continue  # the calendar file (a stop id): not a page
        url = rule.build({k: values[k] for k in rule.arguments})[1]
        urls.append(url + (f"?plan={plan_id}" if url == "/compare/map" else ""))
    other = add_plan(app, client.get(f"/api/plans/{plan_id}").get_json()["scenario_id"], "other", time_limit_s=1,
                     work_limit=5)
    urls += [f"/compare?plan={plan_id}&plan={other}"]
    return urls


def test_every_post_form_of_every_page_carries_a_valid_token(app, client):
    """A form added later without ``csrf_token`` fails here (and would be refused when sent)."""
    post_forms = 0
    urls = _page_urls(app, client)
    client.get("/scenarios/new")
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    pages = set()
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue  # a file, or an address that needs a query (the calendar's stop)
        pages.add(url)
        for tag, content in forms(response.get_data(as_text=True)):
            method = re.search(r'method="([a-z]+)"', tag, re.I)
            if method and method.group(1).lower() == "get":
                continue
            post_forms += 1
            token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', content)
            assert token, (url, tag)
            with app.test_request_context():
                session["csrf_token"] = raw
                validate_csrf(token.group(1))  # raises when it is not this session's token
    assert {"/", "/scenarios/new", f"/scenarios/{SAMPLE_ID}"} <= pages and any(u.startswith("/jobs/") for u in pages)
    assert len(pages) >= 12, pages  # the plan's pages, the maps, compare too
    assert post_forms >= 10  # list: plan and copy per scenario; new: 2; scenario: 6; job: cancel


def test_a_form_with_the_pages_token_works(app, browser):
    token = token_of(browser.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True))
    response = browser.post(f"/scenarios/{SAMPLE_ID}/copy", data={"name": "copied", "csrf_token": token})
    assert response.status_code == 303
    assert "copied" in [s["name"] for s in state(browser)["scenarios"]]


def _forgeries(app) -> list[tuple[str, dict]]:
    job_id = queued_job(app)
    return [
        (f"/scenarios/{SAMPLE_ID}/delete", {}),
        (f"/scenarios/{SAMPLE_ID}/settings", {"name": "{{7*7}} forged"}),
        (f"/scenarios/{SAMPLE_ID}/stops", {"stop-0-id": "x", "stop-0-name": "forged", "stop-0-lat": "55.9",
                                           "stop-0-lon": "25.6", "stop-0-loans_per_visit": "10"}),
        (f"/scenarios/{SAMPLE_ID}/plan", {"time_limit_s": "1"}),
        (f"/scenarios/{SAMPLE_ID}/copy", {"name": "forged"}),
        ("/scenarios/copy", {"copy_from": str(SAMPLE_ID)}),
        ("/scenarios/new", {"name": "forged", "depot_lat": "55.9", "depot_lon": "25.6",
                            "stops_file": (io.BytesIO(STOPS_CSV.encode()), "stops.csv")}),
        (f"/jobs/{job_id}/cancel", {}),
    ]


@pytest.mark.parametrize("token", ["missing", "wrong", "of another session", "without a session"])
def test_a_form_without_a_valid_token_is_refused_and_changes_nothing(app, browser, token):
    other = FlaskClient(app, app.response_class)
    others_token = token_of(other.get("/scenarios/new").get_data(as_text=True))
    if token != "without a session":
        browser.get(f"/scenarios/{SAMPLE_ID}")  # the victim's browser has a session (and a token in it)
    forgeries = _forgeries(app)
    before = state(browser)
    for path, data in forgeries:
        if token == "wrong":
            data["csrf_token"] = "ImFiYyI.wrong.token"
        elif token in ("of another session", "without a session"):
            data["csrf_token"] = others_token
        response = browser.post(path, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and response.mimetype == "text/html", (path, body[:300])
        assert "<!doctype html>" in body and "Traceback" not in body
        assert "This form has expired or did not come from this service" in body, path
    assert state(browser) == before


# --- the Origin check ----------------------------------------------------------------------------------


def _changes(app, delete: tuple[int, int] = (SAMPLE_ID, SAMPLE_ID)) -> list[tuple[str, str, dict]]:
    """(method, path, keyword arguments) of a request of every kind that changes something; the two
    deletes (a page's, the API's) last, of the scenarios ``delete``."""
    sample = {k: v for k, v in state_of_sample(app).items()
              if k not in ("id", "created_at", "updated_at", "version")}  # no version: the last write wins
    return [
        ("POST", f"/scenarios/{SAMPLE_ID}/settings", {"data": {"name": "forged"}}),
        ("POST", f"/scenarios/{SAMPLE_ID}/copy", {"data": {"name": "forged"}}),
        ("POST", f"/jobs/{queued_job(app)}/cancel", {}),
        ("POST", "/api/scenarios", {"json": {**sample, "name": "forged"}}),
        ("POST", "/api/scenarios", {"data": {"stops": (io.BytesIO(STOPS_CSV.encode()), "stops.csv"),
                                             "scenario": (io.BytesIO((SAMPLE / "scenario.toml").read_bytes()),
                                                          "scenario.toml")},
                                    "content_type": "multipart/form-data"}),
        ("POST", f"/api/scenarios/{SAMPLE_ID}/copy", {}),
        ("POST", f"/api/scenarios/{SAMPLE_ID}/solve", {"json": {"time_limit_s": 1}}),
        ("POST", f"/api/jobs/{queued_job(app)}/cancel", {}),
        ("PUT", f"/api/scenarios/{SAMPLE_ID}", {"json": {**sample, "name": "forged"}}),
        ("PUT", f"/api/scenarios/{SAMPLE_ID}/stops", {"json": sample["stops"][:1]}),
        ("POST", f"/scenarios/{delete[0]}/delete", {}),
        ("DELETE", f"/api/scenarios/{delete[1]}", {}),
    ]


def state_of_sample(app) -> dict:
    return app.test_client().get(f"/api/scenarios/{SAMPLE_ID}").get_json()


@pytest.mark.parametrize("sender", list(FOREIGN))
def test_a_request_sent_by_a_page_of_another_origin_is_refused_and_changes_nothing(app, client, sender):
    changes = _changes(app)
    before = state(client)
    for method, path, kwargs in changes:
        response = client.open(path, method=method, headers=FOREIGN[sender], **kwargs)
        assert response.status_code == 403, (method, path, response.get_data(as_text=True)[:300])
        if path.startswith("/api/"):
            assert response.get_json()["error"].startswith("This request was sent by a page of another website")
        else:
            body = response.get_data(as_text=True)
            assert response.mimetype == "text/html" and "Traceback" not in body
            assert "was sent by a page of another website" in body and "nothing was changed" in body
    assert state(client) == before


def test_https_page_posting_to_an_https_service_over_http_is_refused(app, client):
    """The one scheme change accepted is https at the browser and http here (a proxy ending TLS)."""
    before = state(client)
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/copy", base_url="https://localhost",
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 403
    assert state(client) == before


@pytest.mark.parametrize("sender", list(OURS))
def test_the_same_origin_and_programs_without_a_browser_may_change(app, client, sender):
    copies = tuple(client.post(f"/api/scenarios/{SAMPLE_ID}/copy").get_json()["id"] for _ in range(2))
    names = {s["name"] for s in state(client)["scenarios"]}
    for method, path, kwargs in _changes(app, delete=copies):
        response = client.open(path, method=method, headers=OURS[sender], **kwargs)
        assert response.status_code in (200, 201, 202, 204, 303), (method, path, response.get_data(as_text=True)[:300])
    after = state(client)
    assert "forged" in {s["name"] for s in after["scenarios"]} - names
    assert not set(copies) & {s["id"] for s in after["scenarios"]}


# --- JSON only as application/json ---------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_the_api_takes_json_only_as_application_json(app, client, content_type):
    sample = {k: v for k, v in state_of_sample(app).items()
              if k not in ("id", "created_at", "updated_at", "version")}  # no version: the last write wins
    bodies = [
        ("POST", "/api/scenarios", {**sample, "name": "forged"}),
        ("PUT", f"/api/scenarios/{SAMPLE_ID}", {**sample, "name": "forged"}),
        ("PUT", f"/api/scenarios/{SAMPLE_ID}/stops", sample["stops"][:1]),
        ("POST", f"/api/scenarios/{SAMPLE_ID}/copy", {"name": "forged"}),
        ("POST", f"/api/scenarios/{SAMPLE_ID}/solve", {"time_limit_s": 1}),
    ]
    if content_type and content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        uploads = {("POST", "/api/scenarios"), ("PUT", f"/api/scenarios/{SAMPLE_ID}/stops")}
        bodies = [b for b in bodies if (b[0], b[1]) not in uploads]  # these two take files that way
    before = state(client)
    for method, path, body in bodies:
        headers = {"Content-Type": content_type} if content_type else {}
        response = client.open(path, method=method, data=json.dumps(body), headers=headers)
        assert response.status_code == 415, (method, path, response.get_data(as_text=True)[:300])
        error = response.get_json()
        assert "Content-Type: application/json" in error["error"]
        assert error["problems"][0]["column"] == "Content-Type" and error["problems"][0]["expected"] == "application/json"
    assert state(client) == before
    for method, path, body in bodies:  # the same with the right header works
        response = client.open(path, method=method, json=body)
        assert response.status_code in (200, 201, 202), (method, path, response.get_json())


def test_bodyless_requests_and_uploads_keep_working_as_in_the_readme(app, client):
    job_id = queued_job(app)
    assert client.post(f"/api/scenarios/{SAMPLE_ID}/copy").status_code == 201
    assert client.post(f"/api/scenarios/{SAMPLE_ID}/copy", data="", content_type="text/plain").status_code == 201
    assert client.post(f"/api/scenarios/{SAMPLE_ID}/solve").status_code == 202
    assert client.post(f"/api/jobs/{job_id}/cancel").get_json()["status"] == "cancelled"
    # curl -F stops=@data/rokiskis/stops.csv -F scenario=@data/rokiskis/scenario.toml .../api/scenarios
    response = client.post("/api/scenarios", data={
        "stops": (io.BytesIO((SAMPLE / "stops.csv").read_bytes()), "stops.csv"),
        "scenario": (io.BytesIO((SAMPLE / "scenario.toml").read_bytes()), "scenario.toml"),
    })
    assert response.status_code == 201, response.get_json()
    response = client.put(f"/api/scenarios/{response.get_json()['id']}/stops",
                          data={"stops": (io.BytesIO(STOPS_CSV.encode()), "stops.csv")})
    assert response.status_code == 200 and len(response.get_json()["stops"]) == 3


# --- the session cookie ----------------------------------------------------------------------------------------


def test_the_session_cookie_is_samesite_lax_httponly_and_secure_over_https(app):
    for base, secure in (("http://127.0.0.1:5000", False), ("https://planner.example", True)):
        client = FlaskClient(app, app.response_class)
        response = client.get("/scenarios/new", base_url=base)  # the token lives in the session
        cookie = response.headers["Set-Cookie"]
        attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
        assert attributes["samesite"].strip() == "SameSite=Lax", cookie
        assert "httponly" in attributes, cookie
        assert ("secure" in attributes) == secure, cookie
