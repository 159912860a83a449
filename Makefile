# tomtat: `make run` serves on http://127.0.0.1:8080, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-10)

.PHONY: install system-deps run test bench clean

# torch==2.13.0 from pip's configured index when a wheel of it is already on the machine (pip's find-links)
# or in .venv, or when the machine has an NVIDIA GPU; otherwise the CPU build from PyTorch's CPU index
# (PyPI's Linux wheel is the CUDA build, several GB).
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --dry-run --no-deps --no-index torch==2.13.0 >/dev/null 2>&1 \
	  || command -v nvidia-smi >/dev/null \
	  && $(BIN)/python -m pip install --quiet torch==2.13.0 \
	  || $(BIN)/python -m pip install --quiet --index-url $(TORCH_CPU_INDEX) torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/tomtat models pull --if-online
	$(BIN)/tomtat serve

# system packages and servers the tests need (Debian's chromium; PostgreSQL and Redis answering on
# 127.0.0.1; Docker's daemon on loopback only with the Debian base image), installed and started when
# missing; first, so a machine that cannot stops here with one line saying what to run
system-deps:
	@bash tests/setup-system.sh
	@bash tests/setup-services.sh
	@bash tests/setup-docker.sh

test: system-deps install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
