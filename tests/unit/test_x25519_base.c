/*
 * Our X25519 public-key code (platform/mbedtls/mg_x25519.c, hooked into mbedTLS's
 * psa_crypto_ecp.c by patch 0001): RFC 7748 section 6.1 vectors, bit-for-bit agreement with
 * Everest's Montgomery ladder, Hacl_Curve25519_crypto_scalarmult(pub, secret, 9), for random and
 * edge secrets, from several threads at once (the table built at the first use, in a fresh
 * process), constant time as Valgrind's memcheck sees it (the secret marked undefined: any
 * branch or memory index that depends on it is an error), and the speed (MG_X25519_REPORT=1
 * prints microseconds per public key, ours and Everest's).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/mbedtls/mg_x25519.h"
#include "tests/unit/mgtest.h"

#if __has_include(<valgrind/memcheck.h>) && !defined(__SANITIZE_ADDRESS__)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif

/* In the mbedTLS library (3rdparty/everest); its header needs Everest's private include paths. */
void Hacl_Curve25519_crypto_scalarmult(uint8_t *mypublic, uint8_t *secret, uint8_t *basepoint);

static void
everest_base(uint8_t pub[32], const uint8_t secret[32])
{
	uint8_t s[32], base[32] = {9};

	memcpy(s, secret, 32);
	Hacl_Curve25519_crypto_scalarmult(pub, s, base);
}

/* xorshift64*: reproducible failures */
static void
fill(uint64_t *st, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*st ^= *st >> 12;
		*st ^= *st << 25;
		*st ^= *st >> 27;
		out[i] = (uint8_t)((*st * 0x2545f4914f6cdd1dULL) >> 56);
	}
}

static bool
same_as_everest(const uint8_t secret[32])
{
	uint8_t ours[32], theirs[32];

	mg_x25519_base(ours, secret);
	everest_base(theirs, secret);
	return MG_EXPECT_MEM(ours, theirs, 32);
}

MG_TEST(x25519_base_rfc7748_vectors)
{
	/* RFC 7748 section 6.1: the private keys as given (unclamped) and their public keys */
	static const uint8_t alice_priv[32] = {0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d,
	                                       0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
	                                       0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	                                       0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
	static const uint8_t alice_pub[32] = {0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54,
	                                      0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
	                                      0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	                                      0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
	static const uint8_t bob_priv[32] = {0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b,
	                                     0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
	                                     0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd,
	                                     0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb};
	static const uint8_t bob_pub[32] = {0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4,
	                                    0xd3, 0x5b, 0x61, 0xc2, 0xec, 0xe4, 0x35, 0x37,
	                                    0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	                                    0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};
	uint8_t pub[32], buf[32];

	mg_x25519_base(pub, alice_priv);
	MG_EXPECT_MEM(pub, alice_pub, 32);
	mg_x25519_base(pub, bob_priv);
	MG_EXPECT_MEM(pub, bob_pub, 32);
	/* in place */
	memcpy(buf, bob_priv, 32);
	mg_x25519_base(buf, buf);
	MG_EXPECT_MEM(buf, bob_pub, 32);
	/* 32 rows of 8 Niels points of 3 × 5 limbs and a padding limb */
	MG_EXPECT_EQ_UINT(mg_x25519_table_size(), 32 * 8 * 16 * 8);
}

MG_TEST(x25519_base_matches_everest_random)
{
	uint64_t st = 0x9e3779b97f4a7c15ULL;
	uint8_t secret[32];
	int i;

	for (i = 0; i < 5000; i++) {
		fill(&st, secret, 32);
		MG_CASE("random secret %d", i);
		if (!same_as_everest(secret))
			break;
	}
}

MG_TEST(x25519_base_matches_everest_edges)
{
	static const uint8_t bytes[] = {0x00, 0xff, 0x01, 0x80, 0x7f, 0xfe, 0x55, 0xaa,
	                                0x88, 0x77, 0x08, 0x0f, 0xf0, 0x78, 0x87, 0x10};
	uint8_t secret[32];
	size_t i, j;
	int bit;

	/* every byte the same, including all-zero and all-0xff (both clamp to valid scalars) */
	for (i = 0; i < sizeof(bytes); i++) {
		memset(secret, bytes[i], 32);
		MG_CASE("all bytes 0x%02x", bytes[i]);
		same_as_everest(secret);
	}
	/* a single bit set, and a single bit clear */
	for (bit = 0; bit < 256; bit++) {
		memset(secret, 0, 32);
		secret[bit / 8] = (uint8_t)(1u << (bit % 8));
		MG_CASE("bit %d alone", bit);
		same_as_everest(secret);
		memset(secret, 0xff, 32);
		secret[bit / 8] = (uint8_t) ~(1u << (bit % 8));
		MG_CASE("bit %d clear", bit);
		same_as_everest(secret);
	}
	/* the extreme radix-16 digits: every nibble 8 (all digits -8 after recoding, with carries
	 * through every position) or 7, and runs of 0xf that carry over many digits */
	for (i = 0; i < 32; i++) {
		for (j = 0; j < 32; j++)
			secret[j] = j < i ? 0xff : (j == i ? 0x88 : 0x00);
		MG_CASE("carry run %zu", i);
		same_as_everest(secret);
		for (j = 0; j < 32; j++)
			secret[j] = j < i ? 0x88 : 0x77;
		MG_CASE("8/7 split %zu", i);
		same_as_everest(secret);
	}
}

#define NTHREAD 4

static void *
thread_keys(void *arg)
{
	uint64_t st = 0x1234567ULL + (uintptr_t)arg;
	uint8_t secret[32], ours[32], theirs[32];
	int i;

	for (i = 0; i < 200; i++) {
		fill(&st, secret, 32);
		mg_x25519_base(ours, secret);
		everest_base(theirs, secret);
		if (memcmp(ours, theirs, 32) != 0)
			return (void *)1;
	}
	return NULL;
}

/* Four threads computing keys at once; run alone in a fresh process (the next test), their
 * first calls race to build the table. */
MG_TEST(x25519_base_threads)
{
	pthread_t th[NTHREAD];
	void *res;
	int i;

	for (i = 0; i < NTHREAD; i++)
		MG_ASSERT_EQ_INT(pthread_create(&th[i], NULL, thread_keys, (void *)(uintptr_t)i),
		                 0);
	for (i = 0; i < NTHREAD; i++) {
		MG_EXPECT_EQ_INT(pthread_join(th[i], &res), 0);
		MG_CASE("thread %d", i);
		MG_EXPECT(res == NULL);
	}
}

/* Runs <path> with <argv> in a child with its standard output on /dev/null (its summary line
 * must not look like ours; its status tells) and returns its wait status, or -1. */
static int
run_quiet(const char *path, char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 1);
		execv(path, argv);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* This runner again, in a new process, for x25519_base_threads only: a process in which no key
 * was computed yet (as a worker process started before any handshake). */
MG_TEST(x25519_base_first_use_in_a_fresh_process)
{
	char *argv[] = {(char *)"unit", (char *)"x25519_base_threads", NULL};
	int status = run_quiet("/proc/self/exe", argv);

	MG_ASSERT(status != -1);
	MG_CASE("rerun alone to see why: unit x25519_base_threads");
	MG_EXPECT(WIFEXITED(status));
	MG_EXPECT_EQ_INT(WEXITSTATUS(status), 0);
}

/* The secrets marked undefined for memcheck (no-ops outside Valgrind); the table is built
 * first, from public data.  Run under Valgrind by the next test. */
MG_TEST(x25519_base_ct_probe)
{
	uint64_t st = 99;
	uint8_t secret[32], ours[32], theirs[32];
	int i;

	mg_x25519_init();
	for (i = 0; i < 4; i++) {
		fill(&st, secret, 32);
		everest_base(theirs, secret);
#ifdef HAVE_MEMCHECK
		VALGRIND_MAKE_MEM_UNDEFINED(secret, sizeof(secret));
#endif
		mg_x25519_base(ours, secret);
#ifdef HAVE_MEMCHECK
		VALGRIND_MAKE_MEM_DEFINED(ours, sizeof(ours));
		VALGRIND_MAKE_MEM_DEFINED(secret, sizeof(secret));
#endif
		MG_EXPECT_MEM(ours, theirs, 32);
	}
}

/* x25519_base_ct_probe under `valgrind --error-exitcode=9`: memcheck reports a conditional jump,
 * a cmov or an address computed from the undefined secret.  Skipped, saying so, without
 * Valgrind or in an ASan build. */
MG_TEST(x25519_base_constant_time_valgrind)
{
#ifdef HAVE_MEMCHECK
	static const char vg[] = "/usr/bin/valgrind";
	char self[4096];
	char *argv[] = {(char *)vg,
	                (char *)"-q",
	                (char *)"--error-exitcode=9",
	                self,
	                (char *)"x25519_base_ct_probe",
	                NULL};
	ssize_t n;
	int status;

	if (RUNNING_ON_VALGRIND)
		return;
	if (access(vg, X_OK) != 0) {
		printf("x25519_base: SKIP constant-time check: no %s\n", vg);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	MG_ASSERT(n > 0);
	self[n] = '\0';
	status = run_quiet(vg, argv);
	MG_ASSERT(status != -1);
	MG_CASE("memcheck's report is on stderr");
	MG_EXPECT(WIFEXITED(status));
	MG_EXPECT_EQ_INT(WEXITSTATUS(status), 0);
#else
	printf("x25519_base: SKIP constant-time check: no valgrind/memcheck.h or an ASan build\n");
#endif
}

/* microseconds per public key over <iters> keys, of this process's CPU time (the machine is
 * shared) */
static double
us_per_key(void (*fn)(uint8_t *, const uint8_t *), int iters)
{
	struct timespec t0, t1;
	uint64_t st = 12345;
	uint8_t secret[32], pub[32];
	int i;

	fill(&st, secret, 32);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < iters; i++) {
		fn(pub, secret);
		secret[0] ^= pub[1]; /* a chain, so no call can be skipped */
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
	       iters;
}

/* MG_X25519_REPORT=1 prints the figures; the check is only that ours is faster (sanitizers, a
 * busy machine). */
MG_TEST(x25519_base_speed)
{
	double ours, everest;

	mg_x25519_init();
	ours = us_per_key(mg_x25519_base, 4000);
	everest = us_per_key(everest_base, 1000);
	if (getenv("MG_X25519_REPORT") != NULL)
		fprintf(stderr, "X25519 public key: %.1f us ours, %.1f us Everest ladder, %.2fx\n",
		        ours, everest, everest / ours);
	MG_EXPECT(ours > 0 && everest > 0);
	MG_EXPECT(ours < everest);
}
