# MHIS — `make demo` runs the app on SQLite with the demo world; `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SIZE   ?= small
export MHIS_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test lint format test-sqlite test-postgres messages system browser e2e guide-screenshots ips-examples bench-load r-reference clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

## demo: install, migrate var/mhis.sqlite3, build the demo world if absent, serve on :8000
## with a worker beside the server (imports, the schedule); Ctrl-C stops both
demo: $(VENV)/.installed
	MHIS_DEBUG=1 $(BIN)/mhis migrate --no-input -v0
	MHIS_DEBUG=1 $(BIN)/mhis demo --if-absent --link --size $(SIZE)
	@echo "Serving on http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/api/docs), with a worker"
	MHIS_DEBUG=1 scripts/serve-with-worker.sh $(BIN) 127.0.0.1:8000

## test: lint, then the whole suite on SQLite and on a throwaway PostgreSQL cluster
test: lint test-sqlite test-postgres

# The fonts the printed summary embeds (mhis.portable.printing.FONTS), all in fonts-noto-core
PRINT_FONTS := NotoSans NotoSansThai NotoSansMyanmar NotoSansKhmer NotoSansLao NotoSansSinhala \
  NotoSansDevanagari NotoSansBengali NotoSansTamil NotoSansArabic NotoSansHebrew \
  NotoSansEthiopic NotoSansGeorgian NotoSansArmenian

## system: Debian packages the checks need (gettext for catalogues, PostgreSQL server binaries,
## the Noto fonts the printed summary embeds)
system:
	@command -v msgfmt >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  && (for f in $(PRINT_FONTS); do [ -f /usr/share/fonts/truetype/noto/$$f-Regular.ttf ] || exit 1; done) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext postgresql fonts-noto-core >/dev/null; \
	  else echo "Install gettext, the PostgreSQL server and the Noto fonts (apt-get install gettext postgresql fonts-noto-core)"; exit 1; fi; }

## ips-examples: the official IPS 2.0.0 package (npm registry), whose example bundles the
## suite reads and re-exports; without npm or the registry those tests are skipped
IPS_PACKAGE := .cache/hl7.fhir.uv.ips
ips-examples:
	@[ -d $(IPS_PACKAGE)/package/example ] || { mkdir -p $(IPS_PACKAGE); \
	  if command -v npm >/dev/null; then \
	    (cd $(IPS_PACKAGE) && npm pack --silent hl7.fhir.uv.ips@2.0.0 >/dev/null 2>&1 \
	      && tar xzf hl7.fhir.uv.ips-2.0.0.tgz) || echo "Could not fetch hl7.fhir.uv.ips from the npm registry: its examples are skipped"; \
	  else echo "npm not found: the official IPS examples are skipped"; fi; }

lint: $(VENV)/.installed-dev system
	$(BIN)/ruff format --check src tests e2e
	$(BIN)/ruff check src tests e2e
	$(BIN)/lint-imports
	MHIS_DEBUG=1 MHIS_VAR_DIR=$$(mktemp -d) $(BIN)/mhis makemigrations --check --dry-run
	$(BIN)/python scripts/check_messages.py
	MHIS_DEBUG=1 MHIS_VAR_DIR=$$(mktemp -d) $(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests e2e
	$(BIN)/ruff check --fix src tests e2e

test-sqlite: $(VENV)/.installed-dev system ips-examples
	@echo "=== test suite on SQLite ==="
	DATABASE_URL= $(BIN)/pytest

test-postgres: $(VENV)/.installed-dev system ips-examples
	@echo "=== test suite on PostgreSQL (throwaway cluster) ==="
	scripts/with-postgres.sh $(BIN)/pytest

## browser: Debian's Chromium for the end-to-end journeys (Playwright drives it; no browser
## is ever downloaded)
browser:
	@[ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null; \
	  else echo "Install Debian's chromium (apt-get install chromium)"; exit 1; fi; }

## e2e: the users' journeys in headless Chromium against the small demo world on a free
## loopback port, each at desktop and at phone size, every page checked with axe-core;
## screenshots go to $(E2E_SCREENSHOTS)
E2E_SCREENSHOTS ?= $(CURDIR)/var/e2e/screenshots
e2e: $(VENV)/.installed-dev system browser
	@echo "=== end-to-end journeys in Chromium ==="
	E2E_SCREENSHOTS=$(E2E_SCREENSHOTS) DATABASE_URL= $(BIN)/pytest e2e -p no:cacheprovider

## guide-screenshots: run the journeys and keep their screenshots, at desktop and at phone
## size, for the user guide (the old ones are removed first)
guide-screenshots:
	rm -f $(CURDIR)/docs/guide/screenshots/*.png
	$(MAKE) e2e E2E_SCREENSHOTS=$(CURDIR)/docs/guide/screenshots

## bench-load: the load benchmark (bench/load): gunicorn on a throwaway PostgreSQL with the
## medium world, driven by locust on loopback; prints the table for bench/load/RESULTS.md
$(VENV)/.installed-bench: pyproject.toml | $(VENV)/.installed-dev
	$(BIN)/pip install -q -e ".[dev,bench]"
	touch $@

bench-load: $(VENV)/.installed-bench system
	bench/load/run.sh $(BENCH_ARGS)

## r-reference: the numbers the detection tests compare with, from R's surveillance package
## (bench/surveillance/r/reference.R); installs Debian's r-cran-surveillance when missing.
## The tests do not need R: its numbers are written into them.
r-reference:
	@{ command -v Rscript >/dev/null && Rscript -e 'library(surveillance)' >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-cran-surveillance >/dev/null; \
	  else echo "Install R's surveillance package (apt-get install r-cran-surveillance)"; exit 1; fi; }
	Rscript bench/surveillance/r/reference.R

## messages: refresh and compile the translation catalogues
messages: $(VENV)/.installed-dev
	cd src/mhis && MHIS_DEBUG=1 ../../$(BIN)/mhis makemessages --all --no-obsolete --no-location
	cd src/mhis && MHIS_DEBUG=1 ../../$(BIN)/mhis compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
