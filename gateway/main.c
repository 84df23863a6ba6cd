/*
 * Meshgate: the gateway executable.
 *
 *   gateway --config FILE [--workers N] [-- EAL arguments]
 *   gateway --demo        [-- EAL arguments]
 *   gateway --check FILE
 *   gateway --help | --version
 *
 * Boot order: configuration (all errors reported at once, nothing started
 * on a bad file), EAL, ports, lwIP and its netifs, services, then the worker
 * loop on the main lcore until SIGINT or SIGTERM.  Exit status: 0 after a
 * clean stop, 1 when the data path cannot start, 2 for usage or
 * configuration errors.  --check validates offline (no EAL) and exits 0 with
 * a one-line summary, or 1 after printing every error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <mntent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_bus_pci.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "lwip/init.h"
#include "mbedtls/version.h"

#include "gateway/admin/mg_admin.h"
#include "gateway/admin/mg_stats.h"
#include "gateway/mg_control.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/obs/mg_syslog.h"
#include "gateway/config/config.h"
#include "gateway/core/mg_evlog.h"
#include "gateway/upstream/mg_hc.h"
#include "gateway/core/mg_log.h"
#include "gateway/demo/mg_demo.h"
#include "gateway/diag/mg_diag.h"
#include "gateway/mg_worker.h"
#include "gateway/mg_workers.h"
#include "gateway/net/mg_conn.h"
#include "gateway/net/mg_dns.h"
#include "gateway/net/mg_steer.h"
#include "gateway/h2/mg_h2.h"
#include "gateway/h2/mg_h2c.h"
#include "gateway/proxy/mg_proxy.h"
#include "gateway/route/mg_route.h"
#include "gateway/authn/mg_authn.h"
#include "gateway/jwt/mg_jwt_fetch.h"
#include "gateway/jwt/mg_jwt_cli.h"
#include "gateway/route/mg_route_cli.h"
#include "gateway/tls/mg_tls.h"
#include "gateway/upstream/mg_upool.h"
#include "platform/lwip/mg_lwip_port.h"
#include "platform/lwip/mg_netif.h"

#ifndef MG_VERSION
#define MG_VERSION "unknown"
#endif

/* TCP connections per worker: as many as lwIP has PCBs (MEMP_NUM_TCP_PCB).  The pools sized
 * by it touch memory only for objects in use (mg_pool.c); docs/PERFORMANCE.md "Connection
 * scale" has the budget at 100,000 idle TLS connections. */
#define MG_CONN_MAX 131072
/* Head-sized buffers for requests and responses being parsed (two per busy
 * session at most, none per idle one). */
#define MG_PROXY_BUFFERS 4096
/* HTTP/2 stream buffers (gateway/h2): a stream holds up to two while it moves bytes. */
#define MG_H2_BUFFERS 4096
/* HTTP/2 toward upstreams: streams and their MG_H2C_BUF buffers (two per stream at most). */
#define MG_H2C_STREAMS 4096
#define MG_H2C_BUFFERS 2048
/* Request sent -> response head: App Mesh's route timeout.perRequest default. */
#define MG_PROXY_RESPONSE_TIMEOUT_MS 15000
#define EAL_ARGS_MAX                 (16 + 2 * MG_CFG_MAX_IFACES)

static volatile sig_atomic_t stop_requested, reload_requested;
/* Set when the worker should run run_control(): a reload, or an access log flush. */
static volatile sig_atomic_t control_pending;
static const char *config_path_loaded; /* NULL with --demo */
static struct mg_config config;
static struct mg_worker worker;

static void tick_second(uint64_t now_s);

static void
usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: gateway --config FILE [--workers N] [-- EAL-ARGS...]\n"
	    "       gateway --demo [-- EAL-ARGS...]\n"
	    "       gateway --check FILE\n"
	    "       gateway route-test --config FILE [--json] METHOD URL [-H 'name: value']...\n"
	    "       gateway jwt-test --config FILE [--provider NAME] TOKEN\n"
	    "       gateway --help | --version\n"
	    "\n"
	    "  -c, --config FILE  run with the JSON configuration in FILE\n"
	    "      --demo         run with the embedded demo configuration\n"
	    "      --check FILE   validate FILE, print every error, and exit\n"
	    "      --workers N    run N worker processes (1 to 16; overrides\n"
	    "                     appliance.dataplane.workers)\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show versions\n"
	    "\n"
	    "Without EAL arguments the gateway runs on the first CPU it may use,\n"
	    "without shared files, without hugepages if none are free (-m 512), and\n"
	    "probes the devices the configuration names (vdevs and PCI addresses).\n"
	    "See docs/OPERATIONS.md.\n");
}

static void
version(void)
{
	printf("meshgate %s (%s, lwIP %s, %s)\n", MG_VERSION, rte_version(), LWIP_VERSION_STRING,
	       MBEDTLS_VERSION_STRING_FULL);
}

static void
on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
	control_pending = 1;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Free 2 MiB or 1 GiB hugepages, from /proc/meminfo; 0 if unknown. */
static long
hugepages_free(void)
{
	char line[128];
	long n = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static int
first_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				return i;
	return 0;
}

/* The <k>-th CPU this process may use (wrapping around): worker k's lcore. */
static int
worker_cpu(unsigned int k)
{
	cpu_set_t set;
	int i, n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) == 0)
		return (int)k;
	k %= (unsigned int)CPU_COUNT(&set);
	for (i = 0, n = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set) && (unsigned int)n++ == k)
			return i;
	return first_cpu();
}

static bool
hugetlbfs_mounted(void)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	bool found = false;

	while (f != NULL && !found && (m = getmntent(f)) != NULL)
		found = strcmp(m->mnt_type, "hugetlbfs") == 0;
	if (f != NULL)
		endmntent(f);
	return found;
}

/* The TAP PMD of DPDK 22.11 hands a secondary all its queues' descriptors in one IPC message
 * of at most RTE_MP_MAX_FD_NUM (8): 4 queue pairs. */
#define TAP_MPROC_MAX 4

/*
 * Several workers (gateway/mg_workers.h) run as DPDK processes, a primary and secondaries,
 * when hugepages are free and mounted (a secondary maps the primary's hugepage files) and
 * every interface is one a secondary can attach to: net_tap (up to TAP_MPROC_MAX workers) or
 * a PCI device.  Else, as independent processes, which can share only a multi-queue TAP.
 * Either way EAL's arguments are built here (one CPU per worker).
 */
static int
check_workers(unsigned int n, bool user_eal)
{
	bool mproc, tap_ok = true;
	struct rte_pci_addr pci;
	int i;

	if (n <= 1)
		return 0;
	if (user_eal) {
		mg_err(
		    "workers %u: EAL arguments cannot be given with several workers (each worker "
		    "gets its own CPU and EAL instance)",
		    n);
		return -EINVAL;
	}
	mproc = hugepages_free() > 0 && hugetlbfs_mounted();
	for (i = 0; i < config.appliance.n_ifaces; i++) {
		const char *dev = config.appliance.ifaces[i].device;

		if (strncmp(dev, "net_tap", 7) == 0) {
			if (n > TAP_MPROC_MAX)
				mproc = false;
			continue;
		}
		tap_ok = false;
		/* A PCI address, or none (the next port EAL finds: a PCI NIC bound to a UIO or
		 * VFIO driver; the appliance's data NICs). */
		if ((dev[0] == '\0' || rte_pci_addr_parse(dev, &pci) == 0) && mproc)
			continue;
		mg_err("workers %u: interface %s is not a net_tap device; several workers need "
		       "net_tap, or a PCI device with hugepages free and hugetlbfs mounted (DPDK "
		       "secondary processes; docs/PERFORMANCE.md, Multi-core)",
		       n, config.appliance.ifaces[i].name);
		return -EINVAL;
	}
	if (!mproc && !tap_ok)
		return -EINVAL;
	mg_workers_set_mproc(mproc);
	mg_info("workers %u: %s", n,
	        mproc ? "DPDK primary (worker 0) and secondary processes, one queue pair each"
	              : "independent processes, one queue each of a multi-queue TAP");
	return 0;
}

/*
 * Builds EAL's argv: the user's arguments verbatim when given, else the
 * defaults described in usage().  Strings live in static storage.
 */
static int
eal_args(int user_argc, char **user_argv, char *argv0, char **out)
{
	static char lcore[16], pfx[64], vdev[MG_CFG_MAX_IFACES][300];
	const bool mproc = mg_workers_mproc();
	const bool secondary = mproc && mg_workers_index() > 0;
	struct rte_pci_addr pci;
	int n = 0, i;
	bool any_pci = false, any_dev = false;

	out[n++] = argv0;
	if (user_argc > 0) {
		for (i = 0; i < user_argc && n < EAL_ARGS_MAX - 1; i++)
			out[n++] = user_argv[i];
		out[n] = NULL;
		return n;
	}
	if (mproc) {
		/* DPDK processes: distinct lcore ids (the mempools' per-lcore caches), one shared
		 * configuration under the supervisor's prefix; secondaries find the primary's
		 * vdevs through EAL's IPC. */
		snprintf(lcore, sizeof(lcore), "%u@%d", mg_workers_index(),
		         worker_cpu(mg_workers_index()));
		out[n++] = "--lcores";
	} else {
		snprintf(lcore, sizeof(lcore), "%d", worker_cpu(mg_workers_index()));
		out[n++] = "-l";
	}
	out[n++] = lcore;
	out[n++] = "--no-telemetry";
	out[n++] = "--log-level=notice";
	if (mproc) {
		snprintf(pfx, sizeof(pfx), "--file-prefix=%s", mg_workers_prefix());
		out[n++] = pfx;
		out[n++] = secondary ? "--proc-type=secondary" : "--proc-type=primary";
	} else if (hugepages_free() == 0) {
		/* Neither mode leaves shared files behind, so several gateways (tests)
		 * can run side by side.  --no-huge implies legacy memory, which
		 * --in-memory refuses; --no-shconf is its equivalent there. */
		out[n++] = "--no-huge";
		out[n++] = "--no-shconf";
		out[n++] = "-m";
		out[n++] = "512";
	} else {
		out[n++] = "--in-memory";
	}
	for (i = 0; i < config.appliance.n_ifaces; i++) {
		const char *dev = config.appliance.ifaces[i].device;
		uint8_t mac[6];

		if (dev[0] == '\0')
			continue;
		any_dev = true;
		if (rte_pci_addr_parse(dev, &pci) == 0) {
			any_pci = true;
			snprintf(vdev[i], sizeof(vdev[i]), "--allow=%s", dev);
		} else if (secondary) {
			continue; /* the primary's vdevs, found through EAL's IPC */
		} else {
			snprintf(vdev[i], sizeof(vdev[i]), "--vdev=%s", dev);
			/* Independent workers after the first attach to the TAP the first one
			 * made, with its MAC. */
			if (!mproc && mg_workers_index() > 0 && strstr(dev, "mac=") == NULL &&
			    mg_workers_mac0(i, mac))
				snprintf(vdev[i] + strlen(vdev[i]),
				         sizeof(vdev[i]) - strlen(vdev[i]),
				         ",mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
				         mac[2], mac[3], mac[4], mac[5]);
		}
		out[n++] = vdev[i];
	}
	if (any_dev && !any_pci)
		out[n++] = "--no-pci";
	out[n] = NULL;
	return n;
}

static int
load_config(const char *path, bool demo)
{
	struct mg_cfg_errors errs;
	int rc;

	memset(&errs, 0, sizeof(errs));
	if (demo)
		rc = mg_config_parse(&config, mg_demo_config, mg_demo_config_len, "<demo>", &errs);
	else
		rc = mg_config_load_file(&config, path, &errs);
	if (rc != 0)
		mg_cfg_errors_print(&errs, stderr);
	mg_cfg_errors_free(&errs);
	return rc;
}

static void run_control(void);
static void tick_second(uint64_t now_s);

/*
 * DPDK processes: ARP frames reach one queue, so the worker that receives one copies it to the
 * others over a ring per worker and interface (platform/lwip/mg_netif.h, mg_netif_share()).  The
 * primary makes the rings before any secondary starts.
 */
static int
share_rings(int i)
{
	struct rte_ring *rings[MG_CFG_MAX_WORKERS], *out[MG_CFG_MAX_WORKERS];
	unsigned int k, n = mg_workers_count(), me = mg_workers_index(), n_out = 0;

	for (k = 0; k < n; k++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "mg_share_i%d_w%u", i, k);
		rings[k] = me == 0 ? rte_ring_create(name, 256, rte_socket_id(), RING_F_SC_DEQ)
		                   : rte_ring_lookup(name);
		if (rings[k] == NULL) {
			mg_err("interface %s: ring %s: %s", config.appliance.ifaces[i].name, name,
			       rte_strerror(rte_errno));
			return -ENOMEM;
		}
		if (k != me)
			out[n_out++] = rings[k];
	}
	mg_netif_share(&worker.netifs[i], rings[me], out, n_out);
	return 0;
}

static int
start_data_path(void)
{
	const struct mg_cfg_appliance *ap = &config.appliance;
	bool have_default = false;
	int i, rc;

	worker.cfg = &config;
	worker.index = mg_workers_index();
	if (mg_workers_count() > 1) {
		worker.publish = mg_workers_publish;
		worker.publish_ms = MG_WORKERS_PUBLISH_MS;
	}
	worker.tick = tick_second;
	worker.control_flag = &control_pending;
	worker.control = run_control;
	worker.tsc_hz = rte_get_tsc_hz();
	mg_obs_init(worker.tsc_hz);
	rc = mg_lwip_port_init(worker.tsc_hz);
	if (rc != 0) {
		mg_err("lwIP port initialisation failed: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < ap->n_ifaces; i++) {
		const struct mg_cfg_iface *ifc = &ap->ifaces[i];
		struct mg_port_conf pc = {
		    .name = ifc->name,
		    .mtu = ifc->mtu,
		    .rx_desc = ap->dataplane.rx_desc,
		    .tx_desc = ap->dataplane.tx_desc,
		    .n_mbufs = ap->dataplane.mbufs,
		    .priv_size = MG_NETIF_MBUF_PRIV,
		    .n_queues = mg_workers_mproc() ? (uint16_t)mg_workers_count() : 1,
		    .queue = mg_workers_mproc() ? (uint16_t)mg_workers_index() : 0,
		    .secondary = mg_workers_mproc() && mg_workers_index() > 0,
		};
		uint16_t pid;
		bool is_default;

		rc = mg_port_lookup(ifc->device, (unsigned int)i, &pid);
		if (rc != 0) {
			mg_err("interface %s: no DPDK port for device '%s'", ifc->name,
			       ifc->device[0] != '\0' ? ifc->device : "(next found)");
			return rc;
		}
		rc = mg_port_init(&worker.ports[i], pid, &pc);
		if (rc != 0)
			return rc;
		if (mg_workers_mproc()) {
			worker.ports[i].link_shared = mg_workers_link_flag(i);
			mg_port_link_poll(&worker.ports[i]);
		}
		worker.n_ifaces = i + 1;
		is_default = !have_default && ifc->gateway != 0;
		have_default |= is_default;
		rc = mg_netif_add(&worker.netifs[i], &worker.ports[i], htonl(ifc->addr),
		                  htonl(ifc->netmask), htonl(ifc->gateway), ap->dataplane.burst,
		                  is_default || (i == 0 && !have_default));
		if (rc != 0) {
			mg_err("interface %s: cannot add it to lwIP", ifc->name);
			return rc;
		}
		if (mg_workers_mproc()) {
			rc = share_rings(i);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int
start_services(void)
{
	const struct mg_cfg_appliance *ap = &config.appliance;
	const struct mg_cfg_iface *aif = &ap->ifaces[ap->admin.iface];
	struct in_addr a = {.s_addr = htonl(aif->addr)};
	int rc;

	rc = mg_conn_init(MG_CONN_MAX);
	if (rc != 0) {
		mg_err("connection pool: %s", strerror(-rc));
		return rc;
	}
	if (mg_workers_count() > 1) {
		/* Each worker opens connections from its own share of the ephemeral ports: the
		 * workers share the interface addresses, and on net_tap the kernel returns a
		 * flow to the queue that wrote it (gateway/net/mg_steer.h). */
		static struct mg_steer steer;
		/* The interface upstreams are reached through: the one with the default gateway. */
		const struct mg_cfg_iface *up = &ap->ifaces[0];
		int j;

		mg_steer_init(&steer, mg_workers_count(), mg_workers_index(),
		              (uint32_t)rte_rdtsc());
		for (j = 0; j < ap->n_ifaces; j++)
			if (ap->ifaces[j].gateway != 0) {
				up = &ap->ifaces[j];
				break;
			}
		if (up - ap->ifaces < worker.n_ifaces && worker.ports[up - ap->ifaces].rss) {
			/* RSS (DPDK processes on a NIC): ports whose replies hash to this worker's
			 * queue, by the key and table read back from the port. */
			static uint16_t reta[512];
			uint8_t key[40];
			uint16_t rs;

			rc = mg_port_rss_get(&worker.ports[up - ap->ifaces], key, reta, 512, &rs);
			if (rc != 0) {
				mg_err("interface %s: cannot read RSS back: %s", up->name,
				       strerror(-rc));
				return rc;
			}
			mg_steer_set_rss(&steer, key, rs, htonl(up->addr));
			mg_steer_set_reta(&steer, reta, rs);
			mg_conn_set_source_ports(mg_steer_port, NULL, &steer);
			mg_dns_set_source_ports(mg_steer_port_ok, &steer);
			mg_info("upstream source ports: those whose replies RSS sends to queue %u "
			        "(interface %s, table of %u)",
			        mg_workers_index(), up->name, rs);
		} else {
			mg_conn_set_source_ports(mg_steer_port, mg_steer_tap_prime, &steer);
			mg_dns_set_source_ports(mg_steer_port_ok, &steer);
		}
	}
	rc = mg_admin_start(&worker, htonl(aif->addr), ap->admin.port);
	if (rc != 0) {
		mg_err("admin listener on %s:%u: %s", inet_ntoa(a), ap->admin.port, strerror(-rc));
		return rc;
	}
	if (ap->admin.token[0] != '\0') {
		mg_admin_set_token(ap->admin.token);
	} else if (ap->admin.token_file[0] != '\0') {
		/* The file's first line is the token (read once, at boot). */
		char tok[512] = "";
		FILE *f = fopen(ap->admin.token_file, "r");
		size_t n;

		if (f == NULL || fgets(tok, sizeof(tok), f) == NULL) {
			mg_err("appliance.admin.tokenFile %s: %s", ap->admin.token_file,
			       f == NULL ? strerror(errno) : "empty");
			if (f != NULL)
				fclose(f);
			return -EINVAL;
		}
		fclose(f);
		n = strcspn(tok, "\r\n");
		tok[n] = '\0';
		if (n < 16) {
			mg_err("appliance.admin.tokenFile %s: the token must have at least 16 "
			       "characters",
			       ap->admin.token_file);
			return -EINVAL;
		}
		mg_admin_set_token(tok);
		explicit_bzero(tok, sizeof(tok));
	}
	rc = mg_diag_start(0, ap->diag.echo_port, ap->diag.discard_port);
	if (rc != 0) {
		mg_err("diagnostic services: %s", strerror(-rc));
		return rc;
	}
	mg_info("admin listener on http://%s:%u/ (interface %s)", inet_ntoa(a), ap->admin.port,
	        aif->name);
	if (ap->diag.echo_port != 0 || ap->diag.discard_port != 0)
		mg_info("diagnostics: echo on port %u, discard on port %u (0 = off)",
		        ap->diag.echo_port, ap->diag.discard_port);
	return 0;
}

static struct mg_tls_server *listener_tls;
static struct mg_tls_client *upstream_tls;
static struct mg_tls_client *upstream_tls_h2; /* the same, offering ALPN h2 */
static bool tls_ready;

/*
 * Where requests go: the App Mesh routing table when the configuration has gateway routes,
 * else appliance.proxy.staticUpstream (every request to one upstream), else nowhere (404).
 */
static struct mg_route_table *routes;
static struct mg_endpoint *static_upstream;

static void
route_request(void *arg, const struct mg_h1_request *req, uint16_t port, bool https,
              struct mg_proxy_route *out)
{
	static char target[MG_ROUTE_PATH_BUF];
	struct mg_route_decision d;
	struct mg_authn_verdict av;
	struct mg_obs_route ob = {0};

	(void)arg;
	if (routes == NULL) {
		out->ep = static_upstream;
		out->detail = "no route: the configuration has no gatewayRoutes";
		ob.reason = static_upstream != NULL ? MG_ROUTE_OK : MG_ROUTE_NO_GATEWAY_ROUTE;
		mg_obs_note_route(&ob);
		return;
	}
	mg_route_decide_scheme(routes, req, port, https, target, sizeof(target), &d);
	/* For metrics and the access log: the names of the decision. */
	ob.reason = (int)d.reason;
	ob.gateway_route = d.gateway_route;
	ob.virtual_service = d.virtual_service;
	ob.route = d.route;
	if (d.chosen >= 0 && (unsigned int)d.chosen < d.n_targets)
		ob.virtual_node = d.targets[d.chosen].virtual_node;
	mg_obs_note_route(&ob);
	/* JWT requirements of the gateway route, before its upstream (as Envoy's filter chain). */
	mg_authn_check(d.gateway_route, req, &av);
	if (av.deny) {
		out->status = av.status;
		out->detail = av.detail;
		out->extra = av.extra;
		out->authn_denied = true;
		return;
	}
	out->authn = av.outcome;
	if (d.reason != MG_ROUTE_OK) {
		out->status = mg_route_reason_status(d.reason);
		out->detail = mg_route_reason_text(d.reason);
		return;
	}
	out->ep = d.ep;
	out->host = d.host;
	out->host_len = d.host_len;
	out->target = d.path;
	out->target_len = d.path_len;
	out->cluster = d.cluster;
	out->policy = d.policy;
}

/* Once a second from the worker loop: TLS reseeding and ticket-key rotation. */
static int gateway_reload(void);

static char reload_msg[512]; /* the last reload's outcome (defined with gateway_reload) */

static void
run_control(void)
{
	control_pending = 0;
	if (reload_requested) {
		int rc;

		reload_requested = 0;
		reload_msg[0] = '\0';
		rc = gateway_reload();
		/* A POST /reload waiting for this outcome gets it. */
		mg_admin_reload_done(rc, reload_msg[0] != '\0' ? reload_msg : "reload failed");
	}
	mg_alog_flush(); /* the access log ring filled past its threshold */
}

static void
tick_second(uint64_t now_s)
{
	mg_jwt_fetch_tick(now_s);
	mg_evlog_flush(stderr);
	mg_alog_flush();
	if (!tls_ready)
		return;
	mg_tls_tick(now_s);
	if (listener_tls != NULL)
		mg_tls_server_tick(listener_tls, now_s);
	mg_tls_release_idle();
}

/* Initialises the TLS layer the first time something needs it. */
static int
tls_init(void)
{
	/* 1 GiB: 100,000 idle TLS 1.3 connections whose record buffers are released (6.8 KB
	 * each, measured: docs/PERFORMANCE.md "Connection scale") plus ~12,000 connections in use
	 * or not yet released (~31 KB each, docs/TLS.md); 256 MiB stops near 8,000 busy ones. */
	struct mg_tls_global_conf g = {.max_conns = MG_CONN_MAX, .mem_cap = (size_t)1 << 30};
	char err[256] = "";
	int rc;

	if (tls_ready)
		return 0;
	rc = mg_tls_global_init(&g, err, sizeof(err));
	if (rc != 0) {
		mg_err("TLS: %s", err);
		return rc;
	}
	tls_ready = true;
	return 0;
}

/*
 * TLS origination to appliance.proxy.staticUpstream, per the virtual gateway's
 * backendDefaults.clientPolicy.tls: the trust chain and SANs that verify the upstream's
 * certificate, and the client certificate it may ask for.  Files are read here, at boot.
 */
static int
start_upstream_tls(void)
{
	static const char *const alpn_http11[] = {"http/1.1"};
	const struct mg_cfg_client_tls *t = &config.virtual_gateway.backend_tls;
	const char *san[MG_CFG_MAX_SAN];
	struct mg_tls_client_conf cc;
	char err[256] = "";
	int i, rc;

	if (!t->present || !t->enforce)
		return 0;
	rc = tls_init();
	if (rc != 0)
		return rc;
	for (i = 0; i < t->san.n; i++)
		san[i] = t->san.names[i];
	memset(&cc, 0, sizeof(cc));
	cc.ca_file = t->trust_chain;
	cc.san = t->san.n > 0 ? san : NULL;
	cc.nsan = (unsigned int)t->san.n;
	if (t->has_client_cert) {
		cc.cert_chain_file = t->client_cert.chain;
		cc.key_file = t->client_cert.key;
	}
	cc.alpn = alpn_http11;
	cc.nalpn = 1;
	rc = mg_tls_client_new(&upstream_tls, &cc, err, sizeof(err));
	if (rc != 0) {
		mg_err("virtualGateway backendDefaults.clientPolicy.tls: %s", err);
		return rc;
	}
	{
		/* HTTP/2 endpoints (node listeners with protocol http2 or grpc) need "h2". */
		static const char *const alpn_h2[] = {"h2"};

		cc.alpn = alpn_h2;
		rc = mg_tls_client_new(&upstream_tls_h2, &cc, err, sizeof(err));
		if (rc != 0) {
			mg_err("virtualGateway backendDefaults.clientPolicy.tls (h2): %s", err);
			return rc;
		}
	}
	mg_stats_set_upstream_tls(upstream_tls);
	mg_info("TLS to backends%s", t->n_ports > 0 ? " on the policy's ports" : "");
	return 0;
}

/* Endpoints for the routing table: shared through the upstream registry. */
static struct mg_endpoint *
table_ep_get(void *arg, uint32_t addr, uint16_t port, bool tls, const char *sni, bool h2)
{
	const struct mg_cfg_proxy *p = &config.appliance.proxy;

	(void)arg;
	return mg_endpoint_get_h2(addr, port, tls ? (h2 ? upstream_tls_h2 : upstream_tls) : NULL,
	                          sni, h2, p->max_conns_per_endpoint, p->max_idle_per_endpoint,
	                          p->idle_timeout_ms);
}

static void
table_ep_put(void *arg, struct mg_endpoint *ep)
{
	(void)arg;
	mg_endpoint_unref(ep);
}

/* The routing table's clock (outlier ejections): monotonic milliseconds, from the vDSO. */
static uint64_t
table_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* DNS service discovery for the routing table: the resolver's watches. */
static void *
table_dns_watch(void *arg, const char *name, mg_dns_fn *fn, void *cbarg)
{
	(void)arg;
	return mg_dns_watch(name, fn, cbarg);
}

static void
table_dns_unwatch(void *arg, void *handle)
{
	(void)arg;
	mg_dns_unwatch(handle);
}

static const uint64_t *routing_counters(unsigned int *gen);

/* The routing table's clusters for /stats ("[]" without a table). */
static int
clusters_json(char *buf, size_t cap)
{
	if (routes != NULL)
		return mg_route_table_clusters_json(routes, buf, cap);
	return snprintf(buf, cap, "[]") < (int)cap ? 2 : -1;
}

/* The routing table, or the static upstream. */
static int
start_routing(void)
{
	const struct mg_cfg_proxy *p = &config.appliance.proxy;
	struct mg_route_env env = {
	    .ep_get = table_ep_get,
	    .ep_put = table_ep_put,
	    .dns_watch = table_dns_watch,
	    .dns_unwatch = table_dns_unwatch,
	    .now_ms = table_now_ms,
	    .tls_policy = upstream_tls != NULL ? &config.virtual_gateway.backend_tls : NULL,
	};
	char err[256] = "";
	int rc;

	if (config.appliance.dns.present) {
		uint32_t servers[MG_CFG_MAX_RESOLVERS];
		int i;

		for (i = 0; i < config.appliance.dns.n_resolvers; i++)
			servers[i] = htonl(config.appliance.dns.resolvers[i]);
		rc = mg_dns_init(servers, (unsigned int)config.appliance.dns.n_resolvers,
		                 config.appliance.dns.timeout_ms);
		if (rc != 0) {
			mg_err("DNS resolver: %s", strerror(-rc));
			return rc;
		}
	}
	mg_stats_set_routing(routing_counters);
	mg_stats_set_clusters(clusters_json);
	if (config.appliance.jwt.present && (rc = tls_init()) != 0)
		return rc; /* remote key sets are fetched over TLS */
	rc = mg_authn_load(&config, err, sizeof(err));
	if (rc != 0) {
		mg_err("%s", err);
		return rc;
	}
	/* Active health checks (docs/RESILIENCE.md) walk whatever table is current, so a reload
	 * that adds gateway routes with health checks gets them too. */
	mg_hc_start(&routes);
	if (config.n_gateway_routes > 0) {
		rc = mg_route_table_build(&routes, &config, &env, err, sizeof(err));
		if (rc != 0) {
			mg_err("routing: %s", err);
			return rc;
		}
		if (p->has_upstream)
			mg_warn("appliance.proxy.staticUpstream is ignored: the configuration has "
			        "gatewayRoutes");
		mg_info("routing: %d gateway route(s), %d virtual service(s), %d route(s), %u "
		        "upstream endpoint(s)",
		        config.n_gateway_routes, config.n_virtual_services, config.n_routes,
		        mg_endpoint_count());
		return 0;
	}
	if (!p->has_upstream) {
		mg_warn("no gatewayRoutes and no appliance.proxy.staticUpstream: every request "
		        "gets 404");
		return 0;
	}
	static_upstream = mg_endpoint_get(
	    htonl(p->upstream_addr), p->upstream_port,
	    mg_cfg_upstream_tls(&config) != NULL ? upstream_tls : NULL,
	    p->upstream_sni[0] != '\0' ? p->upstream_sni : NULL, p->max_conns_per_endpoint,
	    p->max_idle_per_endpoint, p->idle_timeout_ms);
	if (static_upstream == NULL)
		return -ENOMEM;
	mg_info("every request goes to %s:%u%s%s%s",
	        inet_ntoa((struct in_addr){htonl(p->upstream_addr)}), p->upstream_port,
	        static_upstream->tls != NULL ? " over TLS" : "",
	        p->upstream_sni[0] != '\0' ? " as " : "", p->upstream_sni);
	return 0;
}

/*
 * The listener's TLS context: its App Mesh certificate first (the default when SNI names
 * nothing else), then appliance.proxy.additionalCertificates; client certificates when the
 * listener has tls.validation.  Files are read here, at boot.
 */
static int
start_listener_tls(void)
{
	static const char *alpn[2];
	const struct mg_cfg_listener *l = &config.virtual_gateway.listener;
	const struct mg_cfg_proxy *p = &config.appliance.proxy;
	bool h2 = l->protocol != MG_CFG_PROTO_HTTP;
	struct mg_tls_cert_conf certs[1 + MG_CFG_MAX_EXTRA_CERTS];
	const char *names[MG_CFG_MAX_EXTRA_CERTS][MG_CFG_MAX_SERVER_NAMES];
	const char *san[MG_CFG_MAX_SAN];
	struct mg_tls_server_conf sc;
	char err[256] = "";
	int i, j, rc;

	rc = tls_init();
	if (rc != 0)
		return rc;
	memset(certs, 0, sizeof(certs));
	certs[0].chain_file = l->cert.chain;
	certs[0].key_file = l->cert.key;
	for (i = 0; i < p->n_extra_certs; i++) {
		const struct mg_cfg_extra_cert *x = &p->extra_certs[i];

		certs[1 + i].chain_file = x->cert.chain;
		certs[1 + i].key_file = x->cert.key;
		for (j = 0; j < x->n_names; j++)
			names[i][j] = x->names[j];
		certs[1 + i].names = x->n_names > 0 ? names[i] : NULL;
		certs[1 + i].nnames = (unsigned int)x->n_names;
	}
	for (i = 0; i < l->validation_san.n; i++)
		san[i] = l->validation_san.names[i];
	memset(&sc, 0, sizeof(sc));
	sc.certs = certs;
	sc.ncerts = 1 + (unsigned int)p->n_extra_certs;
	sc.default_cert = 0;
	/* Server preference: h2 first. */
	if (p->alpn_h2 && !h2) {
		mg_err("appliance.proxy.alpn lists h2 but the listener's portMapping.protocol is "
		       "http: make it http2 or grpc");
		return -EINVAL;
	}
	if ((p->alpn_h2 || p->alpn_default) && h2)
		alpn[sc.nalpn++] = "h2";
	if (p->alpn_http11)
		alpn[sc.nalpn++] = "http/1.1";
	sc.alpn = alpn;
	if (l->has_validation) {
		sc.client_ca_file = l->trust_chain;
		sc.client_san = l->validation_san.n > 0 ? san : NULL;
		sc.nclient_san = (unsigned int)l->validation_san.n;
	}
	sc.ticket_lifetime = p->session_ticket_lifetime_s;
	rc = mg_tls_server_new(&listener_tls, &sc, err, sizeof(err));
	if (rc != 0) {
		mg_err("virtualGateway listener TLS: %s", err);
		return rc;
	}
	return 0;
}

/* The virtual gateway's listener, when the configuration has one. */
static int
start_proxy(void)
{
	const struct mg_cfg_listener *l = &config.virtual_gateway.listener;
	const struct mg_cfg_proxy *p = &config.appliance.proxy;
	struct mg_proxy_listener_conf lc;
	int rc;

	if (!config.has_virtual_gateway)
		return 0;
	rc = mg_upool_init(MG_CONN_MAX);
	if (rc == 0)
		rc = mg_h2c_init(MG_H2C_STREAMS, MG_H2C_BUFFERS);
	if (rc == 0)
		rc = mg_proxy_init(MG_CONN_MAX, MG_PROXY_BUFFERS, p->max_request_header_bytes);
	if (rc == 0 && l->protocol != MG_CFG_PROTO_HTTP)
		rc = mg_h2_init(MG_CONN_MAX, MG_CONN_MAX, MG_H2_BUFFERS,
		                mg_h2_buf_size(p->max_request_header_bytes));
	if (rc != 0) {
		mg_err("proxy pools: %s", strerror(-rc));
		return rc;
	}
	{
		char err[256] = "";

		rc = mg_alog_open(&config.virtual_gateway, MG_CONN_MAX, &control_pending, err,
		                  sizeof(err));
		if (rc != 0) {
			mg_err("virtualGateway logging.accessLog: %s", err);
			return rc;
		}
		if (config.virtual_gateway.has_access_log)
			mg_info("access log to %s (%s format)",
			        config.virtual_gateway.access_log_path,
			        config.virtual_gateway.access_log_json ? "json" : "text");
		if (config.virtual_gateway.has_access_log && config.appliance.syslog.present) {
			const struct mg_cfg_syslog *sc = &config.appliance.syslog;
			struct in_addr sa = {.s_addr = htonl(sc->addr)};

			rc = mg_syslog_open(htonl(sc->addr), sc->port, sc->facility);
			if (rc != 0) {
				mg_err("appliance.syslog: %s", strerror(-rc));
				return rc;
			}
			mg_alog_set_remote(mg_syslog_send);
			mg_info("access log also to syslog udp://%s:%u (facility %u)",
			        inet_ntoa(sa), sc->port, sc->facility);
		}
	}
	rc = start_upstream_tls();
	if (rc == 0)
		rc = start_routing();
	if (rc != 0)
		return rc;
	memset(&lc, 0, sizeof(lc));
	if (l->tls_mode == MG_CFG_TLS_STRICT || l->tls_mode == MG_CFG_TLS_PERMISSIVE) {
		rc = start_listener_tls();
		if (rc != 0)
			return rc;
		lc.tls = listener_tls;
		lc.tls_permissive = l->tls_mode == MG_CFG_TLS_PERMISSIVE;
		lc.https = true;
		lc.handshake_timeout_ms = p->handshake_timeout_ms;
	}
	lc.port = l->port;
	lc.route = route_request;
	lc.route_arg = NULL;
	lc.header_timeout_ms = p->request_header_timeout_ms;
	lc.idle_timeout_ms = p->idle_timeout_ms;
	lc.connect_timeout_ms = p->connect_timeout_ms;
	lc.response_timeout_ms = MG_PROXY_RESPONSE_TIMEOUT_MS;
	lc.limits.max_head = p->max_request_header_bytes;
	lc.limits.max_body = p->max_request_body_bytes;
	lc.h2 = l->protocol != MG_CFG_PROTO_HTTP;
	rc = mg_proxy_listen(&lc);
	if (rc != 0) {
		mg_err("listener on port %u: %s", l->port, strerror(-rc));
		return rc;
	}
	if (p->https_redirect_port != 0) {
		/* A plaintext listener whose every answer is a redirect to the TLS one. */
		lc.tls = NULL;
		lc.tls_permissive = false;
		lc.https = false;
		lc.port = p->https_redirect_port;
		lc.redirect_port = l->port;
		lc.h2 = false;
		rc = mg_proxy_listen(&lc);
		if (rc != 0) {
			mg_err("HTTPS redirect listener on port %u: %s", lc.port, strerror(-rc));
			return rc;
		}
		mg_info("HTTPS redirect listener on port %u", lc.port);
	}
	mg_info("virtual gateway '%s': %s listener on port %u", config.virtual_gateway.name,
	        l->tls_mode == MG_CFG_TLS_STRICT       ? "HTTPS"
	        : l->tls_mode == MG_CFG_TLS_PERMISSIVE ? "HTTPS and HTTP (permissive)"
	                                               : "HTTP",
	        l->port);
	return 0;
}

/*
 * Hot reload (SIGHUP; the config shell calls gateway_reload() too).  The file the gateway
 * started with is read again and validated; a configuration with any error never replaces
 * the running one.  A valid one is compiled into a new routing table (a new generation) and
 * swapped in between two requests: requests in flight keep the endpoint they were routed to
 * (they hold a reference), endpoints both generations route to keep their pooled
 * connections, and listeners are untouched, so no connection is dropped.
 *
 * What a reload applies: gatewayRoutes, virtualServices, virtualRouters, routes,
 * virtualNodes and appliance.endpoints.  Everything else (interfaces, admin, the listener and
 * its TLS, backend TLS, appliance.proxy) is read at boot only; a reload that changes it says
 * so in the log and the change waits for a restart.
 *
 * Runs on the worker between two polls: the file is read and parsed there (a stall of a few
 * milliseconds for a typical mesh, logged with the result).
 */
static struct mg_config *mesh_config = &config; /* the configuration the routing table uses */
static unsigned int generation = 1;

static void
warn_restart_only(const struct mg_config *n)
{
	const struct mg_cfg_appliance *a = &config.appliance, *b = &n->appliance;
	const char *what[8];
	int k = 0, i;

	if (a->n_ifaces != b->n_ifaces || memcmp(a->ifaces, b->ifaces, sizeof(a->ifaces)) != 0)
		what[k++] = "appliance.interfaces";
	if (memcmp(&a->admin, &b->admin, sizeof(a->admin)) != 0)
		what[k++] = "appliance.admin";
	if (memcmp(&a->diag, &b->diag, sizeof(a->diag)) != 0 ||
	    memcmp(&a->dataplane, &b->dataplane, sizeof(a->dataplane)) != 0)
		what[k++] = "appliance.diagnostics/dataplane";
	if (memcmp(&a->proxy, &b->proxy, sizeof(a->proxy)) != 0)
		what[k++] = "appliance.proxy";
	if (memcmp(&a->dns, &b->dns, sizeof(a->dns)) != 0)
		what[k++] = "appliance.dns";
	if (memcmp(&a->syslog, &b->syslog, sizeof(a->syslog)) != 0)
		what[k++] = "appliance.syslog";
	if (config.has_virtual_gateway != n->has_virtual_gateway ||
	    memcmp(&config.virtual_gateway, &n->virtual_gateway, sizeof(config.virtual_gateway)) !=
	        0)
		what[k++] = "virtualGateway";
	for (i = 0; i < k; i++)
		mg_warn("reload: %s changed; it takes effect at the next restart", what[i]);
}

static const uint64_t *
routing_counters(unsigned int *gen)
{
	*gen = generation;
	return routes != NULL ? mg_route_table_counters(routes) : NULL;
}

/* The outcome of the last reload, for POST /reload; logged as "reload: <outcome>". */
static char reload_msg[512];
#define SAY(logfn, ...)                                                                            \
	do {                                                                                       \
		snprintf(reload_msg, sizeof(reload_msg), __VA_ARGS__);                             \
		logfn("reload: %s", reload_msg);                                                   \
	} while (0)

/* The running configuration's text, for /config_dump (read again after a load succeeded). */
static char *config_text;
static size_t config_text_len;

static void
keep_config_text(const char *path)
{
	FILE *f = path != NULL ? fopen(path, "rb") : NULL;
	char *t = NULL;
	long n;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (t = malloc((size_t)n + 1)) != NULL &&
	    fread(t, 1, (size_t)n, f) == (size_t)n) {
		t[n] = '\0';
		free(config_text);
		config_text = t;
		config_text_len = (size_t)n;
		t = NULL;
	}
	free(t);
	if (f != NULL)
		fclose(f);
}

static int
gateway_reload(void)
{
	struct mg_route_table *table = NULL, *old;
	struct mg_cfg_errors errs;
	struct mg_config *n;
	struct timespec t0, t1;
	char err[256] = "";
	int rc;

	if (config_path_loaded == NULL) {
		SAY(mg_warn, "the gateway runs the embedded demo configuration; nothing to reload");
		return -ENOENT;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		SAY(mg_err, "out of memory; generation %u stays", generation);
		return -ENOMEM;
	}
	rc = mg_config_load_file(n, config_path_loaded, &errs);
	if (rc != 0) {
		mg_cfg_errors_print(&errs, stderr);
		SAY(mg_err, "%s has %lu error(s); generation %u stays in service",
		    config_path_loaded, mg_cfg_errors_count(&errs), generation);
		goto bad;
	}
	if (n->n_gateway_routes > 0) {
		struct mg_route_env env = {
		    .ep_get = table_ep_get,
		    .ep_put = table_ep_put,
		    .dns_watch = table_dns_watch,
		    .dns_unwatch = table_dns_unwatch,
		    .now_ms = table_now_ms,
		    .tls_policy = upstream_tls != NULL ? &config.virtual_gateway.backend_tls : NULL,
		};

		rc = mg_route_table_build(&table, n, &env, err, sizeof(err));
		if (rc != 0) {
			SAY(mg_err, "%s; generation %u stays in service", err, generation);
			goto bad;
		}
	} else if (routes != NULL) {
		SAY(mg_err,
		    "%s has no gatewayRoutes; generation %u stays in service (removing "
		    "every route takes a restart)",
		    config_path_loaded, generation);
		rc = -EINVAL;
		goto bad;
	}
	rc = n->appliance.jwt.present ? tls_init() : 0;
	if (rc == 0)
		rc = mg_authn_load(n, err, sizeof(err));
	if (rc != 0) {
		SAY(mg_err, "%s; generation %u stays in service", err, generation);
		mg_route_table_free(table);
		goto bad;
	}
	mg_cfg_errors_free(&errs);
	warn_restart_only(n);
	old = routes;
	routes = table;
	mg_route_table_free(old);
	if (mesh_config != &config) {
		mg_config_free(mesh_config);
		free(mesh_config);
	}
	mesh_config = n;
	generation++;
	keep_config_text(config_path_loaded);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	SAY(mg_info,
	    "generation %u in service from %s in %ld ms: %d gateway route(s), %d "
	    "virtual service(s), %d route(s), %d virtual node(s); %u upstream endpoint(s)",
	    generation, config_path_loaded,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
	    n->n_gateway_routes, n->n_virtual_services, n->n_routes, n->n_virtual_nodes,
	    mg_endpoint_count());
	return 0;
bad:
	mg_cfg_errors_free(&errs);
	mg_config_free(n);
	free(n);
	return rc;
}

#undef SAY

void
mg_control_request_reload(void)
{
	if (mg_workers_count() > 1) {
		/* Every worker reloads: the supervisor forwards a SIGHUP to each, this one
		 * included, which answers the request when its own reload is done. */
		mg_workers_request_reload();
		return;
	}
	reload_requested = 1;
	control_pending = 1;
}

const char *
mg_control_unhealthy(void)
{
	if (stop_requested)
		return "draining: the gateway is stopping";
	if (!config.has_virtual_gateway)
		return "no listener: the configuration has no virtualGateway";
	if (routes == NULL && static_upstream == NULL)
		return "no routes: neither gatewayRoutes nor a static upstream";
	if (mg_dns_unsettled() != NULL)
		return "DNS not settled";
	if (worker.n_ifaces > 0) {
		int i, up = 0;

		for (i = 0; i < worker.n_ifaces; i++)
			up += worker.ports[i].link_up;
		if (up == 0)
			return "every link is down";
	}
	if (routes != NULL && !mg_route_table_can_serve(routes))
		return "no virtual node can serve: none has a usable endpoint (or fails open)";
	if (mg_jwt_fetch_unsettled() != NULL)
		return mg_jwt_fetch_unsettled();
	return NULL;
}

const char *
mg_control_config(const char **path, unsigned int *gen, size_t *len)
{
	*path = config_path_loaded != NULL ? config_path_loaded : "<demo>";
	*gen = generation;
	if (config_text == NULL && config_path_loaded == NULL) {
		*len = mg_demo_config_len;
		return mg_demo_config;
	}
	*len = config_text_len;
	return config_text;
}

static void
stop_all(void)
{
	int i;

	mg_proxy_stop();
	mg_alog_close();
	mg_alog_set_remote(NULL);
	mg_syslog_close();
	mg_evlog_flush(stderr);
	mg_route_table_free(routes);
	routes = NULL;
	mg_authn_stop();
	if (mesh_config != &config) {
		mg_config_free(mesh_config);
		free(mesh_config);
		mesh_config = &config;
	}
	mg_dns_stop();
	if (static_upstream != NULL)
		mg_endpoint_unref(static_upstream);
	static_upstream = NULL;
	mg_tls_server_free(listener_tls);
	listener_tls = NULL;
	mg_stats_set_upstream_tls(NULL);
	mg_tls_client_free(upstream_tls);
	upstream_tls = NULL;
	mg_tls_client_free(upstream_tls_h2);
	upstream_tls_h2 = NULL;
	if (tls_ready) {
		mg_tls_global_free();
		tls_ready = false;
	}
	mg_diag_stop();
	mg_admin_stop();
	for (i = 0; i < worker.n_ifaces; i++) {
		mg_netif_flush(&worker.netifs[i]);
		mg_netif_remove(&worker.netifs[i]);
		mg_port_close(&worker.ports[i]);
	}
	worker.n_ifaces = 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"demo", no_argument, NULL, 'D'},
	    {"check", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"workers", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *check_path = NULL;
	char *eargv[EAL_ARGS_MAX + 1];
	bool demo = false;
	int opt, eargc, rc, status = 0;
	long workers = 0;
	unsigned int widx = 0;

	if (argc > 1 && strcmp(argv[1], "route-test") == 0)
		return mg_route_cli(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "jwt-test") == 0)
		return mg_jwt_cli(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'D':
			demo = true;
			break;
		case 'k':
			check_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			version();
			return 0;
		case 'w': {
			char *end;

			workers = strtol(optarg, &end, 10);
			if (*end != '\0' || workers < 1 || workers > MG_CFG_MAX_WORKERS) {
				fprintf(stderr, "gateway: --workers wants 1 to %d\n",
				        MG_CFG_MAX_WORKERS);
				return 2;
			}
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check_path != NULL) {
		rc = load_config(check_path, false);
		if (rc == 0)
			printf(
			    "%s: valid: mesh %s, virtual gateway %s, %d gateway route(s), %d "
			    "virtual "
			    "service(s), %d virtual router(s), %d route(s), %d virtual node(s)\n",
			    check_path, config.has_mesh ? config.mesh.name : "(none)",
			    config.has_virtual_gateway ? config.virtual_gateway.name : "(none)",
			    config.n_gateway_routes, config.n_virtual_services,
			    config.n_virtual_routers, config.n_routes, config.n_virtual_nodes);
		mg_config_free(&config);
		return rc == 0 ? 0 : 1;
	}
	if ((config_path == NULL) == !demo ||
	    (optind < argc && strcmp(argv[optind - 1], "--") != 0)) {
		usage(stderr);
		return 2;
	}
	config_path_loaded = demo ? NULL : config_path;
	if (load_config(config_path, demo) != 0) {
		mg_config_free(&config);
		return 2;
	}
	keep_config_text(config_path_loaded);
	if (workers == 0)
		workers =
		    config.appliance.dataplane.workers > 0 ? config.appliance.dataplane.workers : 1;
	if (check_workers((unsigned int)workers, optind < argc) != 0) {
		mg_config_free(&config);
		return 2;
	}
	if (workers > 1) {
		/* Before EAL: DPDK does not allow fork() after rte_eal_init(). */
		rc = mg_workers_spawn((unsigned int)workers, &widx, &status);
		if (rc <= 0) {
			if (rc < 0)
				mg_err("cannot start %ld workers: %s", workers, strerror(-rc));
			mg_config_free(&config);
			free(config_text);
			return rc < 0 ? 1 : status;
		}
	}

	eargc = eal_args(argc - optind, argv + optind, argv[0], eargv);
	rc = rte_eal_init(eargc, eargv);
	if (rc < 0) {
		mg_err("EAL initialisation failed: %s", rte_strerror(rte_errno));
		mg_config_free(&config);
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, on_hup);

	if (start_data_path() != 0 || start_services() != 0 || start_proxy() != 0) {
		status = 1;
		goto out;
	}
	{
		uint8_t macs[MG_CFG_MAX_IFACES][6];
		int i;

		for (i = 0; i < worker.n_ifaces; i++)
			memcpy(macs[i], worker.ports[i].mac.addr_bytes, 6);
		mg_workers_ready((const uint8_t(*)[6])macs, worker.n_ifaces);
	}
	mg_info("meshgate %s ready: %d interface(s), worker %u of %u on lcore %u", MG_VERSION,
	        worker.n_ifaces, worker.index, mg_workers_count(), rte_lcore_id());
	mg_worker_run(&worker, &stop_requested);
	mg_info("stopping");
out:
	stop_all();
	rte_eal_cleanup();
	mg_config_free(&config);
	free(config_text);
	return status;
}
