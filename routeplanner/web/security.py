"""What keeps other websites out: request forgery checks and the security headers.

A page on another site can make the coordinator's browser send requests to
this service (an auto-submitted form, a ``no-cors`` ``fetch``, a beacon).
Three independent checks stop that:

* **Origin.**  Every state-changing request (POST, PUT, PATCH, DELETE) whose
  ``Origin`` names another origin (``null`` included: sandboxed frames,
  ``data:`` pages), or, without an ``Origin``, whose ``Referer`` does, or
  whose ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site``, is refused
  with 403 before any view runs, pages and API alike.  A request with none
  of these headers is not from a browser page (curl, scripts) and passes:
  browsers always send ``Origin`` with such requests.
* **CSRF token** (Flask-WTF's ``CSRFProtect``) on every page form: a hidden
  ``csrf_token`` tied to the browser's session.  The API (``/api``) is exempt
  (programs have no session); it is guarded by the Origin check and by
  taking JSON only as ``application/json`` (``api._json_body``), a type no
  page of another site can send without the CORS permission we never give.
* **Cookies**: the session cookie is ``SameSite=Lax`` and ``HttpOnly``, and
  ``Secure`` whenever the request came over https.

The service's own origin is the request's scheme and ``Host``.  Behind a
reverse proxy the proxy must pass the browser's ``Host`` header on (nginx:
``proxy_set_header Host $host;``); a proxy that ends TLS makes the browser's
``https://host`` reach us as ``http://host``, which is accepted as the same
origin (an ``http`` page posting to an ``https`` service is not).

Every response (pages, API, static files, errors) carries
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and a
Content-Security-Policy: scripts only from this site, no framing.  The map
documents are the exception they need: :func:`map_document` gives their
inline scripts a fresh nonce, allows the tile server's images, lets our own
pages frame them and tells the tile server our origin.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import Forbidden

log = logging.getLogger(__name__)

csrf = CSRFProtect()

#: Methods that change something; GET and HEAD never do here.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}

# Styles: 'unsafe-inline', because the pages colour swatches and route rows
# with style attributes, folium writes <style> blocks and Leaflet's layer
# control labels carry style attributes (maps.py swatches); a nonce would not
# cover attributes, and CSS cannot run script.  Scripts never get it.
_COMMON = ("default-src 'self'", "style-src 'self' 'unsafe-inline'", "object-src 'none'",
           "base-uri 'self'", "form-action 'self'")
#: Pages, the API, static files and errors: scripts from this site only
#: (pages load /static/js/app.js and nothing inline), framed by nobody.
PAGE_CSP = "; ".join(_COMMON + ("script-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'"))


# --- the Origin check ---------------------------------------------------------------


def _host(scheme: str, netloc: str) -> str:
    """``host[:port]`` in lower case, without the scheme's default port."""
    netloc = netloc.lower()
    port = _DEFAULT_PORTS.get(scheme)
    if port and netloc.endswith(":" + port):
        netloc = netloc[: -len(port) - 1]
    return netloc


def same_origin(url: str) -> bool:
    """Whether ``url`` (an ``Origin`` or a ``Referer``) is this service as the browser sees it."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc or "@" in parts.netloc:
        return False
    # https at the browser, http here: a proxy that ends TLS (see the module's docstring).
    if scheme != request.scheme and not (scheme == "https" and request.scheme == "http"):
        return False
    return _host(scheme, parts.netloc) == _host(request.scheme, request.host)


def _foreign_sender() -> str | None:
    """Who sent this request, when it is a page of another origin; None when it may pass."""
    site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    if origin is not None:
        if origin.strip().lower() == "null" or not same_origin(origin):
            return origin.strip()[:200] or "null"
    elif referer and not same_origin(referer):
        return referer[:200]
    if site in ("cross-site", "same-site"):
        return (origin or referer or _("another site"))[:200]
    return None


def _check_origin() -> None:
    if request.method not in STATE_CHANGING:
        return
    sender = _foreign_sender()
    if sender is None:
        return
    # An administrator behind a proxy that rewrites Host sees here why every form fails.
    log.warning("refused %s %s sent by a page of %s (this service is %s://%s)",
                request.method, request.path, sender, request.scheme, request.host)
    exc = Forbidden(_("This request was sent by a page of another website (%(origin)s), so it was refused "
                      "and nothing was changed. Use the pages of this service.", origin=sender))
    exc._friendly = True  # type: ignore[attr-defined]  # the error page shows this message
    raise exc


def _csrf_refused(exc: CSRFError):
    from routeplanner.web.pages import bad_request, http_error

    log.info("refused %s %s: %s", request.method, request.path, exc.description)
    return http_error(bad_request(_(
        "This form has expired or did not come from this service, so nothing was changed. "
        "Go back, reload the page and send the form again.")))


# --- cookies ------------------------------------------------------------------------------


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose cookie is ``Secure`` whenever the request came over https
    (and only then: http://127.0.0.1 must keep its session)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app)) or (has_request_context() and request.is_secure)


# --- headers ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def tile_sources(tiles: str | None) -> tuple[str, ...]:
    """The CSP sources of the map tiles of ``MAP_TILES`` (a provider name xyzservices knows, as folium
    looks it up), one per subdomain: ``OpenStreetMap.HOT`` -> ``https://a.tile.openstreetmap.fr``, ..."""
    if not tiles:
        return ()
    import xyzservices

    name = "OpenStreetMap.Mapnik" if tiles.strip().lower() == "openstreetmap" else tiles
    try:
        provider = xyzservices.providers.query_name(name)
    except ValueError:
        return ()  # create_app refuses such a name at start
    parts = urlsplit(provider.url)
    subdomains = provider.get("subdomains", "abc")  # folium's default, as Leaflet's
    hosts = [parts.netloc.replace("{s}", s) for s in subdomains] if "{s}" in parts.netloc else [parts.netloc]
    if any(re.search(r"[^A-Za-z0-9.:\[\]-]", h) for h in hosts):
        return (f"{parts.scheme}:",)  # a host we cannot name exactly: any of that scheme
    return tuple(f"{parts.scheme}://{h}" for h in hosts)


def map_csp(nonce: str) -> str:
    """The policy of a map document: its inline scripts by ``nonce``, tiles, framed by our pages only."""
    tiles = " ".join(tile_sources(current_app.config.get("MAP_TILES")))
    return "; ".join(_COMMON + (
        f"script-src 'self' 'nonce-{nonce}'",
        f"img-src 'self' data: {tiles}".rstrip(),
        "frame-ancestors 'self'",
    ))


_SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)


def map_document(html: str) -> Response:
    """A map document (folium's whole HTML) as a response whose scripts run under a fresh nonce.

    Every ``<script`` tag gets the nonce after rendering.  No user text can
    add one: :func:`routeplanner.web.maps.map_text` HTML-escapes every text
    that reaches the map, and JSON strings carry ``<`` as ``\\u003c``.
    """
    nonce = secrets.token_urlsafe(18)
    response = Response(_SCRIPT_TAG.sub(f'<script nonce="{nonce}"', html), mimetype="text/html")
    response.headers["Content-Security-Policy"] = map_csp(nonce)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"  # for browsers without frame-ancestors
    # OpenStreetMap's tile servers refuse browsers' requests without a Referer (their usage policy):
    # the tiles get our origin, never the page's path.
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", PAGE_CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Install the checks and headers; call it before the blueprints are registered, so that the
    Origin check runs before every other ``before_request`` (the CSRF token's included) and the
    headers go on last, on whatever response the other ``after_request`` functions made."""
    # Flask's defaults are HttpOnly without SameSite; "Strict" would drop the session (its CSRF token)
    # when a coordinator follows a link from e-mail, Lax keeps it for such links only.
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # A token lasts as long as the browser session: a coordinator may edit stops for hours.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.session_interface = _SessionInterface()
    app.before_request(_check_origin)
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.after_request(_headers)

    from routeplanner.web import api

    csrf.exempt(api.bp)
