# Studio Library — `make run` serves the app, `make test` runs every test, `make bench` measures.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
DEMO   ?= 1
export FLASK_APP := wsgi

.PHONY: run test bench bench-large install translations extract-messages vendor-css vendor-pdfjs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues are built, never committed.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard library/translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGUES)
library/translations/%/LC_MESSAGES/messages.mo: library/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d library/translations -l $* >/dev/null

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k label -o library/translations/messages.pot .
	$(BIN)/pybabel update -i library/translations/messages.pot -d library/translations --no-fuzzy-matching

# The stylesheet framework (Pico CSS) is vendored and committed, so `make run` needs no npm.
# Refresh it with `make vendor-css` (needs npm); bump PICO_VERSION to upgrade.
PICO_VERSION ?= 2.1.1
PICO_DIR     := library/static/vendor/pico
vendor-css:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent @picocss/pico@$(PICO_VERSION) >/dev/null && tar xzf picocss-pico-$(PICO_VERSION).tgz) && \
	mkdir -p $(PICO_DIR) && \
	cp "$$tmp/package/css/pico.red.min.css" "$$tmp/package/LICENSE.md" $(PICO_DIR)/ && \
	echo "@picocss/pico $(PICO_VERSION) (npm), css/pico.red.min.css" > $(PICO_DIR)/VERSION && \
	echo "vendored Pico CSS $(PICO_VERSION) into $(PICO_DIR)"

# The PDF viewer of the resource page (library/static/js/pdf_viewer.js) runs pdf.js, vendored the
# same way: the legacy build (phones' older WebViews), its worker, the CMaps of CJK fonts a PDF
# does not embed and the standard fonts. Refresh with `make vendor-pdfjs`; bump PDFJS_VERSION.
PDFJS_VERSION ?= 6.5.438
PDFJS_DIR     := library/static/vendor/pdfjs
vendor-pdfjs:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent pdfjs-dist@$(PDFJS_VERSION) >/dev/null && tar xzf pdfjs-dist-$(PDFJS_VERSION).tgz) && \
	rm -rf $(PDFJS_DIR) && mkdir -p $(PDFJS_DIR) && \
	cp "$$tmp/package/legacy/build/pdf.min.mjs" "$$tmp/package/legacy/build/pdf.worker.min.mjs" \
		"$$tmp/package/LICENSE" $(PDFJS_DIR)/ && \
	cp -r "$$tmp/package/cmaps" "$$tmp/package/standard_fonts" $(PDFJS_DIR)/ && \
	echo "pdfjs-dist $(PDFJS_VERSION) (npm), legacy/build/pdf.min.mjs, pdf.worker.min.mjs, cmaps/, standard_fonts/" \
		> $(PDFJS_DIR)/VERSION && \
	echo "vendored pdf.js $(PDFJS_VERSION) into $(PDFJS_DIR)"

run: install
	$(BIN)/flask init-db
	@if [ "$(DEMO)" = "1" ]; then $(BIN)/flask demo; fi
	$(BIN)/flask worker --once
	@# Beside the server, a worker runs the job queue (thumbnails, posters and text of uploads, which
	@# show "processing" until then), sweeps loans (expiry, "due in 3 days" notices), mails pending
	@# notices and keeps the index in step; it stops with the server.
	$(BIN)/flask worker --interval 5 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --worker-class gthread --threads 4 \
		--timeout 120 --access-logfile - wsgi:app

test: install
	@# Types first (storage/, search_index/, library/; settings in pyproject.toml), then every test.
	$(BIN)/mypy
	@# PostgreSQL tests read this URL; without a server they skip (or fail when CI is set).
	LIBRARY_TEST_POSTGRES_URL=$${LIBRARY_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres} \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The 1 GB upload benchmark (~4 min), search at 10k resources (~5 min; `python -m bench.search --large`
# for 100k, ~25 min), then every page and API call through gunicorn at 10k (bench.http: the first run
# generates the library and loads it with `flask import`, a few minutes at 200 rows/s, and keeps it in
# bench/out/library/ for the next runs; then ~60 requests × 110, about 5 min). Each rewrites only its
# own block of BENCHMARKS.md.
bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.upload
	$(BIN)/python -m bench.search --write
	$(BIN)/python -m bench.search.understanding --write
	$(BIN)/python -m bench.http --resources 10000 --write

# The production shape at 100k resources, on PostgreSQL (a database `bench_100000_<seed>` is created on
# BENCH_POSTGRES_URL's server) and S3 (weed mini): bench.http, then the 3-minute load test on the same
# prepared library. The first run imports 100k rows (~10 min at 200 rows/s, plus deriving the 320
# shared files) — about 30 min in all; later runs reuse the library (~15 min). `--fresh` rebuilds it.
BENCH_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench-large: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.http --resources 100000 --postgres $(BENCH_POSTGRES_URL) --s3 --write
	$(BIN)/python -m bench.load --resources 100000 --seconds 180 --postgres $(BENCH_POSTGRES_URL) --s3 --write

clean:
	rm -rf $(VENV) instance .pytest_cache
