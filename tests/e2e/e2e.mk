# End-to-end tests: tests/e2e/harness.py runs every case in tests/e2e/cases/
# against a real gateway on a DPDK net_tap port, each in its own network
# namespace (needs root, /dev/net/tun and iproute2; otherwise every case is
# reported as SKIP with the reason).  Logs of failed cases are kept under
# build/tests/e2e/<case>/.
#
# Included by the top-level Makefile, which defines GATEWAY (the binary under
# test).  E2E_ARGS passes harness options, e.g. `make test-e2e E2E_ARGS='-k echo -v'`.

E2E_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GATEWAY ?= build/gateway
E2E_PYTHON ?= /usr/bin/python3
E2E_ARGS ?=

.PHONY: test-e2e
test-e2e: $(GATEWAY)
	$(E2E_PYTHON) $(E2E_DIR)/harness.py --gateway $(GATEWAY) $(E2E_ARGS)
