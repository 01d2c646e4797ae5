# The two set-up commands of the README.  Each creates the virtual environment
# and installs what it needs on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Web assets, made on first use and never committed (see .gitignore):
# Leaflet from the npm registry, served by the app so maps work offline;
# the compiled English message catalogue; Debian's Chromium for the browser tests;
# Debian's PostgreSQL server programs for the tests that run on PostgreSQL
# (tests/pgserver.py starts a throwaway server in a temporary folder; no
# system service is used).
LEAFLET_VERSION := 1.9.4
LEAFLET_DIR     := routeplanner/web/static/vendor/leaflet
LEAFLET         := $(LEAFLET_DIR)/.leaflet-$(LEAFLET_VERSION)
TRANSLATIONS    := routeplanner/web/translations
CATALOGUES      := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
CHROMIUM        := /usr/bin/chromium
# The PDF export's font (every Lithuanian and Latvian letter): Debian's fonts-dejavu-core.
PDF_FONT        := /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

.PHONY: run serve test plan clean assets browser postgres redis messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The web service on http://127.0.0.1:5000/ (ROUTEPLANNER_HOST / _PORT to change):
# waitress, with the background solve runner, stopped cleanly on Ctrl-C.
run: $(STAMP) assets
	$(VENV)/bin/routeplanner serve

serve: run

test: $(STAMP) assets browser postgres redis
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

plan: $(STAMP)
	$(VENV)/bin/routeplanner plan data/rokiskis/scenario.toml

assets: $(LEAFLET) $(CATALOGUES) $(PDF_FONT)

browser: $(CHROMIUM)

# Debian's redis-server for the tests of solves on RQ workers (tests/redisserver.py starts a
# throwaway server on a free port; no system service is used).
redis:
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian's redis-server for the RQ tests"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq redis-server >/dev/null; \
	fi

# initdb and postgres on PATH or in /usr/lib/postgresql/<version>/bin, as the tests look for them;
# pgRouting (with PostGIS), osm2pgrouting and osmium-tool for the road network on PostgreSQL.
postgres:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian's postgresql for the database tests"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq postgresql >/dev/null; \
	fi
	@# pgRouting and the importer of its road networks ([travel] method = "pgrouting", tests/test_pgrouting.py)
	@if ! command -v osm2pgrouting >/dev/null 2>&1 || ! command -v osmium >/dev/null 2>&1 || \
	    ! ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian's pgRouting, osm2pgrouting and osmium-tool for the road tests"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    postgresql-15-pgrouting osm2pgrouting osmium-tool >/dev/null; \
	fi

# npm checks the package's integrity; only dist/ is copied, leaflet.js last,
# and the version stamp after it, so an interrupted copy is redone.
$(LEAFLET):
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  echo "fetching leaflet@$(LEAFLET_VERSION) from the npm registry" && \
	  (cd "$$tmp" && npm pack --silent leaflet@$(LEAFLET_VERSION) >/dev/null && tar xzf leaflet-$(LEAFLET_VERSION).tgz) && \
	  rm -rf $(LEAFLET_DIR) && mkdir -p $(LEAFLET_DIR) && \
	  cp -r "$$tmp/package/dist/images" $(LEAFLET_DIR)/images && \
	  cp "$$tmp/package/dist/leaflet.css" "$$tmp/package/LICENSE" $(LEAFLET_DIR)/ && \
	  cp "$$tmp/package/dist/leaflet.js" $(LEAFLET_DIR)/ && \
	  touch $@

%.mo: %.po | $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

$(PDF_FONT):
	@if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian's fonts-dejavu-core for the PDF export"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq fonts-dejavu-core >/dev/null

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null

# Refresh the message catalogues after adding or changing visible strings.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract --no-location --sort-output --project=routeplanner --version=0.1.0 \
	  -F babel.cfg -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info routeplanner/web/static/vendor $(CATALOGUES)
