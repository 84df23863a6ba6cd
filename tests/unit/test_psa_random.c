/*
 * PSA's random generator (mbedTLS patch 0006): no getpid() system call per output, and fork
 * protection kept: a child forked after the generator was seeded reseeds before its first
 * output, so it never repeats the parent's next bytes.
 *
 * getpid() is interposed here (the unit binary links mbedTLS statically, so its calls resolve
 * to this definition) to count the calls.
 */
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "psa/crypto.h"

#include "tests/tls/mg_tls_test.h"
#include "tests/unit/mgtest.h"

static unsigned long getpid_calls;

pid_t
getpid(void)
{
	getpid_calls++;
	return (pid_t)syscall(SYS_getpid);
}

MG_TEST(psa_random_outputs_make_no_getpid_call)
{
	uint8_t b[32];
	unsigned long before;

	MG_ASSERT(tls_test_setup());
	MG_ASSERT_EQ_INT(psa_generate_random(b, sizeof(b)), PSA_SUCCESS);
	before = getpid_calls;
	for (int i = 0; i < 1000; i++)
		MG_ASSERT_EQ_INT(psa_generate_random(b, sizeof(b)), PSA_SUCCESS);
	MG_EXPECT_EQ_UINT(getpid_calls - before, 0); /* 1000 before the patch */
}

MG_TEST(psa_random_child_reseeds_after_fork)
{
	uint8_t parent[32], child[32];
	int fd[2], status;
	pid_t pid;

	MG_ASSERT(tls_test_setup());
	MG_ASSERT_EQ_INT(psa_generate_random(parent, sizeof(parent)), PSA_SUCCESS);
	MG_ASSERT(pipe(fd) == 0);
	pid = fork();
	MG_ASSERT(pid >= 0);
	if (pid == 0) {
		ssize_t w = -1;

		if (psa_generate_random(child, sizeof(child)) == PSA_SUCCESS)
			w = write(fd[1], child, sizeof(child));
		_exit(w == (ssize_t)sizeof(child) ? 0 : 1);
	}
	close(fd[1]);
	MG_ASSERT_EQ_INT(psa_generate_random(parent, sizeof(parent)), PSA_SUCCESS);
	MG_ASSERT_EQ_INT((int)read(fd[0], child, sizeof(child)), (int)sizeof(child));
	close(fd[0]);
	MG_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Without the reseed the child's first output is the parent's next one. */
	MG_EXPECT(memcmp(parent, child, sizeof(parent)) != 0);
}
