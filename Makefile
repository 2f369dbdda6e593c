# The two commands: `make demo` and `make test`. Each creates or reuses .venv and installs
# what it needs, so a fresh Debian 12 box with python3 needs nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fscc-installed

.PHONY: demo test test-freeswitch lint bench venv sysdeps-test sysdeps-media clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

venv: $(STAMP)

# System packages, installed only when missing (root on CI and dev machines).
APT_UPDATED := $(VENV)/.apt-updated
define apt_need
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  [ -f $(APT_UPDATED) ] || { apt-get update -qq && touch $(APT_UPDATED); }; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

sysdeps-media: | $(BIN)/python
	$(call apt_need,espeak-ng sox)

sysdeps-test: sysdeps-media
	$(call apt_need,chromium)

demo: $(STAMP) sysdeps-media
	$(BIN)/fscc demo

# Engine/store/simswitch tests run under gevent's monkey-patching; browser tests drive
# Playwright (its own event loop) in a separate, unpatched pytest process.
test: $(STAMP) sysdeps-test
	$(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/browser
	@if ls tests/browser/test_*.py >/dev/null 2>&1; then \
	  FSCC_TEST_NO_GEVENT_PATCH=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser; \
	fi

# The real-switch run (tests marked `freeswitch`: ESL fidelity replays and end-to-end SIP calls).
# Uses FSCC_FREESWITCH_ESL when set, else starts the FreeSWITCH test bundle found at
# FSCC_FREESWITCH_BUNDLE (default ../shared/freeswitch). See README, "Running against a real FreeSWITCH".
test-freeswitch: $(STAMP) sysdeps-test
	bash .ci/real-switch

lint: $(STAMP)
	$(BIN)/ruff check engine control simswitch bench tests
	$(BIN)/mypy engine control simswitch

bench: $(STAMP)
	$(BIN)/python bench/esl.py
	$(BIN)/python bench/simswitch.py
	$(BIN)/python bench/pacing.py --plot bench/pacing.png
	$(BIN)/python bench/import.py
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) build *.egg-info
