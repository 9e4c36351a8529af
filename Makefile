# NZ International Security Briefing Pack
#   make briefs   set up (venv, pinned packages, Chromium) and build every brief into briefs/
#   make test     set up, then run the whole test suite (what CI runs)
#   make lab      open JupyterLab in the same environment, with the pack's kernel
#   make check    validate catalogue, parameters and data; build nothing
#   make bench    time build.py against the naive papermill + nbconvert loops (command line; one process)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: briefs test lab check bench chromium test-tools clean

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (briefing pack)" >/dev/null
	touch $@

chromium: $(STAMP)
	@scripts/ensure-chromium.sh $(BIN)/python

briefs: $(STAMP) chromium
	$(BIN)/python build.py

check: $(STAMP)
	$(BIN)/python build.py --check

test-tools:
	@scripts/ensure-test-tools.sh

test: $(STAMP) chromium test-tools
	$(BIN)/python -m pytest

# Lab at the pack's root (pack.yml, data/, notebooks/ and briefs/_build/ all in view), with the
# pack's kernel (installed into the venv by the set-up). Outside a build no BRIEFKIT_MARKING is
# set, so notebooks show the house style and the marking banner (briefkit/nb/lab.py).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.ip=127.0.0.1 \
	  --ServerApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root) \
	  $(LAB_ARGS)

bench: $(STAMP) chromium
	$(BIN)/python bench/bench_build.py

clean:
	rm -rf briefs .cache
