# commsafe — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CS     := $(VENV)/bin/commsafe
DEMO   := out/demo
SHARED ?= ../shared/data

# Debian packages: WeasyPrint's Pango/HarfBuzz (the PDF), fonts, poppler-utils (the tests read
# PDFs back with pdftotext and render pages with pdftoppm) and Chromium (the atlas's browser
# tests, driven by Playwright; never `playwright install`).
DEBS   := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils \
          chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint install clean sysdeps fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: sysdeps $(VENV)/.installed

## Debian packages the PDF and the tests need (installed only when missing).
sysdeps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## The main job on real data: a whole strategic assessment. With ../shared/data beside the
## checkout, Newcastle upon Tyne CSP on 33 months of Northumbria data (the latest 12 months
## against the 12 before, one month missing as published); `make demo DEMO_AREA=Cambridge
## DEMO_DATA=cambridgeshire-2024` for the second example. Otherwise Leeds, from real
## police.uk sample data obtained from the package index. Partner data are SYNTHETIC samples.
DEMO_AREA ?= Newcastle upon Tyne
DEMO_DATA ?= northumbria-2020-23
demo: install
	rm -rf $(DEMO)
	@mkdir -p $(DEMO)
	@if [ -d "$(SHARED)/police-uk/$(DEMO_DATA)" ]; then \
	  echo "Real data: $(SHARED)/police-uk/$(DEMO_DATA) ($(DEMO_AREA))"; \
	  area="$(DEMO_AREA)"; police="$(SHARED)/police-uk/$(DEMO_DATA)"; \
	  refs="$(SHARED)/geography $(SHARED)/population"; \
	else \
	  echo "No $(SHARED): real police.uk sample data from the package index (Leeds)"; \
	  $(CS) fetch sample --dest .commsafe-cache/sample || exit 1; \
	  area=Leeds; police=".commsafe-cache/sample/police-uk"; \
	  refs=".commsafe-cache/sample/reference"; \
	fi; \
	set -e; \
	$(CS) reference load $$refs --store $(DEMO)/commsafe.duckdb --quiet; \
	$(CS) ingest $$police --store $(DEMO)/commsafe.duckdb --quiet; \
	$(CS) sample partner-data --area "$$area" --out $(DEMO)/partner --store $(DEMO)/commsafe.duckdb; \
	$(CS) init --csp "$$area" --data $$police $$(for r in $$refs; do printf -- '--reference %s ' $$r; done) \
	  --dataset $(DEMO)/partner/SYNTHETIC_police_extract.csv \
	  --dataset $(DEMO)/partner/SYNTHETIC_ed_assaults.csv \
	  --dir $(DEMO) --store $(DEMO)/commsafe.duckdb; \
	$(CS) build --spec $(DEMO)/commsafe.toml --out $(DEMO)/out --store $(DEMO)/commsafe.duckdb
	@echo ""
	@echo "Outputs (open assessment.html or assessment.pdf first):"
	@ls -d $(abspath $(DEMO))/out/*/ | sed 's/^/  /'
	@echo "  spec:   $(abspath $(DEMO))/commsafe.toml (edit priorities, targets, registers; build again)"
	@echo "  store:  $(abspath $(DEMO))/commsafe.duckdb"

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

## Everything the tests need, then the whole suite (CI runs exactly this).
test: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadfile

## Fuzz every reader with 10,000 generated hostile files (docs/fuzz.md); FUZZ_ARGS to vary.
FUZZ_ARGS ?= --cases 10000 --seed 0 --jobs 2
fuzz: install
	$(PY) tests/fuzz/run.py $(FUZZ_ARGS)

bench: install
	$(PY) benchmarks/bench_ingest.py --data $(SHARED)/police-uk --out docs/benchmarks.md
	$(PY) benchmarks/bench_performance.py --data $(SHARED)/police-uk --out docs/benchmarks-measures.md
	$(PY) benchmarks/bench_spatial.py --data $(SHARED) --out docs/benchmarks-spatial.md
	$(PY) benchmarks/bench_build.py --data $(SHARED) --out docs/benchmarks.md
	$(PY) benchmarks/bench_store.py $(SHARED)/geography $(SHARED)/population --police $(SHARED)/police-uk --out docs/benchmarks-store.md
	$(PY) benchmarks/bench_national.py --data $(SHARED) --rows 600000 --out docs/benchmarks-national.md
	$(PY) benchmarks/bench_national.py --data $(SHARED) --rows 2000000 --out docs/benchmarks-national.md
	$(PY) benchmarks/bench_national.py --data $(SHARED) --rows 6000000 --out docs/benchmarks-national.md
	$(PY) benchmarks/bench_home_office.py --rows 1200000 --out docs/benchmarks-home-office.md

clean:
	rm -rf $(VENV) out .commsafe-cache
