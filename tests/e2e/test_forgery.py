"""Cross-site request forgery, tried by a real page of another site in Chromium against the real server.

The service runs on ``127.0.0.1:<port>``; the attacker's pages come from a
second small HTTP server reached as ``localhost:<other port>``, which for the
browser is another *site* (not only another port).  Each forgery of issue 9
is tried from there with the victim's browser: auto-submitted HTML forms to
every page that changes something, ``no-cors`` ``fetch`` calls with a JSON
body sent as ``text/plain``, multipart uploads to the API, a beacon, and PUT
and DELETE attempts.  After each one the test reads the scenarios, the
sample's stops and its solves over plain HTTP (no ``Origin``, as curl does)
and requires them unchanged, and every forged request that reached the
server must have been refused with 403.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "rokiskis"
ACTIVE = ("queued", "running")
INJECTED = "{{7*7}} forged"
STOPS_CSV = (
    "id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority\n"
    "forged,{{7*7}} forged stop,55.95,25.60,10,weekly,,,,,\n"
)


# --- the attacker's site -------------------------------------------------------------


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = self.server.pages.get(urlsplit(self.path).path)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def evil():
    """Another site: an HTTP server on a free port, reached by the browser as ``localhost``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    httpd.pages = {"/": "<!doctype html><title>Cute cats</title><p>Nothing to see here.</p>"}  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _form_page(action: str, fields: dict[str, str], files: dict[str, tuple[str, str]] | None = None) -> str:
    """A page that submits a POST form to ``action`` as soon as it loads (files set by script)."""
    enctype = ' enctype="multipart/form-data"' if files else ""
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{value.replace(chr(34), "&quot;")}">' for name, value in fields.items()
    )
    inputs += "".join(f'<input type="file" name="{name}">' for name in files or {})
    script = "const form = document.forms[0];\n"
    for name, (filename, content) in (files or {}).items():
        script += (
            "{ const dt = new DataTransfer();"
            f" dt.items.add(new File([{json.dumps(content)}], {json.dumps(filename)}, {{type: 'text/plain'}}));"
            f" form.elements[{json.dumps(name)}].files = dt.files; }}\n"
        )
    script += "form.submit();\n"
    return (f'<!doctype html><title>Win a prize</title><form method="post" action="{action}"{enctype}>{inputs}</form>'
            f"<script>{script}</script>")


# --- reading the service as a program does (no Origin, no Referer, no cookies) -------------------


def _get(base: str, path: str):
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as err:
        return {"http_status": err.code}


def _send(base: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def state(base: str) -> dict:
    """What a forgery could change: the scenario list, the sample, its stops and its solves."""
    listing = _get(base, "/api/scenarios")
    jobs = _get(base, "/api/scenarios/1/jobs")
    return {
        "scenarios": [(s["id"], s["name"], s["updated_at"], s["stops_count"]) for s in listing["scenarios"]],
        "scenario": _get(base, "/api/scenarios/1"),
        "stops": _get(base, "/api/scenarios/1/stops"),
        # a solve may go from queued to running by itself; a cancel or a new solve is a change
        "jobs": [(j["id"], "active" if j["status"] in ACTIVE else j["status"], j["cancel_requested"])
                 for j in jobs.get("jobs", [])],
    }


def active_job(base: str) -> int:
    """A solve of the sample that is still going (started over plain HTTP if there is none)."""
    for job in _get(base, "/api/scenarios/1/jobs").get("jobs", []):
        if job["status"] in ACTIVE and not job["cancel_requested"]:
            return job["id"]
    if "http_status" in _get(base, "/api/scenarios/1"):
        return 0  # a forgery deleted it (the test fails at its end)
    return _send(base, "POST", "/api/scenarios/1/solve", {"time_limit_s": 600, "label": "victim's solve"})["id"]


# --- the forgeries -----------------------------------------------------------------------------------


def forms() -> dict[str, tuple[str, dict, dict | None]]:
    """name -> (path, fields, files) of the auto-submitted forms; ``{job}``: an active solve."""
    scenario_toml = (SAMPLE / "scenario.toml").read_text(encoding="utf-8").replace(
        'name = "Rokiškis', f'name = "{INJECTED} Rokiškis', 1)
    stops = (SAMPLE / "stops.csv").read_text(encoding="utf-8")
    return {
        "form: new scenario (multipart, a file)": (
            "/scenarios/new", {"name": INJECTED, "depot_lat": "55.96", "depot_lon": "25.59"},
            {"stops_file": ("stops.csv", STOPS_CSV)}),
        "form: settings": ("/scenarios/1/settings", {"name": INJECTED}, None),
        "form: stops": ("/scenarios/1/stops", {"stop-0-id": "forged", "stop-0-name": INJECTED, "stop-0-lat": "55.95",
                                               "stop-0-lon": "25.6", "stop-0-loans_per_visit": "10"}, None),
        "form: plan": ("/scenarios/1/plan", {"time_limit_s": "1", "label": INJECTED}, None),
        "form: copy": ("/scenarios/1/copy", {"name": INJECTED}, None),
        "form: cancel a solve": ("/jobs/{job}/cancel", {}, None),
        "form: multipart to the API": ("/api/scenarios", {}, {"stops": ("stops.csv", stops),
                                                              "scenario": ("scenario.toml", scenario_toml)}),
        "form: method override to the API": ("/api/scenarios/1?_method=DELETE", {"_method": "DELETE"}, None),
        "form: delete": ("/scenarios/1/delete", {}, None),
    }


def scripts(server: str, scenario_doc: dict) -> dict[str, tuple[str, bool]]:
    """name -> (a script run by the attacker's page, whether its request is a "simple" one that any
    browser sends without asking); ``{job}``: an active solve.

    A PUT or DELETE needs a CORS preflight, which the service never grants, and in no-cors mode the
    browser does not send it at all.  Playwright's request interception may answer a preflight itself,
    so here such a request can reach the server: it must be refused there too.
    """
    doc = {k: v for k, v in scenario_doc.items() if k not in ("id", "created_at", "updated_at", "copied_from_id")}
    doc["name"] = INJECTED
    toml = (SAMPLE / "scenario.toml").read_text(encoding="utf-8")
    stops = (SAMPLE / "stops.csv").read_text(encoding="utf-8")

    def no_cors(path: str, body) -> str:
        return (f"fetch({json.dumps(server + path)}, {{mode: 'no-cors', method: 'POST', credentials: 'include', "
                f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(json.dumps(body))}}})")

    multipart = (
        "(() => { const f = new FormData();"
        f" f.append('stops', new Blob([{json.dumps(stops)}]), 'stops.csv');"
        f" f.append('scenario', new Blob([{json.dumps(toml.replace('name = ', f'name = {json.dumps(INJECTED)} # ', 1))}]),"
        " 'scenario.toml'); return f; })()"
    )
    return {
        "fetch no-cors text/plain: create a scenario": (no_cors("/api/scenarios", doc), True),
        "fetch no-cors text/plain: solve": (no_cors("/api/scenarios/1/solve", {"time_limit_s": 1, "label": INJECTED}),
                                            True),
        "fetch no-cors text/plain: copy": (no_cors("/api/scenarios/1/copy", {"name": INJECTED}), True),
        "fetch no-cors text/plain: cancel a solve": (no_cors("/api/jobs/{job}/cancel", {}), True),
        "fetch no-cors multipart: create a scenario": (
            f"fetch({json.dumps(server + '/api/scenarios')}, {{mode: 'no-cors', method: 'POST', "
            f"credentials: 'include', body: {multipart}}})", True),
        "beacon: copy": (f"Promise.resolve(navigator.sendBeacon({json.dumps(server + '/api/scenarios/1/copy')}, "
                         f"{json.dumps(json.dumps({'name': INJECTED}))}))", True),
        "fetch PUT: settings": (
            f"fetch({json.dumps(server + '/api/scenarios/1')}, {{method: 'PUT', credentials: 'include', "
            f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(json.dumps(doc))}}})", False),
        "fetch PUT no-cors: stops": (
            f"fetch({json.dumps(server + '/api/scenarios/1/stops')}, {{mode: 'no-cors', method: 'PUT', "
            f"body: {multipart}}})", False),
        "fetch PUT multipart: stops": (
            f"fetch({json.dumps(server + '/api/scenarios/1/stops')}, {{method: 'PUT', body: {multipart}}})", False),
        "fetch DELETE: scenario": (
            f"fetch({json.dumps(server + '/api/scenarios/1')}, {{method: 'DELETE', credentials: 'include'}})", False),
        "fetch DELETE no-cors: scenario": (
            f"fetch({json.dumps(server + '/api/scenarios/1')}, {{mode: 'no-cors', method: 'DELETE'}})", False),
    }


def test_a_page_of_another_site_changes_nothing(chromium, server, evil):
    httpd, evil_base = evil
    assert urlsplit(evil_base).hostname != urlsplit(server).hostname  # another site, not only another port
    context = chromium.new_context()
    answers: list[tuple[str, str, int]] = []  # what the server answered to the forged requests

    def route(r):
        if r.request.url.startswith((server + "/", evil_base + "/")):
            r.continue_()
        else:
            r.abort()  # nothing leaves the machine

    def answered(response):
        if response.url.startswith(server) and response.request.method not in ("GET", "HEAD", "OPTIONS"):
            answers.append((response.request.method, response.url[len(server):], response.status))

    context.route("**/*", route)
    context.on("response", answered)
    page = context.new_page()
    page.set_default_timeout(20_000)

    # The victim has used the service in this browser: a session cookie, as a coordinator would have.
    page.goto(server + "/scenarios/1")
    changed: list[str] = []
    silent: list[str] = []  # forgeries whose request should have reached the server and did not

    def check(name: str, before: dict, answered_before: int, simple: bool) -> None:
        if simple and len(answers) == answered_before:
            silent.append(name)
        after = state(server)
        if after != before:
            changed.append(f"{name}: " + ", ".join(k for k in before if before[k] != after[k]))

    def by_script(name: str, script: str, simple: bool) -> None:
        script = script.replace("{job}", str(active_job(server)))
        before, answered_before = state(server), len(answers)
        page.goto(evil_base + "/")
        outcome = page.evaluate(f"() => {script}.then(r => 'sent: ' + (r && r.type || r), e => 'failed: ' + e)")
        page.wait_for_timeout(500)  # a beacon goes out after the call returns
        assert outcome.startswith("sent") or not simple, (name, outcome)
        check(name, before, answered_before, simple)

    def by_form(name: str, path: str, fields: dict, files: dict | None) -> None:
        path = path.replace("{job}", str(active_job(server)))
        before, answered_before = state(server), len(answers)
        httpd.pages["/form"] = _form_page(server + path, fields, files)  # type: ignore[attr-defined]
        with page.expect_response(lambda r: r.url.startswith(server) and r.request.method == "POST"):
            page.goto(evil_base + "/form")
        page.wait_for_load_state()
        check(name, before, answered_before, True)

    # the forgeries that would delete the sample go last, so that on unprotected code each one shows
    the_scripts = scripts(server, _get(server, "/api/scenarios/1"))
    the_forms = forms()
    for name, (script, simple) in the_scripts.items():
        if simple:
            by_script(name, script, simple)
    for name, form in the_forms.items():
        if name != "form: delete":
            by_form(name, *form)
    for name, (script, simple) in the_scripts.items():
        if not simple:
            by_script(name, script, simple)
    by_form("form: delete", *the_forms["form: delete"])

    context.close()
    for job in _get(server, "/api/scenarios/1/jobs").get("jobs", []):  # free the solve worker
        if job["status"] in ACTIVE:
            _send(server, "POST", f"/api/jobs/{job['id']}/cancel")

    assert not changed, "forgeries that worked:\n" + "\n".join(changed)
    refused = [a for a in answers if a[2] == 403]
    assert refused == answers, [a for a in answers if a[2] != 403]
    assert not silent, silent  # every form, simple fetch and beacon reached the server (and was refused)
