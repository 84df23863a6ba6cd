/*
 * mbedTLS 3.6 configuration for Meshgate.
 *
 * What it is for: TLS 1.3 and TLS 1.2 termination (server) and TLS clients to
 * upstreams and JWKS providers, modern AEAD suites only, X25519 (Everest) and
 * NIST P-256/P-384 groups, ECDSA and RSA (PKCS#1 v1.5 and PSS) certificates
 * and JWT signatures, session tickets, SNI and ALPN, no file system beyond
 * loading PEM files at boot, no sockets (the transport is lwIP, via
 * mbedtls_ssl_set_bio()), no threads (one TLS context per worker process).
 *
 * Everything not listed is off.  mbedTLS's check_config.h is applied by
 * build_info.h after this file and rejects inconsistent combinations.
 */
#ifndef MG_MBEDTLS_CONFIG_H
#define MG_MBEDTLS_CONFIG_H

/* ---- platform ----------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_C
/* Lets the gateway install a capped allocator (mbedtls_platform_set_calloc_free). */
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_FS_IO
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C

/* ---- symmetric crypto and hashes ---------------------------------------- */
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
/* AES-GCM's whole blocks eight at a time with AES-NI and PCLMULQDQ when the CPU has them
 * (patch 0007, mg_gcm_x86.c): mbedTLS 3.6 does one AES block and one GHASH multiplication
 * at a time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MG_GCM_X86
#endif
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
/* SHA-256 through the x86 SHA extensions when the CPU has them (patch 0004,
 * mg_sha256_x86.h): mbedTLS 3.6 has them for Armv8 only. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MG_SHA256_X86
#endif
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
/* SHA-1 only for X.509 fingerprints and the JWKS `x5t` member, never for
 * signatures (the TLS and X.509 profiles below exclude it). */
#define MBEDTLS_SHA1_C
#define MBEDTLS_HKDF_C
/*
 * No CBC mode: no CBC suites are offered, and without it every record buffer is 288 bytes
 * smaller (mbedTLS reserves CBC padding and an HMAC in each when CBC is compiled in).  The
 * price: passphrase-encrypted PEM keys cannot be read (App Mesh's `file` certificate has no
 * passphrase anyway).
 */

/* ---- random numbers ------------------------------------------------------ */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
/*
 * PSA's CTR_DRBG is the only generator the gateway uses.  mg_tls_tick() reseeds it from the
 * kernel every 300 s (one getrandom(), on the control path); the count-based reseed, which
 * would call getrandom() on the data path after 10,000 requests by default, is only a backstop
 * at 1,000,000 requests (a few per handshake).  NIST SP 800-90A allows 2^48.
 */
#define MBEDTLS_CTR_DRBG_RESEED_INTERVAL 1000000
#define MBEDTLS_HMAC_DRBG_C

/* ---- public-key crypto ------------------------------------------------------ */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
/* X25519 through Everest (HACL*), about 7x faster than the generic code.
 * Everest's include directory is on MBEDTLS_INC (platform/mbedtls/mbedtls.mk). */
#define MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* Larger precomputed tables: about 20% faster P-256 signing (FACTS.md). */
#define MBEDTLS_ECP_WINDOW_SIZE       6
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 1
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_GENPRIME /* only for tests that make keys */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PK_PARSE_EC_EXTENDED
#define MBEDTLS_PK_PARSE_EC_COMPRESSED

/* ---- encodings and X.509 ---------------------------------------------------- */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PKCS5_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT

/* ---- PSA (TLS 1.3 needs it) ---------------------------------------------- */
#define MBEDTLS_PSA_CRYPTO_C
/* A minimal PSA key store holds 32 keys; connections need one or more each. */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC

/* ---- TLS ----------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
/*
 * Record buffers, allocated per connection for its whole life (mbedTLS cannot release them
 * while idle).  Input stays full size: peers may send 16 KiB records and few negotiate smaller
 * ones.  Output is 8 KiB: our records carry at most 8 KiB of data (no cost worth measuring for
 * AES-GCM, and the peer can decrypt sooner), which saves 8 KiB per connection.  Each outgoing
 * handshake message must fit whole, so a certificate chain may take up to ~8 KiB (the server
 * refuses longer ones at load time); 4 KiB would save 4 KiB more but refuse chains of three or
 * more certificates (an ACM public chain is ~5 KB).  MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH is on
 * for our patch 0002 (mbedtls_ssl_release_buffers()/restore_buffers(), which reuse its
 * resizing code): idle connections give both buffers back (mg_tls_release_idle(),
 * docs/PERFORMANCE.md).  docs/TLS.md has the measured bytes per connection.
 */
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 8192
#define MBEDTLS_SSL_CIPHERSUITES                                                                   \
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256, MBEDTLS_TLS1_3_AES_256_GCM_SHA384,                      \
	    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,                                               \
	    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,                                       \
	    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,                                         \
	    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,                                       \
	    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,                                         \
	    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,                                 \
	    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256

#endif /* MG_MBEDTLS_CONFIG_H */
