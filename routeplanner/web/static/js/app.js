/* Bookmobile planner: small progressive enhancements.  Every page works without it.
 *
 * - solve progress: polls GET /api/jobs/<id> and moves the bar; cancel via the API;
 * - "add another stop" row in the stops editor;
 * - confirmation before deleting, print buttons, the patrons' stop filter;
 * - the depot picker: a click on its map (a frame of this site) fills in latitude and longitude.
 *
 * User text only ever goes into the page through textContent, never innerHTML.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var FINISHED = { done: true, failed: true, cancelled: true };

  function labels(el) {
    try { return JSON.parse(el.getAttribute("data-labels") || "{}"); } catch (e) { return {}; }
  }

  function setText(root, selector, text) {
    var node = root.querySelector(selector);
    if (node) { node.textContent = text; }
    return node;
  }

  function planUrl(el, planId) {
    return (el.getAttribute("data-plan-url") || "/plans/0").replace(/0$/, String(planId));
  }

  function showStatus(el, st) {
    var words = labels(el);
    el.className = el.className.replace(/\bjob-(queued|running|done|failed|cancelled)\b/g, "").trim() + " job-" + st.status;
    var status = setText(el, ".job-status", (words.status || {})[st.status] || st.status);
    if (status) { status.setAttribute("data-status", st.status); }
    setText(el, ".job-phase", (words.phase || {})[st.phase] || "");
    var bar = el.querySelector(".job-bar");
    if (bar) {
      var limit = Number(st.time_limit_s) || 1;
      bar.max = limit;
      if (st.status === "done") {
        bar.value = limit;
      } else if (st.progress === null && st.status === "running") {
        bar.removeAttribute("value"); /* work-limit mode: no time to measure against */
      } else {
        bar.value = Math.min(Number(st.elapsed_s) || 0, limit);
      }
      bar.textContent = String(st.elapsed_s);
    }
    setText(el, ".job-elapsed", String(Math.round(Number(st.elapsed_s) || 0)));
    if (st.time_limit_s) { setText(el, ".job-limit", String(Math.round(Number(st.time_limit_s)))); }
    setText(el, ".job-best", st.best_text || "—");  // worded by the server, in the page's language
    var message = el.querySelector(".job-message");
    if (message) { message.textContent = st.message || ""; message.hidden = !st.message; }
    var open = el.querySelector(".job-open");
    if (open && st.plan_id) { open.href = planUrl(el, st.plan_id); open.hidden = false; }
    if (FINISHED[st.status]) {
      var cancel = el.querySelector(".job-cancel");
      if (cancel) { cancel.hidden = true; }
    }
  }

  function watchJob(el) {
    var url = el.getAttribute("data-job-url");
    var delay = 1000;
    function tick() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (st) {
          delay = 1000;
          showStatus(el, st);
          if (FINISHED[st.status]) {
            if (st.status === "done" && st.plan_id && el.hasAttribute("data-redirect")) {
              window.setTimeout(function () { window.location.assign(planUrl(el, st.plan_id)); }, 600);
            }
            return;
          }
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 15000); /* the server restarts: keep trying, slower */
          window.setTimeout(tick, delay);
        });
    }
    var form = el.querySelector(".job-cancel");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        if (button) { button.disabled = true; }
        fetch(el.getAttribute("data-cancel-url"), { method: "POST", headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (st) { if (st) { showStatus(el, st); } })
          .catch(function () { form.submit(); });
      });
    }
    var status = el.querySelector(".job-status");
    if (!status || !FINISHED[status.getAttribute("data-status")]) { tick(); }
  }

  function addStopRow() {
    var button = document.getElementById("add-stop");
    var template = document.getElementById("stop-row-template");
    var body = document.getElementById("stop-rows");
    if (!button || !template || !body) { return; }
    button.addEventListener("click", function () {
      var next = body.querySelectorAll("tr").length;
      var html = template.innerHTML.replace(/__i__/g, String(next));
      body.insertAdjacentHTML("beforeend", html);  /* our own markup, no user text */
      var cells = body.lastElementChild && body.lastElementChild.querySelectorAll("td");
      if (cells && cells[0]) { cells[0].textContent = String(next + 1); }
      var name = body.lastElementChild.querySelector("input[name$='-name']");
      if (name) { name.focus(); }
    });
  }

  function confirmations() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  function printButtons() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-print"), function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  function filters() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (input) {
      var items = document.querySelectorAll(input.getAttribute("data-filter"));
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        Array.prototype.forEach.call(items, function (li) {
          li.hidden = q !== "" && (li.getAttribute("data-name") || "").indexOf(q) === -1;
        });
      });
    });
  }

  function depotPickers() {
    var pickers = document.querySelectorAll(".depot-picker");
    if (!pickers.length) { return; }
    window.addEventListener("message", function (event) {
      /* only our own map frames, and only the message they send */
      if (event.origin !== window.location.origin) { return; }
      var data = event.data;
      if (!data || data.type !== "routeplanner:depot" || typeof data.lat !== "number" || typeof data.lon !== "number") { return; }
      Array.prototype.forEach.call(pickers, function (picker) {
        var frame = picker.querySelector("iframe");
        if (!frame || frame.contentWindow !== event.source) { return; }
        var lat = document.getElementById(picker.getAttribute("data-lat-field"));
        var lon = document.getElementById(picker.getAttribute("data-lon-field"));
        if (lat) { lat.value = data.lat.toFixed(6); }
        if (lon) { lon.value = data.lon.toFixed(6); }
        var said = picker.querySelector(".depot-picked");
        if (said) { said.textContent = data.lat.toFixed(5) + ", " + data.lon.toFixed(5); }
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".job[data-job-url]"), watchJob);
    addStopRow();
    confirmations();
    printButtons();
    filters();
    depotPickers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
