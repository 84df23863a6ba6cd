/*
 * Remote syslog for the access log: RFC 5424 messages over UDP (RFC 5426) from the gateway's
 * own stack (lwIP), one datagram per line, sent when the access log ring is flushed (the
 * control path, never per request).  Configured by appliance.syslog.
 */
#ifndef MG_SYSLOG_H
#define MG_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* mg_syslog_open() sends to <addr> (network byte order):<port> with <facility>.  Returns 0
 * or a negative errno. */
int mg_syslog_open(uint32_t addr, uint16_t port, uint8_t facility);
void mg_syslog_close(void);

/* mg_syslog_send() sends one message (<msg>, <len> bytes, no newline) with the RFC 5424
 * header.  Returns false if it could not be sent (counted). */
bool mg_syslog_send(const char *msg, size_t len);

/* Messages sent and messages that could not be (no buffer, send error). */
uint64_t mg_syslog_sent(void);
uint64_t mg_syslog_failed(void);

#endif /* MG_SYSLOG_H */
