# Routing conformance: tests/routing/route_test.py runs every request of
# tests/routing/cases/*.json through `gateway route-test --json` and compares
# the decision (status, gateway route, virtual service, router, route, targets,
# Host and path sent upstream) with the one the case expects.  Each case file's
# configuration must also pass `gateway --check`.  No root needed.  The same
# cases run end to end through the data plane in tests/e2e/cases/routing.py.
#
# Included by the top-level Makefile, which defines GATEWAY (the binary under
# test).  ROUTING_ARGS passes runner options, e.g.
# `make test-routing ROUTING_ARGS='-k headers -v'`.

ROUTING_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GATEWAY ?= build/gateway
ROUTING_PYTHON ?= /usr/bin/python3
ROUTING_ARGS ?=

.PHONY: test-routing
test-routing: $(GATEWAY)
	$(ROUTING_PYTHON) $(ROUTING_DIR)/route_test.py --gateway $(GATEWAY) $(ROUTING_ARGS)
