# Two commands: `make run` sets everything up and serves the demo; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint format messages translations bench reliability browser-deps pdf-deps html-checker clean vendor-uswds

# The venv is rebuilt when pyproject.toml changes; stamps record what was installed.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-runtime
	$(BIN)/pip install --quiet -e '.[bench]'
	@touch $@

# Compiled catalogues are build output (not in git): rebuilt when a .po file changes.
translations: $(VENV)/.installed-runtime
	@$(BIN)/pybabel compile --quiet --use-fuzzy -d govtech/translations 2>/dev/null || \
	  $(BIN)/pybabel compile -d govtech/translations

# Links, QR codes and notices (rendered by `seed demo`) point to the port that serves.
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed checklist
	$(BIN)/flask seed demo
	@echo ""
	@echo "  Govtech Challenge Platform: $(PUBLIC_BASE_URL)"
	@echo "  Demo logins (password: govtech-demo-2026):"
	@echo "    admin       admin@example.org"
	@echo "    agency      agencia@example.org, agencia2@example.org (Buenos Aires)"
	@echo "                prefeitura@example.org, prefeitura2@example.org (Recife), ministerio@example.org (Colombia)"
	@echo "    supplier    startup@example.org, pyme@example.org, turnos@example.org"
	@echo "    evaluator   evaluador1@example.org ... evaluador4@example.org"
	@echo "  No mail is sent: each email is printed below whole, so its links can be followed."
	@echo ""
	MAIL_LOG_BODY=1 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test translations lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check bench govtech tests wsgi.py
	$(BIN)/ruff format --check bench govtech tests wsgi.py

format: $(VENV)/.installed-test
	$(BIN)/ruff format bench govtech tests wsgi.py
	$(BIN)/ruff check --fix bench govtech tests wsgi.py

# The reliability test alone (gunicorn under load and faults; needs PostgreSQL):
#   TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/somedb make reliability
reliability: $(VENV)/.installed-test translations
	RELIABILITY_REQUIRED=1 $(BIN)/pytest -m reliability -s $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# HarfBuzz's font subsetter: WeasyPrint embeds fonts 2-3x faster with it than with its
# fontTools fallback (award notices; see bench/RESULTS.md). Debian/Ubuntu.
pdf-deps:
	@/sbin/ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || { \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libharfbuzz-subset0; }

# The W3C's Nu HTML checker (vnu.jar, from its npm package, pinned by version and SHA-256) and a
# Java runtime for it: tests/test_html_validity.py runs it on every demo page, and skips without it.
VNU_VERSION ?= 26.9.27
VNU_SHA256  ?= 22f15dd39a33bed929d2a5c0cddf5946849a647eca9272bf4d5d00bc7e7a4d47
VNU_JAR     := $(VENV)/share/vnu/vnu.jar
html-checker: | $(BIN)/python
	@command -v java >/dev/null 2>&1 || { \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends default-jre-headless; }
	@echo "$(VNU_SHA256)  $(VNU_JAR)" | sha256sum -c --status 2>/dev/null || { \
	  set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  command -v npm >/dev/null 2>&1 || { echo "make html-checker needs npm (apt-get install npm)" >&2; exit 1; }; \
	  (cd "$$tmp" && npm pack --silent "vnu-jar@$(VNU_VERSION)" >/dev/null); \
	  tar -xzf "$$tmp/vnu-jar-$(VNU_VERSION).tgz" -C "$$tmp" package/build/dist/vnu.jar; \
	  mkdir -p "$$(dirname $(VNU_JAR))"; \
	  echo "$(VNU_SHA256)  $$tmp/package/build/dist/vnu.jar" | sha256sum -c --quiet; \
	  mv "$$tmp/package/build/dist/vnu.jar" "$(VNU_JAR)"; }

# Data at scale, request rates, query counts, notice, ranking, memory (bench/RESULTS.md).
# SQLite in a temporary file; DATABASE_URL=postgresql://... uses a fresh database there.
bench: $(VENV)/.installed-bench translations pdf-deps
	$(BIN)/python -m bench $(BENCH_ARGS)

# Re-extract the strings and merge them into the catalogues (then translate the .po files).
messages: $(VENV)/.installed-runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".*" -o govtech/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -N -i govtech/translations/messages.pot -d govtech/translations --ignore-obsolete

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Refresh the vendored design system from the npm registry (needs npm; not part of `make run`).
USWDS_VERSION ?= 3.14.0
USWDS_DEST    ?= govtech/static/vendor/uswds
vendor-uswds:
	set -eu; \
	tmp=$$(mktemp -d); \
	trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent "@uswds/uswds@$(USWDS_VERSION)" >/dev/null); \
	tar -xzf "$$tmp/uswds-uswds-$(USWDS_VERSION).tgz" -C "$$tmp"; \
	dist="$$tmp/package/dist"; \
	rm -rf "$(USWDS_DEST)/css" "$(USWDS_DEST)/js" "$(USWDS_DEST)/fonts" "$(USWDS_DEST)/img"; \
	mkdir -p "$(USWDS_DEST)/css" "$(USWDS_DEST)/js" "$(USWDS_DEST)/img"; \
	cp "$$tmp/package/LICENSE.md" "$(USWDS_DEST)/LICENSE.md"; \
	cp "$$dist/css/uswds.min.css" "$(USWDS_DEST)/css/"; \
	cp "$$dist/js/uswds.min.js" "$$dist/js/uswds-init.min.js" "$(USWDS_DEST)/js/"; \
	cp -R "$$dist/img/usa-icons" "$$dist/img/sprite.svg" "$(USWDS_DEST)/img/"; \
	grep -o 'url([^)]*)' "$(USWDS_DEST)/css/uswds.min.css" \
	  | sed -e 's/^url(//' -e 's/)$$//' -e "s/[\"']//g" -e 's/[?#].*//' \
	  | grep '^\.\./' | sed 's#^\.\./##' | sort -u \
	  | while read -r f; do \
	      mkdir -p "$(USWDS_DEST)/$$(dirname "$$f")"; \
	      cp "$$dist/$$f" "$(USWDS_DEST)/$$f"; \
	    done
