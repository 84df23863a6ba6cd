/*
 * meshgate-init: the appliance's PID 1 (see init.c for the boot sequence).
 *
 * Internal interface between the files of platform/init/.  Every function returns 0 or a
 * negative errno value unless it says otherwise.
 */
#ifndef MG_INIT_H
#define MG_INIT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MG_INIT_GATEWAY     "/usr/bin/gateway"
#define MG_INIT_CONFIG_DIR  "/etc/meshgate"
#define MG_INIT_DEFAULT_DIR "/usr/share/meshgate/default"
#define MG_INIT_MODULES_DIR "/lib/modules"
#define MG_INIT_PARTNAME    "meshgate-config"
#define MG_INIT_MAX_NICS    16

/* Logging to the serial console: "[   1.234] meshgate-init: ...". */
void mg_init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds since boot. */
uint64_t mg_init_now_ms(void);

/* Value of "meshgate.<key>=" on the kernel command line, or <def>.  The string is valid until
 * the next call. */
const char *mg_init_param(const char *key, const char *def);

/* ---- sys.c: the machine ----------------------------------------------------------------- */

/* Mounts /proc, /sys, /dev, /dev/pts, /dev/hugepages, /run (and /var/run -> /run), /tmp. */
int mg_sys_mount(void);

/* Raises vm.nr_hugepages to <n> 2 MiB pages if fewer are reserved; logs what there is. */
void mg_sys_hugepages(long n);

/* A PCI network device and the role PID 1 gives it. */
struct mg_nic {
	char addr[16]; /* DDDD:BB:DD.F */
	unsigned vendor, device;
	int mgmt;           /* kept on its kernel driver for management (DHCP, IMDS) */
	int handover;       /* the only NIC: management until the config is chosen, then data */
	const char *driver; /* DPDK-usable driver it is bound to, or NULL */
};

/*
 * Finds the PCI network devices (class 02), picks the management NIC (meshgate.mgmt=ADDR or
 * none; default: the first one) and sets driver_override on every other one so that, once
 * the modules are loaded, it is bound to uio_pci_generic (igb_uio for ENA).  A machine with a
 * single NIC uses it for management first and hands it over (mg_sys_nic_handover).  Must run
 * before the NIC drivers are loaded.  Returns the number of NICs.
 */
int mg_sys_nics_plan(struct mg_nic *nics, int max);

/*
 * Moves a handover NIC (the machine's only one) from its kernel driver to its DPDK driver,
 * once user-data has been fetched through it.
 */
int mg_sys_nic_handover(struct mg_nic *nic);

/* Loads every module listed in /lib/modules/modules.load (dependencies first). */
void mg_sys_modules_load(void);

/* The kernel interface name of the management NIC (waits for it up to <wait_ms>). */
int mg_sys_nic_ifname(const struct mg_nic *nic, char *name, size_t cap, int wait_ms);

/* Opens the config partition (GPT name MG_INIT_PARTNAME), waiting up to <wait_ms>. Returns
 * the fd and its size in <size>, or a negative errno value. */
int mg_sys_config_partition(uint64_t *size, int wait_ms);

/* Watches the ACPI power button; returns an fd to poll (input events), or -1. */
int mg_sys_power_button(void);

/* ---- cfg.c: which configuration runs ------------------------------------------------------ */

/* Where the running configuration came from. */
struct mg_cfg_choice {
	char source[64]; /* "user-data", "partition slot A generation 3", "embedded default" */
};

/*
 * Builds /etc/meshgate from the highest-precedence source that passes `gateway --check`:
 * EC2 user-data (<ud>, <ud_len>; NULL when none), then the config partition (<store_fd>,
 * <store_size>; fd < 0 when none), then the embedded default.  Returns 0 when one of them
 * passed.
 */
int mg_cfg_choose(const uint8_t *ud, size_t ud_len, int store_fd, uint64_t store_size,
                  struct mg_cfg_choice *out);

/*
 * True when the store asks for the power-cut stress mode: its current record is a bundle
 * holding a file "meshgate-store-stress" (the image test writes one), or is itself a stress
 * generation (a stress run cut short: it carries on after the reboot).
 */
int mg_cfg_stress_requested(int store_fd, uint64_t store_size);

/* The power-cut stress mode (meshgate.store_stress=1 or mg_cfg_stress_requested()): writes
 * generation after generation of a self-describing payload to the store and never returns. */
void mg_cfg_store_stress(int store_fd, uint64_t store_size);

/* ---- net.c: the management path -------------------------------------------------------- */

/* What a DHCP server offered. Addresses in network byte order. */
struct mg_dhcp_lease {
	uint32_t addr, mask, router, server;
};

/*
 * Parses the DHCP reply <msg> (<len> bytes, straight from the network) for transaction <xid>
 * into <l>.  Returns its message type (2 OFFER, 5 ACK, 6 NAK) or -1 for anything else.
 */
int mg_net_dhcp_parse(const void *msg, size_t len, uint32_t xid, struct mg_dhcp_lease *l);

/*
 * Parses the head of the HTTP/1.x response in <buf> (<len> bytes): the status code into
 * <*status> and the offset of the body into <*body_off>.  Returns 0 or -EPROTO.
 */
int mg_net_http_parse(const char *buf, size_t len, int *status, size_t *body_off);

/* Brings <ifname> up and configures it with DHCP (bounded by <timeout_ms>). */
int mg_net_dhcp(const char *ifname, int timeout_ms);

/*
 * Fetches EC2 user-data with IMDSv2 from <host>:<port> (169.254.169.254:80 on EC2): a PUT for
 * a session token, then GET /latest/user-data.  Returns the length (0: no user-data) and a
 * malloc'd buffer in <*out>, or a negative errno value (no IMDS).
 */
long mg_net_imds_user_data(const char *host, int port, int timeout_ms, uint8_t **out);

/* ---- ntp.c: the wall clock, by SNTP over the management NIC ----------------------------- */

/* Offsets at least this large step the clock; smaller ones are slewed by adjtime(2). */
#define MG_NTP_STEP_NS 128000000ll

struct mg_ntp_sample {
	int64_t offset_ns; /* add to our clock to get the server's */
	int64_t delay_ns;  /* round trip minus the server's own time */
	int stratum;
};

struct mg_ntp {
	int fd; /* -1: not running */
	struct sockaddr_in server;
	char name[80];
	uint64_t t1;      /* transmit timestamp of the query in flight (0: none) */
	uint64_t sent_ms; /* when it was sent */
	uint64_t next_ms; /* when the next query is due */
	uint32_t retry_ms;
	uint64_t synced_ms; /* last good answer (0: never) */
	struct mg_ntp_sample last;
	unsigned queries, syncs, timeouts;
	int dry_run; /* tests: compute, never touch the clock */
};

/* Converts a CLOCK_REALTIME value to an NTP timestamp (32.32 seconds since 1900). */
uint64_t mg_ntp_from_timespec(const struct timespec *ts);

/*
 * Checks the server reply <pkt> (<len> bytes) to the query sent at NTP time <t1> and received
 * at <t4>, and computes offset and delay into <s>.  Returns 0, -EPROTO (malformed or not the
 * answer to our query), -EAGAIN (kiss-o'-death), -ENOTSUP (server unsynchronised) or -ERANGE
 * (round trip negative or over 2 s).
 */
int mg_ntp_parse(const void *pkt, size_t len, uint64_t t1, uint64_t t4, struct mg_ntp_sample *s);

void mg_ntp_init(struct mg_ntp *n);
/* Starts the client for <spec> ("ADDR[:PORT]" or "off"); the first query is due at once. */
int mg_ntp_start(struct mg_ntp *n, const char *spec, uint64_t now_ms);
/* Milliseconds until mg_ntp_tick() has something to do (-1: never). */
int mg_ntp_timeout(const struct mg_ntp *n, uint64_t now_ms);
/* Sends a query when one is due; notices a query that went unanswered. */
void mg_ntp_tick(struct mg_ntp *n, uint64_t now_ms);
/* Reads what arrived on n->fd; returns 0 when a good answer set (or slewed) the clock. */
int mg_ntp_input(struct mg_ntp *n, uint64_t now_ms);
/* One line for the console's status. */
void mg_ntp_status(const struct mg_ntp *n, uint64_t now_ms, char *buf, size_t cap);

/* ---- console.c: the serial console -------------------------------------------------------- */

/* Opens the serial console for input; returns the fd to poll, or -1. */
int mg_console_open(void);

/* Called when the console fd is readable; <status> is a one-line state summary. */
void mg_console_input(int fd, const char *status);

#endif /* MG_INIT_H */
