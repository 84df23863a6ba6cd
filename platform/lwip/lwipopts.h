/*
 * lwIP options for Meshgate's data plane.
 *
 * One lwIP instance runs inside one worker's run-to-completion poll loop
 * (NO_SYS=1: no threads, no locks, raw callback API only).  Frames arrive as
 * DPDK mbufs wrapped in pbuf_custom without a copy (platform/lwip/mg_netif.c).
 *
 * Sizing (per worker), see docs/ARCHITECTURE.md "Memory per connection":
 *   - up to MEMP_NUM_TCP_PCB (131072) connections (100,000 idle TLS ones measured);
 *   - receive window 128 KiB per connection (window scaling, shift 2);
 *   - send buffer 128 KiB per connection, copied into the lwIP heap (MEM_SIZE)
 *     until acknowledged; the heap caps the total, not each connection.
 * Everything here is an overridable default in the lwIP sense: a later
 * change may tune it, but the limits must stay documented.
 */
#ifndef MG_LWIPOPTS_H
#define MG_LWIPOPTS_H

/* ---- system ------------------------------------------------------------ */
#define NO_SYS                  1
#define LWIP_TIMERS             1
#define SYS_LIGHTWEIGHT_PROT    0
#define LWIP_NETCONN            0
#define LWIP_SOCKET             0
#define LWIP_TCPIP_CORE_LOCKING 0
#define LWIP_CALLBACK_API       1
#define LWIP_EVENT_API          0
#define LWIP_ALTCP              0
/* The C library provides htons() and friends (DPDK headers include them). */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/* ---- memory ------------------------------------------------------------ */
#define MEM_ALIGNMENT 8
/* lwIP heap: PBUF_RAM for transmitted TCP data (until ACKed), ICMP replies,
 * ARP queueing.  A static arena, never malloc. */
#define MEM_SIZE         (64 * 1024 * 1024)
#define MEMP_NUM_PBUF    16384 /* PBUF_REF/ROM headers */
#define MEMP_NUM_RAW_PCB 0
#define MEMP_NUM_UDP_PCB 16
/* 100,000 idle TLS connections per worker (docs/PERFORMANCE.md "Connection scale"); the pool
 * is static and memp_init() touches every element: 131,072 x 312 B = 39 MiB resident. */
#define MEMP_NUM_TCP_PCB        131072
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_TCP_SEG        65535 /* u16_t: the most lwIP allows */
#define MEMP_NUM_REASSDATA      16
#define MEMP_NUM_FRAG_PBUF      64
#define MEMP_NUM_ARP_QUEUE      256
#define MEMP_NUM_SYS_TIMEOUT    (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 16)
/* The PBUF_POOL is not used for receive (mbufs are); lwIP itself only uses
 * it in a few slow paths. */
#define PBUF_POOL_SIZE           256
#define PBUF_POOL_BUFSIZE        1600
#define LWIP_SUPPORT_CUSTOM_PBUF 1
#define MEMP_OVERFLOW_CHECK      0
#define MEMP_SANITY_CHECK        0

/* ---- link / ARP / IPv4 ------------------------------------------------- */
#define LWIP_ETHERNET                 1
#define LWIP_ARP                      1
#define ARP_TABLE_SIZE                256
#define ARP_QUEUEING                  1
#define ARP_QUEUE_LEN                 8
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
#define ETH_PAD_SIZE                  0
#define PBUF_LINK_HLEN                14
#define LWIP_IPV4                     1
#define LWIP_IPV6                     0
#define IP_FORWARD                    0
#define IP_REASSEMBLY                 1
#define IP_REASS_MAX_PBUFS            64
#define IP_FRAG                       1
#define IP_DEFAULT_TTL                64
#define LWIP_ICMP                     1
#define LWIP_RAW                      0
#define LWIP_DHCP                     0
#define LWIP_AUTOIP                   0
#define LWIP_IGMP                     0
#define LWIP_DNS                      0
#define LWIP_UDP                      1
#define LWIP_SINGLE_NETIF             0
#define LWIP_NETIF_LINK_CALLBACK      1
#define LWIP_NETIF_STATUS_CALLBACK    0
#define LWIP_NETIF_HOSTNAME           0
#define LWIP_NETIF_TX_SINGLE_PBUF     0
#define LWIP_CHECKSUM_CTRL_PER_NETIF  1
/* Our 8-bytes-at-a-time Internet checksum (mg_chksum.h) instead of lwIP's generic one. */
#include "mg_chksum.h"
#define LWIP_CHKSUM                mg_chksum
#define LWIP_NUM_NETIF_CLIENT_DATA 1

/* ---- TCP --------------------------------------------------------------- */
#define LWIP_TCP              1
#define TCP_MSS               1460
#define LWIP_WND_SCALE        1
#define TCP_RCV_SCALE         2
#define TCP_WND               (128 * 1024)
#define TCP_SND_BUF           (128 * 1024)
#define TCP_SND_QUEUELEN      ((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
#define TCP_SNDLOWAT          (32 * 1024)
#define TCP_SNDQUEUELOWAT     (TCP_SND_QUEUELEN / 2)
#define TCP_QUEUE_OOSEQ       1
#define TCP_OOSEQ_MAX_BYTES   TCP_WND
#define TCP_OOSEQ_MAX_PBUFS   128
#define LWIP_TCP_SACK_OUT     1
#define LWIP_TCP_MAX_SACK_NUM 4
#define LWIP_TCP_TIMESTAMPS   1
#define LWIP_TCP_KEEPALIVE    1
#define TCP_LISTEN_BACKLOG    1
/* Connections in SYN_RCVD or not yet accepted, per listener (u8_t). */
#define TCP_DEFAULT_LISTEN_BACKLOG 255
/* TIME_WAIT lasts 2 * TCP_MSL: 60 s, as on Linux. */
#define TCP_MSL                   30000UL
#define SO_REUSE                  1
#define LWIP_TCP_PCB_NUM_EXT_ARGS 0

/* ---- hooks --------------------------------------------------------------- */
/* RFC 6528 initial sequence numbers (platform/lwip/mg_isn.c). */
#define LWIP_HOOK_FILENAME                        "mg_lwip_hooks.h"
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) mg_lwip_tcp_isn(lip, lport, rip, rport)
/* Hashed PCB lookup (platform/lwip/patches/0004): the bucket key, SipHash-2-4 under a key
 * derived from the boot secret (platform/lwip/mg_isn.c). */
#define LWIP_HOOK_TCP_PCB_HASH(lip, lport, rip, rport)                                             \
	mg_isn_tuple_hash(ip4_addr_get_u32(ip_2_ip4(lip)), lport, ip4_addr_get_u32(ip_2_ip4(rip)), \
	                  rport)
/* Buckets of the active-PCB hash (a power of two, >= MEMP_NUM_TCP_PCB: chains of ~1) and of
 * the TIME-WAIT one. */
#define TCP_PCB_HASH_SIZE 131072
#define TCP_TW_HASH_SIZE  32768
/* An upstream connect may take over the 4-tuple of one of our TIME-WAIT PCBs that is at least
 * 1 s old (Linux: net.ipv4.tcp_tw_reuse = 1); ports are otherwise chosen per 4-tuple, so each
 * upstream address and port has the whole ephemeral range (patch 0004). */
#define TCP_TW_REUSE_CONNECT_MS 1000

/* ---- statistics (exported by /stats and, later, /metrics) -------------- */
#define LWIP_STATS         1
#define LWIP_STATS_DISPLAY 0
#define LINK_STATS         1
#define ETHARP_STATS       1
#define IP_STATS           1
#define IPFRAG_STATS       1
#define ICMP_STATS         1
#define UDP_STATS          1
#define TCP_STATS          1
#define MEM_STATS          1
#define MEMP_STATS         1
#define SYS_STATS          0

/* ---- debugging --------------------------------------------------------- */
#define LWIP_DEBUG        0
#define LWIP_DBG_TYPES_ON 0

#endif /* MG_LWIPOPTS_H */
