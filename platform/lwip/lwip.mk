# lwIP 2.2, compiled from the Debian source package that tools/deps.sh
# unpacked under $(DEPS)/lwip, with our lwipopts.h and arch/cc.h.
# Included by the top-level Makefile.

LWIP_DIR     := $(DEPS)/lwip
LWIP_SRCS     = $(wildcard $(LWIP_DIR)/src/core/*.c) $(wildcard $(LWIP_DIR)/src/core/ipv4/*.c) \
		$(LWIP_DIR)/src/netif/ethernet.c
LWIP_INC     := -Iplatform/lwip -I$(LWIP_DIR)/src/include
LWIP_CFLAGS  := -std=gnu11 -O2 -g -ffile-prefix-map=$(CURDIR)/= -fno-strict-aliasing -Wall -Wno-address $(ARCH_CFLAGS) $(LWIP_INC)
LWIP_LIB     := $(BUILD)/lwip/liblwip.a
LWIP_HDRS    := platform/lwip/lwipopts.h platform/lwip/arch/cc.h platform/lwip/mg_lwip_hooks.h

$(BUILD)/lwip/%.o: $(LWIP_DIR)/src/%.c $(LWIP_HDRS) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LWIP_CFLAGS) $(SAN_CFLAGS) -c $< -o $@

$(LWIP_LIB): $(DEPS_STAMP) $(LWIP_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(MAKE) --no-print-directory $(patsubst $(LWIP_DIR)/src/%.c,$(BUILD)/lwip/%.o,$(LWIP_SRCS))
	$(Q)rm -f $@ && $(AR) rcs $@ $(patsubst $(LWIP_DIR)/src/%.c,$(BUILD)/lwip/%.o,$(LWIP_SRCS))
