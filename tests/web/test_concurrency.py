"""Two coordinators edit one scenario (issue 9, point 8): a save from a stale copy is refused, nothing is lost.

Every scenario carries a version that each save moves on.  The API shows it
as ``version`` and as a strong ``ETag``; a change that sends it back
(``If-Match``: 412; ``version`` in the JSON: 409) is refused when someone
saved in between.  The pages carry it in a hidden field: a stale save comes
back (409) with the coordinator's values still in the form.  The check is in
the UPDATE itself (``WHERE version = ...``), so a writer that commits between
our check and our UPDATE is caught too.  Without any of these, the last
write wins, as before (curl, scripts).
"""

from __future__ import annotations

import html
import re

import pytest

from routeplanner import store
from routeplanner.store import ScenarioRow
from routeplanner.web import api, db, pages_scenarios

pytestmark = pytest.mark.both_databases

SAMPLE_ID = 1
URL = f"/api/scenarios/{SAMPLE_ID}"


def stored(app) -> ScenarioRow:
    with db.new_session(app) as s:
        row = s.get(ScenarioRow, SAMPLE_ID)
        row.stops  # noqa: B018 - loaded before the session closes
        return row


def another_writer_saves(app, name: str) -> None:
    """Someone else renames the scenario (their own session, committed)."""
    with db.new_session(app) as s:
        row = s.get(ScenarioRow, SAMPLE_ID)
        row.name = name
        store.save_scenario(s, row)


def assert_stale(response, status: int, version: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    body = response.get_json()
    assert "changed by someone else since it was read" in body["error"] and "nothing was saved" in body["error"]
    assert f"now version {version}" in body["error"] and body["version"] == version
    assert response.headers["ETag"] == f'"scenario-{SAMPLE_ID}-v{version}"'  # what to read again
    assert body["problems"][0]["column"] in ("If-Match", "version")
    return body


# --- the API --------------------------------------------------------------------------------------


def test_reads_carry_the_version_and_a_strong_etag(client):
    response = client.get(URL)
    assert response.get_json()["version"] == 1
    assert response.headers["ETag"] == f'"scenario-{SAMPLE_ID}-v1"'  # strong: no W/
    stops = client.get(f"{URL}/stops")
    assert stops.get_json()["version"] == 1 and stops.headers["ETag"] == response.headers["ETag"]
    listed = client.get("/api/scenarios").get_json()["scenarios"][0]
    assert listed["version"] == 1


def test_two_clients_read_version_1_the_first_put_wins_the_second_gets_412(app, client):
    first, second = client.get(URL), client.get(URL)
    mine = {**first.get_json(), "name": "First coordinator's"}
    theirs = {**second.get_json(), "name": "Second coordinator's"}
    del mine["version"], theirs["version"]  # If-Match alone
    response = client.put(URL, json=mine, headers={"If-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert response.get_json()["version"] == 2 and response.headers["ETag"] == f'"scenario-{SAMPLE_ID}-v2"'
    assert client.get(URL).headers["ETag"] == response.headers["ETag"]

    assert_stale(client.put(URL, json=theirs, headers={"If-Match": second.headers["ETag"]}), 412, 2)
    assert_stale(client.put(f"{URL}/stops", json=theirs["stops"][:3], headers={"If-Match": second.headers["ETag"]}),
                 412, 2)
    assert_stale(client.delete(URL, headers={"If-Match": second.headers["ETag"]}), 412, 2)
    # a weak tag never matches If-Match (strong comparison, RFC 9110)
    weak = "W/" + response.headers["ETag"]
    assert_stale(client.put(URL, json=theirs, headers={"If-Match": weak}), 412, 2)
    row = stored(app)
    assert (row.name, row.version, len(row.stops)) == ("First coordinator's", 2, 53)


def test_a_stale_version_in_the_body_gets_409_and_changes_nothing(app, client):
    document = client.get(URL).get_json()
    assert client.put(URL, json={**document, "name": "First"}).status_code == 200  # carries version 1
    assert_stale(client.put(URL, json={**document, "name": "Second"}), 409, 2)
    assert_stale(client.put(f"{URL}/stops", json={"stops": document["stops"][:3], "version": 1}), 409, 2)
    assert_stale(client.delete(URL, json={"version": 1}), 409, 2)
    row = stored(app)
    assert (row.name, row.version, len(row.stops)) == ("First", 2, 53)
    # the current version saves
    response = client.put(f"{URL}/stops", json={"stops": document["stops"][:3], "version": 2})
    assert response.status_code == 200 and response.get_json()["version"] == 3
    assert stored(app).version == 3 and len(stored(app).stops) == 3  # a change of stops alone moves it too
    assert client.delete(URL, json={"version": 3}).status_code == 204


def test_without_a_version_the_last_write_wins_as_before(app, client):
    document = client.get(URL).get_json()
    del document["version"]
    assert client.put(URL, json={**document, "name": "One"}).status_code == 200
    assert client.put(URL, json={**document, "name": "Two"}).status_code == 200
    assert client.put(URL, json={**document, "name": "Star"}, headers={"If-Match": "*"}).status_code == 200
    assert (stored(app).name, stored(app).version) == ("Star", 4)


def test_a_version_that_is_not_a_number_is_422(client):
    document = client.get(URL).get_json()
    for bad in ("1", 1.5, True, None, [1]):
        response = client.put(URL, json={**document, "version": bad})
        assert response.status_code == 422, bad
        assert response.get_json()["problems"][0]["column"] == "version"


def test_a_writer_committing_between_our_check_and_our_update_is_a_conflict_not_a_500(app, client, monkeypatch):
    """The version check passes in Python; then someone commits; the UPDATE ... WHERE version = 1 finds nothing."""
    read = client.get(URL)
    real = api.scenario_from_json

    def slow_validation(*args, **kwargs):
        another_writer_saves(app, "Got in between")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "scenario_from_json", slow_validation)
    document = {**read.get_json(), "name": "Mine"}
    assert_stale(client.put(URL, json=document, headers={"If-Match": read.headers["ETag"]}), 412, 2)
    document["version"] = 2  # read again: the next writer gets in between once more
    assert_stale(client.put(URL, json=document), 409, 3)
    assert (stored(app).name, stored(app).version) == ("Got in between", 3)
    # no check asked for: the last write still wins
    del document["version"]
    response = client.put(URL, json=document)
    assert response.status_code == 200 and response.get_json()["name"] == "Mine"
    assert (stored(app).name, stored(app).version) == ("Mine", 5)


def test_two_sessions_racing_end_in_a_conflict(app):
    """The race at the storage level: both read version 1; the second commit raises Conflict, not StaleDataError."""
    with db.new_session(app) as first, db.new_session(app) as second:
        row_1, row_2 = first.get(ScenarioRow, SAMPLE_ID), second.get(ScenarioRow, SAMPLE_ID)
        assert row_1.version == row_2.version == 1
        model = row_1.to_model()
        row_1.name = "first"
        store.save_scenario(first, row_1, expected_version=1)
        row_2.name = "second"  # its check in Python still sees version 1
        with pytest.raises(store.Conflict) as info:
            store.save_scenario(second, row_2, model, expected_version=1)
        assert info.value.version == 2
    assert (stored(app).name, stored(app).version) == ("first", 2)


# --- the pages ------------------------------------------------------------------------------------


def hidden_versions(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'<input type="hidden" name="version" value="(\d+)">', page)]


def form_fields(page: str, form_id: str) -> dict[str, str]:
    start = page.index(f'id="{form_id}"')
    form = page[start:page.index("</form>", start)]
    form = form[:form.index("<template")] if "<template" in form else form
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or "checked" in tag):
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return data


def test_both_forms_carry_the_version(client):
    page = client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True)
    assert hidden_versions(page) == [1, 1]  # the stops form and the settings form


def test_a_stale_settings_form_gets_409_keeps_the_values_and_can_save_over(app, client):
    first = client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True)
    second = client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True)
    assert hidden_versions(first) == hidden_versions(second) == [1, 1]
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data={"version": "1", "name": "First's name"})
    assert response.status_code == 303

    mine = {"version": "1", "name": "Second’s name <b>", "depot_name": "Second’s depot"}
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page[:2000]
    assert "Someone else changed this scenario since you opened this page" in page
    assert "Nothing was saved" in page and "Review the current values" in page
    assert 'value="Second’s name &lt;b&gt;"' in page and 'value="Second’s depot"' in page  # nothing lost
    assert "<h1>First&#39;s name</h1>" in page or "<h1>First's name</h1>" in page  # the rest: as it is now
    assert hidden_versions(page) == [2, 2]  # "save again" saves over the current version
    assert (stored(app).name, stored(app).version) == ("First's name", 2)

    mine["version"] = "2"
    assert client.post(f"/scenarios/{SAMPLE_ID}/settings", data=mine).status_code == 303
    row = stored(app)
    assert (row.name, row.settings["depot"]["name"], row.version) == ("Second’s name <b>", "Second’s depot", 3)


def test_a_stale_stops_form_gets_409_keeps_the_rows_and_can_save_over(app, client):
    first = form_fields(client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True), "stops-form")
    second = dict(first)
    assert first["version"] == second["version"] == "1"
    first["stop-0-name"] = "Renamed by the first"
    assert client.post(f"/scenarios/{SAMPLE_ID}/stops", data=first).status_code == 303

    second["stop-1-name"] = "Renamed by the second"
    second["stop-2-delete"] = "1"
    response = client.post(f"/scenarios/{SAMPLE_ID}/stops", data=second)
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page[:2000]
    assert "Someone else changed this scenario since you opened this page" in page
    shown = form_fields(page, "stops-form")
    assert shown["stop-1-name"] == "Renamed by the second"  # the coordinator's rows, as sent
    assert shown["stop-0-name"] != "Renamed by the first" and shown["version"] == "2"
    row = stored(app)
    assert (row.stops[0].name, row.stops[1].name, len(row.stops), row.version) == (
        "Renamed by the first", first["stop-1-name"], 53, 2)

    assert client.post(f"/scenarios/{SAMPLE_ID}/stops", data=shown).status_code == 303  # save over them
    row = stored(app)
    assert (row.stops[1].name, len(row.stops), row.version) == ("Renamed by the second", 52, 3)


def test_a_page_save_racing_another_writer_is_a_409_page_not_a_500(app, client, monkeypatch):
    real = pages_scenarios.build_scenario

    def slow_validation(*args, **kwargs):
        another_writer_saves(app, "Got in between")
        return real(*args, **kwargs)

    monkeypatch.setattr(pages_scenarios, "build_scenario", slow_validation)
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data={"version": "1", "name": "Mine"})
    assert response.status_code == 409
    assert 'value="Mine"' in response.get_data(as_text=True)
    assert (stored(app).name, stored(app).version) == ("Got in between", 2)


def test_a_form_without_a_version_saves_as_before_and_garbage_is_400(app, client):
    assert client.post(f"/scenarios/{SAMPLE_ID}/settings", data={"name": "No version"}).status_code == 303
    assert stored(app).name == "No version"
    assert client.post(f"/scenarios/{SAMPLE_ID}/settings", data={"version": "x", "name": "?"}).status_code == 400
    assert client.post(f"/scenarios/{SAMPLE_ID}/stops", data={"version": "9" * 5000}).status_code == 400
    assert stored(app).name == "No version"
