# Meshgate: top-level build.
#
#   make            build build/gateway (fetching and building dependencies first if needed)
#   make run        start the gateway on the embedded demo config in a network namespace
#   make test       unit tests, fuzz smoke runs, routing conformance, end-to-end tests, the image test
#   make image      the appliance disk image (build/image/meshgate.raw, .qcow2)
#   make run-vm     boot it in QEMU with the serial console on this terminal
#   make deps       install Debian packages, fetch and unpack mbedTLS and lwIP sources
#   make help       everything else
#
# SANITIZE=address,undefined builds an instrumented, dynamically linked
# gateway and tests into build/san-address-undefined/.

.DEFAULT_GOAL := all
.SECONDEXPANSION:
SHELL         := /bin/bash

comma := ,
BUILD_ROOT ?= build
DEPS       := $(BUILD_ROOT)/deps
DEPS_STAMP := $(DEPS)/.stamp
SANITIZE   ?=
ifeq ($(SANITIZE),)
BUILD      := $(BUILD_ROOT)
SAN_CFLAGS :=
SAN_LDFLAGS :=
STATIC     := -static
else
BUILD      := $(BUILD_ROOT)/san-$(subst $(comma),-,$(SANITIZE))
SAN_CFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=$(SANITIZE)
STATIC     :=
endif
GATEWAY    := $(BUILD)/gateway

V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

CC          := gcc
AR          := ar
# The x86-64 baseline DPDK's Debian build targets (SSE4.2); every EC2 x86
# instance and any server CPU of the last decade has it.
ARCH_CFLAGS := -march=corei7 -mtune=generic
MG_VERSION  := 0.1.0+g$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

DPDK_INC    := -I/usr/include/dpdk -I/usr/include/x86_64-linux-gnu/dpdk -include rte_config.h
DPDK_LIBDIR := /usr/lib/x86_64-linux-gnu
# PMDs and buses register themselves from constructors: whole-archive.
DPDK_PMDS   := net_virtio net_ena net_tap net_af_packet net_ring net_memif \
	       net_e1000 net_ixgbe net_i40e net_ice \
	       bus_pci bus_vdev mempool_ring
DPDK_CORE   := common_iavf security ethdev net mbuf mempool ring hash meter pci eal kvargs telemetry bpf \
	       cryptodev rcu timer gso vhost dmadev
DPDK_LIBS   := -Wl,--whole-archive $(DPDK_PMDS:%=$(DPDK_LIBDIR)/librte_%.a) -Wl,--no-whole-archive \
	       -Wl,--start-group $(DPDK_CORE:%=$(DPDK_LIBDIR)/librte_%.a) -Wl,--end-group
# PCRE2 checks the regular expressions of routes (static in the static build).
SYS_LIBS    := -lnghttp2 -lpcre2-8 -lbsd -lmd -lelf -lz -lnuma -lpthread -ldl -lm

WARN        := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	       -Wformat=2 -Wno-format-nonliteral -Wvla -Wno-missing-field-initializers
CFLAGS      ?= -O2 -g
MG_CFLAGS    = -std=gnu11 $(CFLAGS) -ffile-prefix-map=$(CURDIR)/= $(ARCH_CFLAGS) $(WARN) -fno-strict-aliasing -MMD -MP \
	       -D_GNU_SOURCE -DMG_VERSION='"$(MG_VERSION)"' -I. $(DPDK_INC) $(LWIP_INC) \
	       $(MBEDTLS_INC) $(SAN_CFLAGS)

include platform/lwip/lwip.mk
include platform/mbedtls/mbedtls.mk

GW_SRCS := $(wildcard gateway/*.c gateway/*/*.c drivers/*/*.c platform/lwip/*.c)
GW_OBJS := $(GW_SRCS:%.c=$(BUILD)/obj/%.o)

.PHONY: FORCE all deps image run-vm test-image run test test-unit test-tools test-fuzz fuzz test-e2e format format-check clean distclean help

all: $(GATEWAY) $(BUILD)/meshgate-shell

# ---- dependencies ------------------------------------------------------------
$(DEPS_STAMP): tools/deps.sh $(wildcard platform/*/patches/*.patch)
	$(Q)tools/deps.sh $(BUILD_ROOT)
	$(Q)touch $@

deps: $(DEPS_STAMP)

# ---- the gateway ---------------------------------------------------------------
$(BUILD)/obj/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(MG_CFLAGS) -c $< -o $@

$(BUILD)/obj/gateway/demo/mg_demo.o: gateway/demo/meshgate-demo.json

# main.c prints the version: rebuild it when the commit changes.
$(BUILD)/obj/gateway/main.o: $(BUILD)/version.stamp
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MG_VERSION)' | cmp -s - $@ || echo '$(MG_VERSION)' > $@

FORCE:

$(GATEWAY): $(GW_OBJS) $(LWIP_LIB) $(MBEDTLS_LIB)
	@echo "  LD    $@"
	$(Q)$(CC) $(STATIC) $(SAN_LDFLAGS) -o $@ $(GW_OBJS) $(DPDK_LIBS) \
		-Wl,--start-group $(LWIP_LIB) $(MBEDTLS_LIB) -Wl,--end-group $(SYS_LIBS)

-include $(GW_OBJS:.o=.d)

# ---- the appliance image --------------------------------------------------------------
# PID 1 (static, no DPDK) and the host-side store tool share platform/store/.
STORE_SRCS := platform/store/mg_store.c platform/store/mg_bundle.c
INIT_SRCS  := $(wildcard platform/init/*.c) platform/shell/mg_shell.c $(STORE_SRCS)
INIT       := $(BUILD)/meshgate-init
MGSTORE    := $(BUILD)/mgstore
IMAGE_DIR  := $(BUILD_ROOT)/image
IMAGE      := $(IMAGE_DIR)/meshgate.raw

$(BUILD)/obj/platform/init/init.o: $(BUILD)/version.stamp

$(INIT): $(INIT_SRCS:%.c=$(BUILD)/obj/%.o)
	@echo "  LD    $@"
	$(Q)$(CC) -static -o $@ $^

# The config shell for a gateway run as a process, on a UNIX socket (platform/shell/).
MGSHELL := $(BUILD)/meshgate-shell
$(MGSHELL): $(BUILD)/obj/platform/shell/mg_shell_sock.o $(BUILD)/obj/platform/shell/mg_shell.o
	@echo "  LD    $@"
	$(Q)$(CC) -o $@ $^

$(MGSTORE): $(BUILD)/obj/platform/store/tool/mgstore.o $(STORE_SRCS:%.c=$(BUILD)/obj/%.o)
	@echo "  LD    $@"
	$(Q)$(CC) -o $@ $^

-include $(INIT_SRCS:%.c=$(BUILD)/obj/%.d) $(BUILD)/obj/platform/store/tool/mgstore.d

image: $(IMAGE)

# The image's knobs (kernel package, kernel command line): a change rebuilds it.
$(IMAGE_DIR)/knobs.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MG_KERNEL_PKG)|$(MG_CMDLINE)|$(MG_IGB_UIO)' | cmp -s - $@ || \
		echo '$(MG_KERNEL_PKG)|$(MG_CMDLINE)|$(MG_IGB_UIO)' > $@

$(IMAGE): $(DEPS_STAMP) $(GATEWAY) $(INIT) $(MGSTORE) images/mkimage.sh images/mkcpio.py \
	  images/default/meshgate.json $(IMAGE_DIR)/knobs.stamp
	$(Q)images/mkimage.sh $(IMAGE_DIR) $(GATEWAY) $(INIT)

run-vm: $(IMAGE)
	$(Q)images/run-vm.sh $(IMAGE_DIR)

test-image: $(IMAGE) $(MGSTORE)
	$(Q)/usr/bin/python3 tests/image/test_image.py --image-dir $(IMAGE_DIR) --mgstore $(MGSTORE) \
		--gateway $(GATEWAY) --init $(INIT) $(IMAGE_ARGS)

# ---- running ---------------------------------------------------------------------
run: $(GATEWAY)
	$(Q)tools/run-demo.sh $(GATEWAY)

# ---- tests -------------------------------------------------------------------------
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

# Unit tests: one binary, linked dynamically, from tests/unit/*.c plus the
# gateway sources they exercise (UNIT_DEPS_SRCS, from tests/unit/unit.mk)
# and libraries (UNIT_LIBS, e.g. $(MBEDTLS_LIB)).
UNIT_BIN  := $(BUILD)/tests/unit
UNIT_OBJS := $(sort $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(UNIT_DEPS_SRCS:%.c=$(BUILD)/obj/%.o))

$(UNIT_BIN): $(UNIT_OBJS) $(UNIT_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(SAN_LDFLAGS) -o $@ $(UNIT_OBJS) $(UNIT_LIBS) $(UNIT_SYS_LIBS)

-include $(UNIT_OBJS:.o=.d)

test-unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)
include tests/routing/routing.mk
include tests/e2e/e2e.mk
include tools/bench/bench.mk

# Tests of the tooling itself (tests/tools/*.sh), each printing PASS/FAIL;
# appmesh_import.sh checks its output with the gateway.
test-tools: $(DEPS_STAMP) $(GATEWAY) $(MGSHELL)
	$(Q)fail=0; for t in tests/tools/*.sh; do $$t || fail=1; done; exit $$fail

test: $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory format-check && echo "PASS format-check"
	$(Q)$(MAKE) --no-print-directory test-unit
	$(Q)$(MAKE) --no-print-directory test-tools
	$(Q)$(MAKE) --no-print-directory test-fuzz
	$(Q)$(MAKE) --no-print-directory test-routing
	$(Q)$(MAKE) --no-print-directory test-e2e
ifeq ($(SANITIZE),)
	$(Q)$(MAKE) --no-print-directory test-image
else
	@echo "SKIP image: the image holds the static release build; run make test-image without SANITIZE"
endif

# ---- housekeeping -------------------------------------------------------------------
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf $(IMAGE_DIR)/meshgate.* $(IMAGE_DIR)/initramfs* $(IMAGE_DIR)/esp.img $(BUILD_ROOT)/meshgate-init \
		$(BUILD_ROOT)/mgstore $(BUILD_ROOT)/mg-image-test-*
	rm -rf $(BUILD_ROOT)/obj $(BUILD_ROOT)/gateway $(BUILD_ROOT)/lwip $(BUILD_ROOT)/mbedtls \
		$(BUILD_ROOT)/tests $(BUILD_ROOT)/fuzz $(BUILD_ROOT)/san-*

distclean:
	rm -rf $(BUILD_ROOT)

help:
	@echo "make [all]        build $(GATEWAY)"
	@echo "make run          run the gateway on the embedded demo config (root; network namespace)"
	@echo "make test         unit tests, fuzz smoke runs, end-to-end tests (root)"
	@echo "make test-unit    unit tests only"
	@echo "make test-tools   tests of the tooling (tests/tools/*.sh)"
	@echo "make test-fuzz    each fuzz target for FUZZ_SECONDS (default $(FUZZ_SECONDS)) seconds"
	@echo "make fuzz         one fuzz target (FUZZ=name) for FUZZ_SECONDS, keeping its corpus"
	@echo "make test-routing routing conformance cases through gateway route-test (ROUTING_ARGS='-k name')"
	@echo "make test-e2e     end-to-end tests (E2E_ARGS='-k name' to select)"
	@echo "make bench       Meshgate vs HAProxy 2.6 side by side (BENCH_QUICK=1: short) into docs/perf/"
	@echo "make image        the appliance disk image: $(IMAGE_DIR)/meshgate.raw and .qcow2"
	@echo "make run-vm       boot the image in QEMU, serial console here (root)"
	@echo "make test-image   boot the image in QEMU: HTTPS through it, user-data, power cuts (root)"
	@echo "make deps         install/fetch dependencies (runs by itself when needed)"
	@echo "make format       clang-format the tree"
	@echo "make clean | distclean"
	@echo "Variables: SANITIZE=address,undefined  V=1  FUZZ_SECONDS=N"
