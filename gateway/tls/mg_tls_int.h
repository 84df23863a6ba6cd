/*
 * Internals of gateway/tls shared by its files; nothing outside gateway/tls includes this.
 */
#ifndef MG_TLS_INT_H
#define MG_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "gateway/tls/mg_tls.h"

#define MG_TLS_SNI_MAX         255 /* longest host name kept (DNS names are <= 253) */
#define MG_TLS_TICKET_KEYS_MAX 8   /* the active key and up to 7 retired ones */
#define MG_TLS_TICKETS_PER_HS  2   /* TLS 1.3 tickets sent after a full handshake */

/* A certificate chain with the private key of its leaf. */
struct mg_tls_cert {
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	bool is_ec;
};

/* One SNI name a listener serves, lower case ("*.example.com" for a wildcard). */
struct mg_tls_name {
	char *name;
	unsigned int cert; /* index in mg_tls_server.certs */
	unsigned int rank; /* sort key after the name: EC certificates first, then config order */
};

/* A list of owned strings (exact SANs, ALPN ids). */
struct mg_tls_strv {
	char **v;
	unsigned int n;
};

/* A ticket-encryption key: AES-256-GCM, named by 4 random bytes carried in each ticket. */
struct mg_tls_ticket_key {
	unsigned char name[4];
	bool live;
	uint64_t created; /* server clock, seconds */
	uint64_t retired; /* when it stopped encrypting (valid if not the active key) */
	mbedtls_gcm_context gcm;
};

struct mg_tls_server {
	mbedtls_ssl_config conf;
	struct mg_tls_cert *certs;
	unsigned int ncerts;
	unsigned int default_cert;
	struct mg_tls_name *names; /* sorted by (name, rank) */
	unsigned int nnames;
	bool client_auth;
	mbedtls_x509_crt client_ca;
	struct mg_tls_strv client_san;
	struct mg_tls_strv alpn;
	const char **alpn_list; /* NULL-terminated view of alpn for mbedTLS */
	bool tickets;
	uint32_t ticket_lifetime;
	uint32_t ticket_rotation;
	bool clock_set;
	uint64_t now; /* last mg_tls_server_tick() time */
	unsigned int active_key;
	struct mg_tls_ticket_key keys[MG_TLS_TICKET_KEYS_MAX];
	struct mg_tls_stats stats;
};

struct mg_tls_client {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	bool has_cert;
	struct mg_tls_cert cert;
	struct mg_tls_strv san;
	struct mg_tls_strv alpn;
	const char **alpn_list;
	bool resumption;
	bool session_valid;
	mbedtls_ssl_session session; /* the last session, for the next connection */
	char session_sni[MG_TLS_SNI_MAX + 1];
	struct mg_tls_stats stats;
};

enum mg_tls_state { MG_TLS_ST_HANDSHAKE, MG_TLS_ST_OPEN, MG_TLS_ST_FAILED };

struct mg_tls_conn {
	mbedtls_ssl_context ssl;
	struct mg_tls_io io;
	struct mg_tls_server *srv; /* exactly one of srv, cli */
	struct mg_tls_client *cli;
	uint32_t gen; /* nonzero while in use: tags the blocks it allocates */
	enum mg_tls_state state;
	enum mg_tls_failure failure;
	int alert; /* -1: none */
	bool alert_received;
	bool hs_done;
	bool rx_blocked; /* the transport's recv() said MG_TLS_WANT during this call */
	bool tx_pending; /* ciphertext waits inside for the transport */
	bool io_error;
	bool transport_eof;
	bool alloc_failed; /* an allocation on its behalf was refused */
	bool san_mismatch;
	bool verify_called;
	bool session_offered;
	bool ticket_accepted;
	bool resumed;
	bool sni_matched;
	bool rx_closed;     /* close_notify received */
	bool io_recent;     /* used since the last mg_tls_release_idle() pass */
	bool bufs_released; /* record buffers shrunk by mg_tls_release_idle() */
	bool close_sent;
	uint8_t tickets_written;
	/* Record framing of received bytes during the handshake, to see unencrypted alerts. */
	uint8_t rx_hdr[5];
	uint8_t rx_nhdr;
	uint16_t rx_left;
	bool rx_is_alert;
	uint8_t rx_alert[2];
	int16_t plain_alert; /* last unencrypted fatal alert received, -1: none */
	uint16_t sni_len;
	bool has_sni;
	uint64_t started_at;
	size_t mem;
	size_t mem_peak;
	char sni[MG_TLS_SNI_MAX + 1];
};

/* The connection mbedTLS is working for right now (allocator accounting, ticket callbacks). */
extern struct mg_tls_conn *mg_tls_cur;

/* mg_tls_mem.c */
bool mg_tls_initialised(void);
struct mg_tls_conn *mg_tls_conn_get(void);
void mg_tls_conn_put(struct mg_tls_conn *t);
uint64_t mg_tls_now_ms(void);

/* mg_tls_common.c */
extern const uint16_t mg_tls_groups[];
extern const uint16_t mg_tls_sig_algs[];
extern const mbedtls_x509_crt_profile mg_tls_x509_profile;
void mg_tls_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mg_tls_strerror(int ret, char *buf, size_t len);
int mg_tls_conf_common(mbedtls_ssl_config *conf, int endpoint, enum mg_tls_version min,
                       enum mg_tls_version max, char *err, size_t errlen);
int mg_tls_cert_load(struct mg_tls_cert *c, const char *chain_file, const char *key_file, char *err,
                     size_t errlen);
void mg_tls_cert_free(struct mg_tls_cert *c);
int mg_tls_ca_load(mbedtls_x509_crt *ca, const char *file, char *err, size_t errlen);
int mg_tls_strv_copy(struct mg_tls_strv *sv, const char *const *v, unsigned int n);
void mg_tls_strv_free(struct mg_tls_strv *sv);
int mg_tls_alpn_setup(struct mg_tls_strv *sv, const char ***list, const char *const *v,
                      unsigned int n, char *err, size_t errlen);
bool mg_tls_name_valid(const char *name, bool allow_wildcard);
bool mg_tls_dns_match(const unsigned char *pattern, size_t plen, const char *name);
bool mg_tls_san_match(const mbedtls_x509_crt *crt, const struct mg_tls_strv *sans);

/* mg_tls_conn.c */
struct mg_tls_conn *mg_tls_conn_new(mbedtls_ssl_config *conf, struct mg_tls_server *s,
                                    struct mg_tls_client *c, const struct mg_tls_io *io);

#endif /* MG_TLS_INT_H */
