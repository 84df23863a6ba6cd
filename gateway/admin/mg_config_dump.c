/*
 * /config_dump.  See mg_config_dump.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gateway/admin/mg_config_dump.h"
#include "gateway/mg_control.h"

/* The end of the JSON string starting at in[i] (a '"'): the index past its closing quote. */
static size_t
string_end(const char *in, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (in[i] == '\\')
			i++;
		else if (in[i] == '"')
			return i + 1;
	}
	return n;
}

int
mg_config_redact(const char *in, size_t n, char *out, size_t cap)
{
	static const char red[] = "\"[redacted]\"";
	size_t i = 0, o = 0, e, j;

#define OUT(p, l)                                                                                  \
	do {                                                                                       \
		if (o + (l) > cap)                                                                 \
			return -ENOSPC;                                                            \
		memcpy(out + o, (p), (l));                                                         \
		o += (l);                                                                          \
	} while (0)
	while (i < n) {
		if (in[i] != '"') {
			OUT(in + i, 1);
			i++;
			continue;
		}
		e = string_end(in, n, i);
		OUT(in + i, e - i);
		/* A member named "token" (exactly, no escapes): its value is redacted. */
		if (e - i == 7 && memcmp(in + i, "\"token\"", 7) == 0) {
			j = e;
			while (j < n &&
			       (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' || in[j] == '\n'))
				j++;
			if (j < n && in[j] == ':') {
				j++;
				while (j < n && (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' ||
				                 in[j] == '\n'))
					j++;
				if (j < n && in[j] == '"') {
					OUT(in + e, j - e);
					OUT(red, sizeof(red) - 1);
					e = string_end(in, n, j);
				}
			}
		}
		i = e;
	}
#undef OUT
	return (int)o;
}

int
mg_config_dump_json(char *buf, size_t cap)
{
	const char *path, *text, *p;
	unsigned int gen;
	size_t len, o;
	int n;

	text = mg_control_config(&path, &gen, &len);
	n = snprintf(buf, cap, "{\"generation\":%u,\"path\":\"", gen);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	o = (size_t)n;
	for (p = path; *p != '\0'; p++) {
		if (o + 8 >= cap)
			return -ENOSPC;
		if (*p == '"' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	n = snprintf(buf + o, cap - o, "\",\"config\":");
	if (n < 0 || (size_t)n >= cap - o)
		return -ENOSPC;
	o += (size_t)n;
	if (text == NULL || len == 0) {
		text = "null";
		len = 4;
	}
	n = mg_config_redact(text, len, buf + o, cap - o);
	if (n < 0)
		return n;
	o += (size_t)n;
	while (o > 0 && (buf[o - 1] == '\n' || buf[o - 1] == ' '))
		o--;
	if (o + 3 > cap)
		return -ENOSPC;
	buf[o++] = '}';
	buf[o++] = '\n';
	return (int)o;
}
