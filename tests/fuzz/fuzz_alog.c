/*
 * libFuzzer target: the access log's format compiler and formatter.
 *
 * The input is "<format>\n<request head>": the format is compiled (a text format, or, when
 * it starts with '{', a JSON format of "key=value" pairs separated by '|'); if it compiles,
 * the head is parsed and, if valid, run through the observability hooks and formatted.
 * Beyond not crashing (AddressSanitizer, UBSan), the formatter's contract is checked: the
 * line fits its buffer and ends with a newline, and a JSON line has no raw control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/config.h"
#include "gateway/http/mg_h1.h"
#include "gateway/net/mg_conn.h"
#include "gateway/obs/mg_alog.h"
#include "gateway/obs/mg_obs.h"
#include "gateway/route/mg_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the gateway binary provides. */
bool
mg_conn_is_virtual(const struct mg_conn *c)
{
	(void)c;
	return false;
}

void
mg_conn_peer(const struct mg_conn *c, uint32_t *addr, uint16_t *port)
{
	(void)c;
	*addr = 0x0100000a;
	*port = 1234;
}

const char *
mg_route_reason_label(enum mg_route_reason r)
{
	return r == MG_ROUTE_OK ? "ok" : "other";
}

static int
compile(char *fmt, bool *json)
{
	static const char *keys[64], *values[64];
	char err[256];
	unsigned int n = 0;
	char *p, *save = NULL;

	*json = fmt[0] == '{';
	if (!*json)
		return mg_alog_compile_text(fmt, err, sizeof(err));
	for (p = strtok_r(fmt + 1, "|", &save); p != NULL && n < 64;
	     p = strtok_r(NULL, "|", &save)) {
		char *eq = strchr(p, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		keys[n] = p;
		values[n++] = eq + 1;
	}
	return mg_alog_compile_json(keys, values, n, err, sizeof(err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool opened;
	static struct mg_h1_field fields[64];
	static char line[MG_ALOG_LINE_MAX];
	const uint8_t *nl = memchr(data, '\n', size);
	struct mg_obs_route rt = {.gateway_route = "gr", .virtual_node = "vn", .reason = 0};
	struct mg_h1_request r;
	struct mg_obs_x x;
	char *fmt, *head;
	size_t flen, hlen, n, i;
	bool json;

	if (!opened) {
		static struct mg_cfg_virtual_gateway vg;
		char err[256];

		vg.has_access_log = true;
		strcpy(vg.access_log_path, "/dev/null");
		if (mg_alog_open(&vg, 4, NULL, err, sizeof(err)) != 0)
			abort();
		mg_obs_init(1000000000);
		opened = true;
	}
	if (nl == NULL || (size_t)(nl - data) >= 1000)
		return 0;
	flen = (size_t)(nl - data);
	hlen = size - flen - 1;
	fmt = malloc(flen + 1);
	head = malloc(hlen > 0 ? hlen : 1);
	if (fmt == NULL || head == NULL)
		abort();
	memcpy(fmt, data, flen);
	fmt[flen] = '\0';
	memcpy(head, nl + 1, hlen);
	if (memchr(fmt, '\0', flen) == NULL && compile(fmt, &json) == 0) {
		mg_h1_request_init(&r, fields, 64, NULL);
		if (mg_h1_request_parse(&r, head, hlen) > 0) {
			memset(&x, 0, sizeof(x));
			mg_obs_begin_conn(&x, 8080, &r, NULL);
			mg_obs_routed(&x, &rt, 0x0200000a, 80);
			mg_obs_status(&x, 200);
			n = mg_alog_format(&x, 1500, UINT64_MAX, line, sizeof(line));
			if (n > sizeof(line) || (n > 0 && line[n - 1] != '\n'))
				abort();
			for (i = 0; json && i + 1 < n; i++)
				if ((unsigned char)line[i] < 0x20)
					abort();
			mg_alog_emit(&x, 1500, UINT64_MAX); /* returns the slot */
			mg_alog_flush();
		}
	}
	free(fmt);
	free(head);
	return 0;
}
