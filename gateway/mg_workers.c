/*
 * Worker processes and their shared counters.  See mg_workers.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/admin/mg_stats.h"
#include "gateway/config/config.h"
#include "gateway/core/mg_log.h"
#include "gateway/mg_worker.h"
#include "gateway/mg_workers.h"
#include "gateway/obs/mg_merge.h"
#include "gateway/obs/mg_metrics.h"

#define SLOT_METRICS_MAX (4u << 20)
#define SLOT_STATS_MAX   (64u << 10)
/* A worker must be ready (ports up, listeners open) within this time of being forked. */
#define READY_TIMEOUT_S 60

struct slot {
	volatile uint32_t ready;
	volatile uint32_t seq; /* odd while a snapshot is being written */
	uint32_t metrics_len, stats_len;
	uint8_t macs[MG_CFG_MAX_IFACES][6];
	int n_macs;
	char stats[SLOT_STATS_MAX];
	char metrics[SLOT_METRICS_MAX];
};

struct shm {
	unsigned int n;
	uint8_t link_up[MG_CFG_MAX_IFACES];
	struct slot slots[];
};

static struct shm *shm;
static unsigned int my_index;
static bool mproc;
static char prefix[32];

void
mg_workers_set_mproc(bool on)
{
	mproc = on;
	snprintf(prefix, sizeof(prefix), "mg%d", (int)getpid());
}

bool
mg_workers_mproc(void)
{
	return mproc && shm != NULL;
}

const char *
mg_workers_prefix(void)
{
	return prefix;
}

unsigned int
mg_workers_count(void)
{
	return shm != NULL ? shm->n : 1;
}

unsigned int
mg_workers_index(void)
{
	return my_index;
}

/* ---- the supervisor ------------------------------------------------------------------- */

static void
signal_all(const pid_t *pids, unsigned int n, int sig)
{
	unsigned int k;

	for (k = 0; k < n; k++)
		if (pids[k] > 0)
			kill(pids[k], sig);
}

/* Reaps exited workers; returns how many are still running.  *<failed> is set when one exited
 * with a failure status (or by a signal other than the ones the supervisor sent). */
static unsigned int
reap_from(unsigned int first, pid_t *pids, unsigned int n, bool stopping, bool *failed, int *status)
{
	unsigned int k, running = 0;

	for (k = 0; k < n; k++) {
		int st;

		if (k < first || pids[k] <= 0)
			continue;
		if (waitpid(pids[k], &st, WNOHANG) == pids[k]) {
			bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

			if (!stopping || !ok) {
				mg_err("worker %u (pid %d) exited with %s %d", k, (int)pids[k],
				       WIFEXITED(st) ? "status" : "signal",
				       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				if (!ok || !stopping) {
					*failed = true;
					*status = WIFEXITED(st) && WEXITSTATUS(st) != 0
					              ? WEXITSTATUS(st)
					              : 1;
				}
			}
			pids[k] = 0;
		} else {
			running++;
		}
	}
	return running;
}

static unsigned int
reap(pid_t *pids, unsigned int n, bool stopping, bool *failed, int *status)
{
	return reap_from(0, pids, n, stopping, failed, status);
}

/*
 * Stops the workers.  DPDK processes: the secondaries first (up to 5 s), so that none polls a
 * queue of a port the primary is closing, then the primary.
 */
static void
stop_workers(pid_t *pids, unsigned int n, bool *failed, int *status)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	int i;

	if (!mproc || n < 2) {
		signal_all(pids, n, SIGTERM);
		return;
	}
	signal_all(pids + 1, n - 1, SIGTERM);
	for (i = 0; i < 250 && reap_from(1, pids, n, true, failed, status) > 0; i++)
		nanosleep(&tick, NULL);
	signal_all(pids, 1, SIGTERM);
}

/* Removes <dir>'s entries named <prefix><suffix>... (all of them when <suffix> is NULL). */
static void
remove_entries(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t pl = strlen(prefix);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (suffix != NULL && (strncmp(e->d_name, prefix, pl) != 0 ||
		                       strncmp(e->d_name + pl, suffix, strlen(suffix)) != 0))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* EAL's files of the DPDK processes: the hugepage files (which hold the pages as long as they
 * exist) and the runtime directory. */
static void
mproc_cleanup(void)
{
	char dir[512];
	const char *run = getenv("XDG_RUNTIME_DIR");
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;

	while (f != NULL && (m = getmntent(f)) != NULL)
		if (strcmp(m->mnt_type, "hugetlbfs") == 0)
			remove_entries(m->mnt_dir, "map_");
	if (f != NULL)
		endmntent(f);
	if (getuid() == 0 || run == NULL)
		snprintf(dir, sizeof(dir), "%s/dpdk/%s", getuid() == 0 ? "/var/run" : "/tmp",
		         prefix);
	else
		snprintf(dir, sizeof(dir), "%s/dpdk/%s", run, prefix);
	remove_entries(dir, NULL);
	rmdir(dir);
}

int
mg_workers_spawn(unsigned int n, unsigned int *index, int *status)
{
	size_t size = sizeof(struct shm) + (size_t)n * sizeof(struct slot);
	pid_t pids[MG_CFG_MAX_WORKERS] = {0};
	sigset_t set, old;
	bool stopping = false, failed = false;
	unsigned int k, started = 0;
	pid_t parent = getpid();

	if (n < 2 || n > MG_CFG_MAX_WORKERS)
		return -EINVAL;
	shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
	           -1, 0);
	if (shm == MAP_FAILED) {
		shm = NULL;
		return -errno;
	}
	shm->n = n;
	*status = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);

	for (k = 0; k < n && !stopping; k++) {
		struct timespec t0, now;
		pid_t pid = fork();

		if (pid < 0) {
			mg_err("cannot fork worker %u: %s", k, strerror(errno));
			failed = true;
			*status = 1;
			break;
		}
		if (pid == 0) {
			/* The worker: dies with the supervisor. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(1);
			sigprocmask(SIG_SETMASK, &old, NULL);
			mg_log_set_worker((int)k);
			my_index = k;
			*index = k;
			return 1;
		}
		pids[k] = pid;
		started++;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* Wait for it to be ready before the next one attaches to its interfaces. */
		while (!shm->slots[k].ready) {
			struct timespec tick = {0, 20 * 1000 * 1000};
			int sig = sigtimedwait(&set, NULL, &tick);

			if (sig == SIGINT || sig == SIGTERM) {
				stopping = true;
				break;
			}
			if (sig == SIGCHLD && reap(pids, started, false, &failed, status) < started)
				break;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > READY_TIMEOUT_S) {
				mg_err("worker %u not ready within %d s", k, READY_TIMEOUT_S);
				failed = true;
				*status = 1;
				break;
			}
		}
		if (failed)
			break;
	}
	if (!failed && !stopping)
		mg_info("%u workers ready (pids %d..%d)", n, (int)pids[0], (int)pids[n - 1]);
	if (failed || stopping) {
		stopping = true;
		stop_workers(pids, n, &failed, status);
	}
	/* Supervise until every worker has exited. */
	while (reap(pids, n, stopping, &failed, status) > 0) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGHUP) {
			signal_all(pids, n, SIGHUP);
		} else if (sig == SIGINT || sig == SIGTERM) {
			/* Again while stopping: independent workers get it again, as they always
			 * did; DPDK processes keep their order (secondaries first). */
			if (!stopping || !mproc)
				stop_workers(pids, n, &failed, status);
			stopping = true;
		} else if (sig == SIGCHLD && !stopping) {
			reap(pids, n, stopping, &failed, status);
		}
		if (failed && !stopping) {
			mg_err("a worker failed; stopping the others");
			stopping = true;
			stop_workers(pids, n, &failed, status);
		}
	}
	if (mproc)
		mproc_cleanup();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void
mg_workers_request_reload(void)
{
	kill(getppid(), SIGHUP);
}

/* ---- readiness and addresses ---------------------------------------------------------- */

void
mg_workers_ready(const uint8_t (*macs)[6], int n_ifaces)
{
	struct slot *s;

	if (shm == NULL)
		return;
	s = &shm->slots[my_index];
	if (n_ifaces > MG_CFG_MAX_IFACES)
		n_ifaces = MG_CFG_MAX_IFACES;
	memcpy(s->macs, macs, (size_t)n_ifaces * 6);
	s->n_macs = n_ifaces;
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
}

volatile uint8_t *
mg_workers_link_flag(int i)
{
	if (shm == NULL || i < 0 || i >= MG_CFG_MAX_IFACES)
		return NULL;
	return &shm->link_up[i];
}

const char *
mg_workers_unready(void)
{
	static char why[64];
	unsigned int k;

	for (k = 0; shm != NULL && k < shm->n; k++)
		if (!__atomic_load_n(&shm->slots[k].ready, __ATOMIC_ACQUIRE)) {
			snprintf(why, sizeof(why), "worker %u of %u starting", k, shm->n);
			return why;
		}
	return NULL;
}

bool
mg_workers_mac0(int i, uint8_t mac[6])
{
	if (shm == NULL || !__atomic_load_n(&shm->slots[0].ready, __ATOMIC_ACQUIRE) || i < 0 ||
	    i >= shm->slots[0].n_macs)
		return false;
	memcpy(mac, shm->slots[0].macs[i], 6);
	return true;
}

/* ---- snapshots ------------------------------------------------------------------------ */

void
mg_workers_publish(const struct mg_worker *w)
{
	struct slot *s;
	int m, st;

	if (shm == NULL)
		return;
	s = &shm->slots[my_index];
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m = mg_metrics_render(w, s->metrics, sizeof(s->metrics));
	st = mg_stats_json(w, s->stats, sizeof(s->stats));
	s->metrics_len = m > 0 ? (uint32_t)m : 0;
	s->stats_len = st > 0 ? (uint32_t)st : 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

/* Copies worker <k>'s snapshot (metrics or stats) into a malloc'd buffer; NULL if none. */
static char *
snapshot(unsigned int k, bool metrics, size_t *len)
{
	const struct slot *s = &shm->slots[k];
	int tries;

	for (tries = 0; tries < 100; tries++) {
		uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		size_t n = metrics ? s->metrics_len : s->stats_len;
		char *b;

		if (seq & 1) {
			usleep(100);
			continue;
		}
		if (n == 0 || n > (metrics ? SLOT_METRICS_MAX : SLOT_STATS_MAX))
			return NULL;
		b = malloc(n + 1);
		if (b == NULL)
			return NULL;
		memcpy(b, metrics ? s->metrics : s->stats, n);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == seq) {
			b[n] = '\0';
			*len = n;
			return b;
		}
		free(b);
	}
	return NULL;
}

/* Families whose samples are the same in every worker: the largest, not the sum. */
static const char *const max_families[] = {
    "build_info",
    "config_generation",
    "uptime_seconds",
    "worker_tsc_hz",
    "port_link_up",
    "upstream_endpoints",
    NULL,
};
static const char *const keep_keys[] = {"generation", "tsc_hz", "uptime_ms", "index", NULL};
static const char *const keep_top[] = {"worker", NULL};

/* Gathers the other workers' snapshots; returns how many. */
static int
gather(bool metrics, char **texts, size_t *lens)
{
	unsigned int k;
	int n = 0;

	for (k = 0; k < shm->n; k++) {
		if (k == my_index)
			continue;
		texts[n] = snapshot(k, metrics, &lens[n]);
		if (texts[n] != NULL)
			n++;
	}
	return n;
}

int
mg_workers_metrics(const struct mg_worker *w, char *buf, size_t cap)
{
	char *texts[MG_CFG_MAX_WORKERS];
	size_t lens[MG_CFG_MAX_WORKERS];
	char *own;
	int n, len, rc, i;

	if (shm == NULL)
		return mg_metrics_render(w, buf, cap);
	own = malloc(cap);
	if (own == NULL)
		return -ENOMEM;
	len = mg_metrics_render(w, own, cap);
	if (len < 0) {
		free(own);
		return len;
	}
	n = gather(true, texts, lens);
	rc = mg_metrics_merge(own, (size_t)len, (const char *const *)texts, lens, n, max_families,
	                      buf, cap);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(own);
	return rc;
}

/* The "worker":{...} object of a /stats text, which has no nested object. */
static bool
worker_object(const char *t, size_t len, const char **p, size_t *n)
{
	const char *key = "\"worker\":{";
	const char *s = NULL, *q = t, *e;

	while ((q = memmem(q, len - (size_t)(q - t), key, strlen(key))) != NULL) {
		s = q;
		q += strlen(key);
	}
	if (s == NULL)
		return false;
	s += strlen(key) - 1;
	e = memchr(s, '}', len - (size_t)(s - t));
	if (e == NULL)
		return false;
	*p = s;
	*n = (size_t)(e - s) + 1;
	return true;
}

int
mg_workers_stats(const struct mg_worker *w, char *buf, size_t cap)
{
	char *texts[MG_CFG_MAX_WORKERS];
	size_t lens[MG_CFG_MAX_WORKERS];
	char *own;
	int n, len, rc, i;
	size_t out;

	if (shm == NULL)
		return mg_stats_json(w, buf, cap);
	own = malloc(cap);
	if (own == NULL)
		return -ENOMEM;
	len = mg_stats_json(w, own, cap);
	if (len < 0) {
		free(own);
		return len;
	}
	n = gather(false, texts, lens);
	rc = mg_stats_merge(own, (size_t)len, (const char *const *)texts, lens, n, keep_keys,
	                    keep_top, buf, cap);
	if (rc > 0) {
		/* Every worker's own "worker" object, in a "workers" array, before the last '}'. */
		const char *p;
		size_t pn;

		out = (size_t)rc;
		while (out > 0 && buf[out - 1] != '}')
			out--;
		if (out > 0) {
			char tail[SLOT_STATS_MAX / 4];
			size_t tl = 0;

			out--;
			tl += (size_t)snprintf(tail, sizeof(tail), ",\"workers\":[");
			for (i = -1; i < n; i++) {
				const char *t = i < 0 ? own : texts[i];
				size_t l = i < 0 ? (size_t)len : lens[i];

				if (worker_object(t, l, &p, &pn) && tl + pn + 2 < sizeof(tail)) {
					if (i >= 0)
						tail[tl++] = ',';
					memcpy(tail + tl, p, pn);
					tl += pn;
				}
			}
			tl += (size_t)snprintf(tail + tl, sizeof(tail) - tl, "]}\n");
			if (out + tl <= cap) {
				memcpy(buf + out, tail, tl);
				rc = (int)(out + tl);
			} else {
				rc = -ENOSPC;
			}
		}
	}
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(own);
	return rc;
}
