# mbedTLS 3.6, compiled from the Debian source package that tools/deps.sh
# unpacked under $(DEPS)/mbedtls, with our configuration
# (platform/mbedtls/mg_mbedtls_config.h), into $(BUILD)/mbedtls.
# The source tree is left untouched (out-of-tree objects).
# Included by the top-level Makefile.

MBEDTLS_DIR    := $(DEPS)/mbedtls
MBEDTLS_CONFIG := platform/mbedtls/mg_mbedtls_config.h
# Everest's header is included by mbedtls/ssl.h when X25519 via Everest is on,
# so every user of mbedTLS needs its include directory, not just the library.
MBEDTLS_INC    := -Iplatform/mbedtls -I$(MBEDTLS_DIR)/include -I$(MBEDTLS_DIR)/3rdparty/everest/include \
		  -DMBEDTLS_CONFIG_FILE='"mg_mbedtls_config.h"'
MBEDTLS_PRIV_INC := -I$(MBEDTLS_DIR)/library -I$(MBEDTLS_DIR)/3rdparty/everest/include \
		  -I$(MBEDTLS_DIR)/3rdparty/everest/include/everest \
		  -I$(MBEDTLS_DIR)/3rdparty/everest/include/everest/kremlib
# -O3: about 10% faster bignum and GCM code than -O2 (docs/PERFORMANCE.md).
# AES-NI and PCLMUL are enabled for code generation; mbedTLS still checks
# CPUID at run time before using them.
MBEDTLS_CFLAGS := -std=gnu11 -O3 -g -ffile-prefix-map=$(CURDIR)/= $(ARCH_CFLAGS) -maes -mpclmul -msse2 -D_FILE_OFFSET_BITS=64 \
		  $(MBEDTLS_INC) $(MBEDTLS_PRIV_INC)
MBEDTLS_SRCS    = $(wildcard $(MBEDTLS_DIR)/library/*.c) \
		  $(MBEDTLS_DIR)/3rdparty/everest/library/everest.c \
		  $(MBEDTLS_DIR)/3rdparty/everest/library/x25519.c \
		  $(MBEDTLS_DIR)/3rdparty/everest/library/Hacl_Curve25519_joined.c
MBEDTLS_OBJS    = $(patsubst $(MBEDTLS_DIR)/%.c,$(BUILD)/mbedtls/%.o,$(MBEDTLS_SRCS))
# Our own code inside the library: the P-256 signer that ecdsa.c calls (patch 0003), the
# SHA-NI compression function sha256.c includes (patch 0004), the X25519 public-key
# computation psa_crypto_ecp.c calls (patch 0001), and the AES-NI/PCLMULQDQ GCM bulk code
# gcm.c calls (patch 0007).
MBEDTLS_MG_SRCS := platform/mbedtls/mg_p256.c platform/mbedtls/mg_x25519.c platform/mbedtls/mg_gcm_x86.c
MBEDTLS_MG_HDRS := platform/mbedtls/mg_p256.h platform/mbedtls/mg_sha256_x86.h \
		   platform/mbedtls/mg_x25519.h platform/mbedtls/mg_gcm_x86.h
MBEDTLS_OBJS   += $(MBEDTLS_MG_SRCS:platform/mbedtls/%.c=$(BUILD)/mbedtls/mg/%.o)
MBEDTLS_LIB    := $(BUILD)/mbedtls/libmbedtls-all.a

$(BUILD)/mbedtls/%.o: $(MBEDTLS_DIR)/%.c $(MBEDTLS_CONFIG) $(DEPS_STAMP) platform/mbedtls/mbedtls.mk $(MBEDTLS_MG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(MBEDTLS_CFLAGS) $(SAN_CFLAGS) -c $< -o $@

$(BUILD)/mbedtls/mg/%.o: platform/mbedtls/%.c $(MBEDTLS_MG_HDRS) $(MBEDTLS_CONFIG) $(DEPS_STAMP) platform/mbedtls/mbedtls.mk
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(MBEDTLS_CFLAGS) -Wall -Wextra $(SAN_CFLAGS) -c $< -o $@

$(MBEDTLS_LIB): $(DEPS_STAMP) $(MBEDTLS_CONFIG) $(MBEDTLS_MG_SRCS) $(MBEDTLS_MG_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(MAKE) --no-print-directory $(MBEDTLS_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $(MBEDTLS_OBJS)
