# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: setup sysdeps demo test lint bench
setup: $(STAMP)

# gdal_viewshed (Debian's gdal-bin) is the outside check of the coverage maps: installed
# where apt-get can (as root); elsewhere that test is skipped and says why.
sysdeps:
	@command -v gdal_viewshed >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q --no-install-recommends gdal-bin >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q --no-install-recommends gdal-bin >/dev/null 2>&1; } || \
	    echo "gdal-bin could not be installed: the gdal_viewshed check will be skipped"; \
	  else echo "gdal-bin is not installed (needs root and apt-get): the gdal_viewshed check will be skipped"; fi; }

demo: $(STAMP)
	$(VENV)/bin/gbad demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) sysdeps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_foundation.py
