# `make demo` and `make test` do all the set-up on a fresh Debian machine (as root):
# Debian packages for the real servers the tests drive, a venv with the project and its test extras.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := faketime openssh-server openssh-client rsync pdns-server pdns-backend-sqlite3 iproute2 ca-certificates bind9 bind9-utils nftables prometheus systemd shellcheck mariadb-server mariadb-client postgresql chromium etcd-server etcd-client
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`, each with a rig of its own (tests/conftest.py). Three on
# two cores: the suite waits on timeouts and links taken down, and a third worker fills those
# waits (a fresh-clone CI run: 12 min 21 s with three, 15 min 15 s with two). At most three
# with CI's identity (.ci/run): worker K takes the /24 two further per K, up to .254.
TEST_JOBS ?= 3

.PHONY: all setup deps venv test faults demo bench lint docs clean

all: test

setup: deps venv

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "apt-get install:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c 'import failover, pytest, paramiko, dns, msgspec'
	touch $@

test: setup
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile --durations=25 $(PYTEST_ARGS)

# the fault matrix (tests/faults): prints the table and writes it to docs/faults.md
faults: setup
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile tests/faults --faults-md docs/faults.md $(PYTEST_ARGS)

demo: setup
	$(PY) -m tests.demo

bench: setup
	$(PY) -m bench.startup
	$(PY) -m bench.interrupt_window
	$(PY) -m bench.dns_flip
	$(PY) -m bench.checks
	$(PY) -m bench.checks --dual
	$(PY) -m bench.sync
	$(PY) -m bench.pull
	$(PY) -m bench.rto
	$(PY) -m bench.notify
	$(PY) -m bench.db
	$(PY) -m bench.coordination

docs: setup
	$(PY) -c 'import sys; from failover.config.reference import reference; sys.stdout.write(reference())' > docs/inventory.md

lint: setup
	$(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	$(VENV)/bin/ruff check failover tests bench
	$(VENV)/bin/mypy failover

clean:
	rm -rf $(VENV) .pytest_cache
