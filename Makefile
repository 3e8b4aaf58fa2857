# commsafe — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CS     := $(VENV)/bin/commsafe
DEMO   := out/demo
SHARED ?= ../shared/data

.PHONY: demo test bench lint install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## The main job on real data: obtain the sample (from the package index), ingest it, report.
demo: install
	@mkdir -p $(DEMO)
	rm -f $(DEMO)/commsafe.duckdb $(DEMO)/commsafe.duckdb.wal
	$(CS) fetch sample --dest .commsafe-cache/sample
	$(CS) reference load .commsafe-cache/sample/reference --store $(DEMO)/commsafe.duckdb
	$(CS) ingest .commsafe-cache/sample/police-uk --store $(DEMO)/commsafe.duckdb
	$(CS) status --store $(DEMO)/commsafe.duckdb
	$(CS) counts --by force,month,category --store $(DEMO)/commsafe.duckdb --format table
	$(CS) counts --by financial_year,category --include-asb --store $(DEMO)/commsafe.duckdb --format csv > $(DEMO)/counts_by_year_category.csv
	@echo ""
	@echo "Outputs:"
	@echo "  store:  $(abspath $(DEMO))/commsafe.duckdb"
	@echo "  counts: $(abspath $(DEMO))/counts_by_year_category.csv"

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

clean:
	rm -rf $(VENV) out .commsafe-cache
