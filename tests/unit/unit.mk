# Unit tests: included by the top-level Makefile, which builds every file in
# UNIT_SRCS and UNIT_DEPS_SRCS into the one build/tests/unit binary.
#
# UNIT_SRCS       the runner (main.c) and every tests/unit/test_*.c file.
# UNIT_DEPS_SRCS  the gateway sources the tests exercise; a new test file that
#                 needs more appends them here with +=.
# UNIT_LIBS       static libraries to link, e.g. $(MBEDTLS_LIB).
# UNIT_SYS_LIBS   system libraries to link (-lNAME), after UNIT_LIBS.

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_DEPS_SRCS := gateway/config/json.c gateway/config/schema.c gateway/config/config.c gateway/config/jwt.c
UNIT_DEPS_SRCS += platform/lwip/mg_siphash.c platform/lwip/mg_isn.c gateway/core/mg_pool.c \
		  gateway/admin/mg_admin_http.c
UNIT_LIBS :=
UNIT_DEPS_SRCS += gateway/http/mg_http_lex.c gateway/http/mg_h1.c gateway/http/mg_chunked.c gateway/http/mg_http_util.c
# TLS (gateway/tls) and the mbedTLS library under it.
UNIT_DEPS_SRCS += $(wildcard gateway/tls/*.c)
UNIT_LIBS += $(MBEDTLS_LIB)
UNIT_DEPS_SRCS += gateway/config/vgw.c gateway/config/mesh.c
UNIT_SYS_LIBS += -lpcre2-8
# Route matching (gateway/route).
UNIT_DEPS_SRCS += $(wildcard gateway/route/*.c)
UNIT_DEPS_SRCS += gateway/net/mg_dns_msg.c gateway/net/mg_wheel.c
UNIT_DEPS_SRCS += platform/store/mg_store.c platform/store/mg_bundle.c
# JWT verification (gateway/jwt).  test_jwt_interop.c reads tokens that python3-jwt and
# python3-jwcrypto mint at test time (tests/jwt/make-tokens.py, fresh keys each run).
UNIT_DEPS_SRCS += $(wildcard gateway/jwt/*.c)
.PHONY: jwt-fixtures
jwt-fixtures:
	$(Q)/usr/bin/python3 tests/jwt/make-tokens.py $(BUILD_ROOT)/jwt
test-unit: jwt-fixtures
# Observability (gateway/obs) and the admin's config dump.
UNIT_DEPS_SRCS += gateway/obs/mg_trace.c gateway/obs/mg_alog.c gateway/obs/mg_obs.c \
		  gateway/admin/mg_config_dump.c
# gRPC helpers (gateway/h2).
UNIT_DEPS_SRCS += gateway/h2/mg_grpc.c
# The appliance's SNTP client (platform/init/ntp.c; test_ntp.c stubs PID 1's logger).
UNIT_DEPS_SRCS += platform/init/ntp.c
# Summing the workers' /metrics and /stats (gateway/obs/mg_merge.c).
UNIT_DEPS_SRCS += gateway/obs/mg_merge.c
# Source-port steering for several workers (gateway/net/mg_steer.c).
UNIT_DEPS_SRCS += gateway/net/mg_steer.c
# lwIP itself, for the hashed PCB lookup of our patch 0004 (test_lwip_pcb_hash.c provides the
# platform functions mg_sys.c gives the gateway).
UNIT_LIBS += $(LWIP_LIB)
