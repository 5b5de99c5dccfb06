# Liaison — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PEOPLE ?= 600
SEED ?= 2026

.PHONY: install demo test lint bench clean

$(BIN)/liaison: pyproject.toml
	@# WeasyPrint (the business case PDF) needs Debian's Pango; install it as .ci/run does when root.
	@ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; } || \
	  echo "Install libpango-1.0-0 libpangoft2-1.0-0 (apt-get) for the business case PDF." >&2
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/liaison

install: $(BIN)/liaison  ## create .venv and install Liaison with its test extras

demo: export LIAISON_HTTPS = 0
demo: export LIAISON_SITE_URL ?= http://127.0.0.1:$(PORT)
demo: export LIAISON_EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
demo: install  ## set up SQLite, load the demo enterprise if empty, serve with the worker
	$(BIN)/liaison migrate --noinput
	$(BIN)/liaison demo --if-empty --people $(PEOPLE) --seed $(SEED)
	$(BIN)/liaison serve --port $(PORT) --with-worker

test: install  ## the whole suite: SQLite, then PostgreSQL when reachable; browser tests with Chromium
	$(BIN)/python tools/run_tests.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var build *.egg-info
