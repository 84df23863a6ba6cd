/*
 * Several shared-nothing workers: one process per worker (docs/PERFORMANCE.md, "Multi-core").
 *
 * With appliance.dataplane.workers (or --workers) N > 1, the gateway's first process parses
 * the configuration and then, before EAL starts (DPDK forbids fork() after rte_eal_init()),
 * forks N worker processes and stays as their supervisor: it forwards SIGHUP, SIGINT and
 * SIGTERM to every worker, and when one worker exits by itself it stops the others and exits
 * with a failure status.  Each worker is a complete gateway with its own EAL instance
 * (--no-shconf or --in-memory, so nothing is shared through files), its own lwIP, mbuf pool,
 * connection and TLS pools, pinned to its own CPU.  They share the configuration read-only
 * (the parsed copy inherited at fork; each reload reads the same file) and a small
 * shared-memory block made before the fork: a readiness flag, worker 0's MAC addresses, and
 * each worker's last published /metrics and /stats snapshot, which the worker answering an
 * admin request sums with its own.
 *
 * With hugepages (and a port a DPDK secondary process can attach to: net_tap, or a PCI
 * device), mg_workers_set_mproc() makes the workers DPDK processes instead: worker 0 is the
 * primary (it configures every port with one queue pair per worker, RSS where the PMD has it,
 * one mempool per queue) and serves queue 0; workers 1..N-1 are secondaries with the same
 * --file-prefix (mg_workers_prefix()), each on its own queue pair and lcore, and everything
 * else (lwIP, connection and TLS pools) their own as before.  The supervisor stops the
 * secondaries before the primary and removes EAL's files (hugepage files, runtime directory)
 * once every worker has exited.
 *
 * Steering: with net_tap, every worker attaches one queue of the same multi-queue TAP
 * interface (IFF_MULTI_QUEUE) with worker 0's MAC address.  The kernel spreads flows over the
 * queues by a symmetric flow hash and sends a flow's packets to the queue that last wrote
 * packets of that flow, so connections a worker opens to upstreams come back to it.  Other
 * PMDs need the DPDK primary/secondary design (not built; see the doc).
 *
 * With N = 1 none of this runs: the gateway is one process as before.
 */
#ifndef MG_WORKERS_H
#define MG_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_worker;

/*
 * mg_workers_spawn() forks <n> workers, one after the other (each once the previous one is
 * ready, so that the first creates the TAP interfaces the others attach to).  Returns 1 in
 * each worker (with *<index> set), or 0 in the supervisor once every worker has exited (with
 * the gateway's exit status in *<status>), or a negative errno if nothing could start.
 */
int mg_workers_spawn(unsigned int n, unsigned int *index, int *status);

/*
 * mg_workers_set_mproc() (before mg_workers_spawn()) selects DPDK primary + secondaries;
 * mg_workers_mproc() tells whether they are, mg_workers_prefix() is their --file-prefix.
 */
void mg_workers_set_mproc(bool on);
bool mg_workers_mproc(void);
const char *mg_workers_prefix(void);

/* The number of workers (1 without mg_workers_spawn()) and this worker's index. */
unsigned int mg_workers_count(void);
unsigned int mg_workers_index(void);

/*
 * mg_workers_ready() tells the supervisor that this worker's data path is up and records its
 * ports' MAC addresses (worker 0's are the ones every worker uses).  mg_workers_mac0() gives
 * worker 0's MAC of interface <i>: false if worker 0 has not published one.
 */
void mg_workers_ready(const uint8_t (*macs)[6], int n_ifaces);
bool mg_workers_mac0(int i, uint8_t mac[6]);

/* mg_workers_link_flag() is the shared byte for interface <i>'s link state (DPDK processes:
 * worker 0 writes it, the others read it; struct mg_port.link_shared). */
volatile uint8_t *mg_workers_link_flag(int i);

/* mg_workers_unready() is NULL once every worker is ready, else which one is not. */
const char *mg_workers_unready(void);

/* mg_workers_request_reload() asks the supervisor to forward a SIGHUP to every worker. */
void mg_workers_request_reload(void);

/* mg_workers_publish() stores this worker's /metrics and /stats snapshots (from the loop). */
void mg_workers_publish(const struct mg_worker *w);

/*
 * mg_workers_metrics() and mg_workers_stats() render this worker's /metrics or /stats and sum
 * them with the other workers' last snapshots (at most MG_WORKERS_PUBLISH_MS old).  Return
 * the length written into <buf>, or a negative errno.
 */
#define MG_WORKERS_PUBLISH_MS 250
int mg_workers_metrics(const struct mg_worker *w, char *buf, size_t cap);
int mg_workers_stats(const struct mg_worker *w, char *buf, size_t cap);

#endif /* MG_WORKERS_H */
