# Benchmarks (docs/PERFORMANCE.md).  Included by the top-level Makefile.
#
#   make bench            Meshgate and HAProxy 2.6 side by side; results into docs/perf/
#   make bench BENCH_QUICK=1   a short run (about 2 minutes) for iteration
#   make bench BENCH_ONLY=keepalive,handshake   some phases only
#   make bench BENCH_ONLY=idle100k   100,000 idle TLS connections on one worker, Meshgate only
#                         (about 5 minutes; not in the default run; docs/perf/idle100k.md)
#   BENCH_PORT=tap make bench   the gateway on a TAP port instead of af_packet on a veth pair
#   make bench-crypto     mbedTLS's own speed (programs/test/benchmark) with our configuration,
#                         and AES-GCM per record, mbedTLS's code against ours
BENCH_QUICK ?=
BENCH_ONLY  ?= keepalive,jwt,saturation,handshake,idle,workers
BENCH_OUT   ?= docs/perf
# Rounds: both proxies measured this many times (alternating which goes first); the table
# shows the median ratio and all of them.  One round for BENCH_QUICK.
BENCH_ROUNDS ?= $(if $(BENCH_QUICK),1,3)

.PHONY: bench bench-crypto
# The bench-only packages (HAProxy, gnuplot, ethtool, perf) are installed here when missing,
# as `make run` and `make test` install theirs (tools/deps.sh is quick when all are there).
bench: $(GATEWAY)
	$(Q)MG_DEPS_BENCH=1 tools/deps.sh $(BUILD_ROOT)
	$(Q)/usr/bin/python3 tools/bench/bench.py --gateway $(GATEWAY) --out $(BENCH_OUT) \
		--work $(BUILD_ROOT)/bench --only $(BENCH_ONLY) --rounds $(BENCH_ROUNDS) \
		$(if $(BENCH_QUICK),--quick)

BENCH_CRYPTO := $(BUILD)/bench/mbedtls-benchmark
$(BENCH_CRYPTO): $(MBEDTLS_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(MBEDTLS_CFLAGS) -I$(MBEDTLS_DIR)/tests/include -o $@ \
		$(MBEDTLS_DIR)/programs/test/benchmark.c $(MBEDTLS_LIB)

# Then AES-GCM per TLS record (1.3 KB and 16 KB, both directions): mbedTLS's own code against
# ours (platform/mbedtls/mg_gcm_x86.c), from the unit test that checks it is faster.
bench-crypto: $(BENCH_CRYPTO) $(UNIT_BIN)
	$(Q)taskset -c 1 $(BENCH_CRYPTO) ecdsa ecdh x25519 aes_gcm rsa
	$(Q)MG_GCM_REPORT=1 taskset -c 1 $(UNIT_BIN) gcm_x86_is_faster | grep 'ns/record'

# What JWT authentication costs per request (cached, uncached RS256 / ES256): docs/JWT.md.
.PHONY: bench-jwt
# First the verifier alone, in process (the unit test jwt_interop_timing: tokens from
# python3-jwt, best of many runs), then through the data plane (tools/bench/bench_jwt.py).
bench-jwt: $(GATEWAY) $(UNIT_BIN) jwt-fixtures
	$(Q)$(UNIT_BIN) -v jwt_interop_timing | grep 'jwt timing'
	$(Q)/usr/bin/python3 tools/bench/bench_jwt.py --gateway $(GATEWAY) --work $(BUILD_ROOT)/bench-jwt \
		$(if $(BENCH_QUICK),--quick)
