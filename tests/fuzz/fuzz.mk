# libFuzzer targets: tests/fuzz/fuzz_<name>.c, each with the gateway sources
# it needs in FUZZ_<name>_SRCS (libraries in FUZZ_<name>_LIBS), a seed corpus in tests/fuzz/corpus/<name>/
# and optionally a dictionary tests/fuzz/<name>.dict.
#
#   make test-fuzz            every target for FUZZ_SECONDS (smoke run, part of make test)
#   make fuzz FUZZ=<name>     one target for FUZZ_SECONDS, new inputs kept in build/fuzz/corpus-<name>
#
# Built with clang, -fsanitize=fuzzer,address,undefined.  The seed corpus in
# the repo is never written to; runs work on a copy under build/fuzz/.

FUZZ_SECONDS ?= 10
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-D_GNU_SOURCE -I.

FUZZ_config_SRCS     = gateway/config/json.c gateway/config/schema.c gateway/config/config.c gateway/config/vgw.c gateway/config/jwt.c \
		       gateway/config/mesh.c
FUZZ_config_LIBS     = -lpcre2-8
FUZZ_admin_http_SRCS = gateway/admin/mg_admin_http.c
# lwIP itself, compiled into the fuzzer with our options (instrumented).
FUZZ_frames_SRCS     = $(LWIP_SRCS) platform/lwip/mg_isn.c platform/lwip/mg_siphash.c
FUZZ_frames_CFLAGS   = $(LWIP_INC) -Wno-everything

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_NAMES:%=$(BUILD_ROOT)/fuzz/fuzz_%)

$(BUILD_ROOT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(DEPS_STAMP) $$(FUZZ_$$*_SRCS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_$*_CFLAGS) $< $(FUZZ_$*_SRCS) -o $@ $(FUZZ_$*_LIBS)


test-fuzz: $(FUZZ_BINS)
	$(Q)fail=0; for n in $(FUZZ_NAMES); do \
		tests/fuzz/run.sh $$n $(FUZZ_SECONDS) $(BUILD_ROOT)/fuzz || fail=1; done; exit $$fail

fuzz: $(BUILD_ROOT)/fuzz/fuzz_$(FUZZ)
	$(Q)tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(BUILD_ROOT)/fuzz
FUZZ_http_request_SRCS  = gateway/http/mg_h1.c gateway/http/mg_http_lex.c gateway/http/mg_http_util.c
FUZZ_http_response_SRCS = gateway/http/mg_h1.c gateway/http/mg_http_lex.c
FUZZ_http_chunked_SRCS  = gateway/http/mg_chunked.c gateway/http/mg_http_lex.c
FUZZ_dns_SRCS           = gateway/net/mg_dns_msg.c
FUZZ_route_SRCS         = gateway/route/mg_route.c gateway/route/mg_match.c gateway/http/mg_h1.c \
			  gateway/http/mg_http_lex.c gateway/http/mg_http_util.c gateway/config/json.c \
			  gateway/config/schema.c gateway/config/config.c gateway/config/vgw.c \
			  gateway/config/mesh.c gateway/config/jwt.c
FUZZ_route_LIBS         = -lpcre2-8
FUZZ_bundle_SRCS = platform/store/mg_bundle.c
FUZZ_store_SRCS  = platform/store/mg_store.c
FUZZ_init_net_SRCS = platform/init/net.c platform/init/ntp.c
# JWT (gateway/jwt): mbedTLS comes from the gateway's own build (uninstrumented).
JWT_FUZZ_SRCS        = gateway/jwt/mg_jwt.c gateway/jwt/mg_jwks.c gateway/jwt/mg_jwt_json.c \
		       gateway/jwt/mg_b64url.c gateway/route/mg_match.c
FUZZ_base64url_SRCS  = gateway/jwt/mg_b64url.c
FUZZ_jwks_SRCS       = $(JWT_FUZZ_SRCS)
FUZZ_jwks_CFLAGS     = $(MBEDTLS_INC)
FUZZ_jwks_LIBS       = $(MBEDTLS_LIB) -lpcre2-8
FUZZ_jwks_fetch_SRCS = gateway/jwt/mg_jwt_fetch.c gateway/jwt/mg_jwt_json.c gateway/http/mg_h1.c \
		       gateway/http/mg_http_lex.c gateway/http/mg_chunked.c
FUZZ_jwt_SRCS        = $(JWT_FUZZ_SRCS)
FUZZ_jwt_CFLAGS      = $(MBEDTLS_INC)
FUZZ_jwt_LIBS        = $(MBEDTLS_LIB) -lpcre2-8
$(BUILD_ROOT)/fuzz/fuzz_jwks $(BUILD_ROOT)/fuzz/fuzz_jwt: $(MBEDTLS_LIB)
FUZZ_jwt_request_SRCS   = $(JWT_FUZZ_SRCS) gateway/http/mg_h1.c gateway/http/mg_http_lex.c \
			  gateway/http/mg_http_util.c
FUZZ_jwt_request_CFLAGS = $(MBEDTLS_INC)
FUZZ_jwt_request_LIBS   = $(MBEDTLS_LIB) -lpcre2-8
$(BUILD_ROOT)/fuzz/fuzz_jwt_request: $(MBEDTLS_LIB)
# The access log (gateway/obs): format compiler and formatter, with the hooks that feed it.
FUZZ_alog_SRCS          = gateway/obs/mg_alog.c gateway/obs/mg_obs.c gateway/core/mg_pool.c \
			  gateway/http/mg_h1.c gateway/http/mg_http_lex.c gateway/http/mg_http_util.c
FUZZ_alog_CFLAGS        = $(DPDK_INC)
FUZZ_shell_SRCS = platform/shell/mg_shell.c
FUZZ_grpc_SRCS = gateway/h2/mg_grpc.c gateway/http/mg_http_util.c gateway/http/mg_http_lex.c gateway/http/mg_h1.c
# The HTTP/2 server (gateway/h2/mg_h2.c) over a virtual connection, with lwIP's timers and
# mg_conn (virtual connections) compiled in; nghttp2 from Debian (uninstrumented).
FUZZ_h2_SRCS   = gateway/h2/mg_h2.c gateway/h2/mg_h2_mem.c gateway/net/mg_conn.c gateway/net/mg_wheel.c \
		 gateway/core/mg_pool.c gateway/http/mg_h1.c gateway/http/mg_http_lex.c \
		 gateway/http/mg_http_util.c gateway/http/mg_chunked.c $(LWIP_SRCS) \
		 platform/lwip/mg_isn.c platform/lwip/mg_siphash.c
FUZZ_h2_CFLAGS = $(LWIP_INC) $(DPDK_INC) -Wno-tautological-constant-out-of-range-compare
FUZZ_h2_LIBS   = -lnghttp2
# The HTTP/2 client toward upstreams (gateway/h2/mg_h2c.c), the same way: its upstream
# connection is a virtual connection serving the input.
FUZZ_h2c_SRCS   = gateway/h2/mg_h2c.c gateway/h2/mg_h2_mem.c gateway/h2/mg_grpc.c gateway/net/mg_conn.c \
		  gateway/net/mg_wheel.c gateway/core/mg_pool.c \
		  gateway/http/mg_h1.c gateway/http/mg_http_lex.c gateway/http/mg_http_util.c \
		  gateway/http/mg_chunked.c $(LWIP_SRCS) platform/lwip/mg_isn.c \
		  platform/lwip/mg_siphash.c
FUZZ_h2c_CFLAGS = $(LWIP_INC) $(DPDK_INC) -Wno-tautological-constant-out-of-range-compare
FUZZ_h2c_LIBS   = -lnghttp2
# Our P-256 signer (platform/mbedtls/mg_p256.c, instrumented here) against mbedTLS's generic
# code from the gateway's library build (uninstrumented; its own copy of mg_p256.o is not
# linked since this one defines every symbol).
FUZZ_p256_SRCS   = platform/mbedtls/mg_p256.c
FUZZ_p256_CFLAGS = $(MBEDTLS_INC)
FUZZ_p256_LIBS   = $(MBEDTLS_LIB)
$(BUILD_ROOT)/fuzz/fuzz_p256: $(MBEDTLS_LIB)
# Our X25519 public keys (platform/mbedtls/mg_x25519.c, instrumented here) against Everest's
# ladder from the gateway's library build (uninstrumented; the library's own mg_x25519.o is not
# linked since this one defines every symbol).
FUZZ_x25519_base_SRCS = platform/mbedtls/mg_x25519.c
FUZZ_x25519_base_LIBS = $(MBEDTLS_LIB)
$(BUILD_ROOT)/fuzz/fuzz_x25519_base: $(MBEDTLS_LIB)
# Our AES-GCM bulk code (platform/mbedtls/mg_gcm_x86.c, instrumented here) against mbedTLS's
# own GCM code from the gateway's library build (uninstrumented; gcm.c there calls this copy,
# and the library's mg_gcm_x86.o is not linked since this one defines every symbol).
FUZZ_gcm_x86_SRCS   = platform/mbedtls/mg_gcm_x86.c
FUZZ_gcm_x86_CFLAGS = $(MBEDTLS_INC)
FUZZ_gcm_x86_LIBS   = $(MBEDTLS_LIB)
$(BUILD_ROOT)/fuzz/fuzz_gcm_x86: $(MBEDTLS_LIB)
