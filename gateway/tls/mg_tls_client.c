/*
 * Client contexts: TLS origination to upstreams and JWKS providers (App Mesh
 * clientPolicy.tls), with one cached session for resumption.  See mg_tls.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/tls/mg_tls_int.h"

int
mg_tls_client_new(struct mg_tls_client **out, const struct mg_tls_client_conf *c, char *err,
                  size_t errlen)
{
	struct mg_tls_client *cl;
	unsigned int i;
	int ret;

	*out = NULL;
	if (!mg_tls_initialised()) {
		mg_tls_errf(err, errlen, "mg_tls_global_init() was not called");
		return -EINVAL;
	}
	if (c->ca_file == NULL) {
		mg_tls_errf(err, errlen, "TLS origination needs a trust chain (ca_file)");
		return -EINVAL;
	}
	if ((c->cert_chain_file == NULL) != (c->key_file == NULL)) {
		mg_tls_errf(err, errlen, "client certificate: chain and key files go together");
		return -EINVAL;
	}
	for (i = 0; i < c->nsan; i++) {
		if (c->san == NULL || c->san[i] == NULL || c->san[i][0] == '\0') {
			mg_tls_errf(err, errlen, "subject alternative name %u is empty", i);
			return -EINVAL;
		}
	}
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return -ENOMEM;
	mbedtls_ssl_config_init(&cl->conf);
	mbedtls_x509_crt_init(&cl->ca);
	mbedtls_ssl_session_init(&cl->session);
	ret = mg_tls_conf_common(&cl->conf, MBEDTLS_SSL_IS_CLIENT, c->min_version, c->max_version,
	                         err, errlen);
	if (ret != 0)
		goto fail;
	ret = mg_tls_ca_load(&cl->ca, c->ca_file, err, errlen);
	if (ret != 0)
		goto fail;
	mbedtls_ssl_conf_ca_chain(&cl->conf, &cl->ca, NULL);
	mbedtls_ssl_conf_authmode(&cl->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	ret = mg_tls_strv_copy(&cl->san, c->san, c->nsan);
	if (ret != 0) {
		mg_tls_errf(err, errlen, "SAN list: %s", strerror(-ret));
		goto fail;
	}
	if (c->cert_chain_file != NULL) {
		ret = mg_tls_cert_load(&cl->cert, c->cert_chain_file, c->key_file, err, errlen);
		if (ret != 0)
			goto fail;
		cl->has_cert = true;
		ret = mbedtls_ssl_conf_own_cert(&cl->conf, &cl->cert.chain, &cl->cert.key);
		if (ret != 0) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	ret = mg_tls_alpn_setup(&cl->alpn, &cl->alpn_list, c->alpn, c->nalpn, err, errlen);
	if (ret != 0)
		goto fail;
	if (cl->alpn_list != NULL &&
	    mbedtls_ssl_conf_alpn_protocols(&cl->conf, cl->alpn_list) != 0) {
		ret = -EINVAL;
		goto fail;
	}
	cl->resumption = !c->no_resumption;
	mbedtls_ssl_conf_session_tickets(&cl->conf, cl->resumption
	                                                ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
	                                                : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	/* Without this, an mbedTLS 3.6 client drops TLS 1.3 tickets (FACTS.md). */
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
	    &cl->conf, cl->resumption ? MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED
	                              : MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
	*out = cl;
	return 0;
fail:
	mg_tls_client_free(cl);
	return ret;
}

void
mg_tls_client_free(struct mg_tls_client *cl)
{
	if (cl == NULL)
		return;
	mbedtls_ssl_config_free(&cl->conf);
	mbedtls_x509_crt_free(&cl->ca);
	if (cl->has_cert)
		mg_tls_cert_free(&cl->cert);
	mg_tls_strv_free(&cl->san);
	mg_tls_strv_free(&cl->alpn);
	mbedtls_ssl_session_free(&cl->session);
	free(cl);
}

const struct mg_tls_stats *
mg_tls_client_stats(const struct mg_tls_client *cl)
{
	return &cl->stats;
}

struct mg_tls_conn *
mg_tls_connect(struct mg_tls_client *cl, const struct mg_tls_io *io, const char *sni)
{
	struct mg_tls_conn *t, *prev;
	size_t len = sni != NULL ? strlen(sni) : 0;
	int ret;

	if ((sni == NULL && cl->san.n == 0) || len > MG_TLS_SNI_MAX ||
	    (sni != NULL && !mg_tls_name_valid(sni, false)))
		return NULL;
	t = mg_tls_conn_new(&cl->conf, NULL, cl, io);
	if (t == NULL)
		return NULL;
	prev = mg_tls_cur;
	mg_tls_cur = t;
	/* NULL explicitly means "no SNI and no host name check" (the SAN list decides). */
	ret = mbedtls_ssl_set_hostname(&t->ssl, sni);
	if (ret == 0 && cl->resumption && cl->session_valid &&
	    strcmp(cl->session_sni, sni != NULL ? sni : "") == 0 &&
	    mbedtls_ssl_set_session(&t->ssl, &cl->session) == 0)
		t->session_offered = true;
	mg_tls_cur = prev;
	if (ret != 0) {
		cl->stats.failures[MG_TLS_FAIL_ALLOC_FAILED]++;
		mg_tls_conn_free(t);
		return NULL;
	}
	if (sni != NULL) {
		memcpy(t->sni, sni, len + 1);
		t->sni_len = (uint16_t)len;
		t->has_sni = true;
	}
	return t;
}
