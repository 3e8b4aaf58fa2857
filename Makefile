# commsafe — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CS     := $(VENV)/bin/commsafe
DEMO   := out/demo
SHARED ?= ../shared/data

# Debian packages: WeasyPrint's Pango/HarfBuzz (the PDF), fonts, and poppler-utils (the tests
# read PDFs back with pdftotext and render pages with pdftoppm).
DEBS   := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint install clean sysdeps

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

## The main job on real data: obtain the sample (from the package index), ingest it, report.
demo: install
	@mkdir -p $(DEMO)
	rm -f $(DEMO)/commsafe.duckdb $(DEMO)/commsafe.duckdb.wal
	$(CS) fetch sample --dest .commsafe-cache/sample
	$(CS) reference load .commsafe-cache/sample/reference --store $(DEMO)/commsafe.duckdb
	$(CS) ingest .commsafe-cache/sample/police-uk --store $(DEMO)/commsafe.duckdb
	$(CS) status --store $(DEMO)/commsafe.duckdb
	$(CS) counts --by month,category --include-asb --store $(DEMO)/commsafe.duckdb --format table
	@echo "West Yorkshire's five districts (Bradford, Calderdale, Kirklees, Leeds, Wakefield):"
	$(CS) counts --by district,calendar_year --where "district BETWEEN 'E08000032' AND 'E08000036'" --store $(DEMO)/commsafe.duckdb --format table
	$(CS) counts --by force,month,category --include-asb --store $(DEMO)/commsafe.duckdb --format csv > $(DEMO)/counts_by_month_category.csv
	$(CS) counts --by district,calendar_year --names --store $(DEMO)/commsafe.duckdb --format csv > $(DEMO)/counts_by_district_year.csv
	@echo "Partner data: SYNTHETIC samples for Leeds, loaded through their mappings"
	rm -rf $(DEMO)/partner
	$(CS) sample partner-data --area Leeds --out $(DEMO)/partner --store $(DEMO)/commsafe.duckdb
	for kind in police_extract ed_assaults premises_incidents; do \
	  $(CS) load $(DEMO)/partner/SYNTHETIC_$$kind.csv --mapping $(DEMO)/partner/SYNTHETIC_$$kind.toml --store $(DEMO)/commsafe.duckdb || exit 1; done
	$(CS) table partner ed-assaults --dataset synthetic_ed_assaults --store $(DEMO)/commsafe.duckdb --format csv --out $(DEMO)/ed_assaults_monthly.csv
	$(CS) chart pyramid --dataset synthetic_police_extract --area Leeds --out $(DEMO)/charts --store $(DEMO)/commsafe.duckdb --value share > /dev/null
	$(CS) cardiff scores --dataset synthetic_premises_incidents --chart $(DEMO)/charts/cardiff --store $(DEMO)/commsafe.duckdb
	@echo ""
	@echo "Outputs:"
	@echo "  store:  $(abspath $(DEMO))/commsafe.duckdb"
	@echo "  counts: $(abspath $(DEMO))/counts_by_month_category.csv"
	@echo "          $(abspath $(DEMO))/counts_by_district_year.csv"
	@echo "  partner data (synthetic): $(abspath $(DEMO))/partner/, $(abspath $(DEMO))/ed_assaults_monthly.csv"
	@echo "  charts: $(abspath $(DEMO))/charts/pyramid.png, $(abspath $(DEMO))/charts/cardiff.png"

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

## Everything the tests need, then the whole suite (CI runs exactly this).
test: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadfile

bench: install
	$(PY) benchmarks/bench_ingest.py --data $(SHARED)/police-uk --out docs/benchmarks.md
	$(PY) benchmarks/bench_performance.py --data $(SHARED)/police-uk --out docs/benchmarks-measures.md
	$(PY) benchmarks/bench_spatial.py --data $(SHARED) --out docs/benchmarks-spatial.md

clean:
	rm -rf $(VENV) out .commsafe-cache
