# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: setup sysdeps bytecode demo test lint bench
setup: $(STAMP) bytecode

# The package's bytecode, written ahead (only what changed since): an interpreter told
# not to write it (PYTHONDONTWRITEBYTECODE) would otherwise compile every module of gbad
# at every start, a sixth of a second a run.
bytecode: $(STAMP)
	@$(VENV)/bin/python -m compileall -q src/gbad

# Outside checks: gdal_viewshed (Debian's gdal-bin) of the coverage maps, headless
# Chromium of the report, tshark (Wireshark's dissectors) of the ASTERIX stream.
# Installed where apt-get can (as root); elsewhere those tests are skipped and say why.
define apt_tool
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(2) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(2) >/dev/null 2>&1; } || \
	    echo "$(2) could not be installed: the tests that need $(1) will be skipped"; \
	  else echo "$(2) is not installed (needs root and apt-get): the tests that need $(1) will be skipped"; fi; }
endef

sysdeps:
	$(call apt_tool,gdal_viewshed,gdal-bin)
	$(call apt_tool,chromium,chromium)
	$(call apt_tool,tshark,tshark)

demo: $(STAMP) bytecode
	$(VENV)/bin/gbad demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) bytecode sysdeps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_foundation.py
