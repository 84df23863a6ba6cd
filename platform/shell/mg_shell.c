/*
 * The appliance's config shell (see mg_shell.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "platform/shell/mg_shell.h"

enum auth { AUTH_NONE, AUTH_SET1, AUTH_SET2, AUTH_LOGIN, AUTH_OK };

struct mg_shell {
	const struct mg_shell_ops *ops;
	void *ctx;
	enum auth auth;
	int started, esc, last_cr;
	char line[MG_SHELL_LINE_MAX];
	size_t len;
	char pw1[MG_SHELL_LINE_MAX];
	char hist[MG_SHELL_HISTORY][MG_SHELL_LINE_MAX];
	int nhist, hpos;
	char *cand; /* candidate configuration text, NULL until first needed */
	size_t cand_len;
};

/* ---- output ---- */

static void say(struct mg_shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct mg_shell *sh, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	sh->ops->out(sh->ctx, buf, (size_t)n);
}

static void
say_line(void *ctx, const char *line)
{
	struct mg_shell *sh = ctx;

	say(sh, "%s\r\n", line);
}

/* ---- JSON paths ---- */

struct seg {
	const char *key; /* NULL: an index */
	size_t klen;
	long idx;
};

static int
path_parse(const char *p, struct seg *s, int max)
{
	int n = 0;

	if (*p == '\0')
		return 0;
	while (*p != '\0') {
		if (n == max)
			return -EINVAL;
		if (*p == '[') {
			char *end;

			s[n].key = NULL;
			s[n].klen = 0;
			s[n].idx = strtol(p + 1, &end, 10);
			if (end == p + 1 || *end != ']' || s[n].idx < 0 || p[1] == '-' ||
			    p[1] == '+')
				return -EINVAL;
			p = end + 1;
		} else {
			size_t k = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			                     "0123456789_-");

			/* Keys are plain names: nothing that would need escaping inside JSON. */
			if (k == 0 || (p[k] != '\0' && p[k] != '.' && p[k] != '['))
				return -EINVAL;
			s[n].key = p;
			s[n].klen = k;
			p += k;
		}
		n++;
		if (*p == '.') {
			p++;
			if (*p == '\0' || *p == '.' || *p == '[')
				return -EINVAL;
		} else if (*p != '\0' && *p != '[') {
			return -EINVAL;
		}
	}
	return n;
}

/* Index of the token after the subtree rooted at <i>. */
static int
tok_next(const jsmntok_t *t, int i)
{
	int todo = 1;

	while (todo > 0) {
		todo += t[i].size - 1;
		i++;
	}
	return i;
}

static jsmntok_t *
tokenize(const char *text, size_t len, int *ntok)
{
	jsmn_parser p;
	jsmntok_t *t;
	int n;

	jsmn_init(&p);
	n = jsmn_parse(&p, text, len, NULL, 0);
	if (n <= 0)
		return NULL;
	t = calloc((size_t)n, sizeof(*t));
	if (t == NULL)
		return NULL;
	jsmn_init(&p);
	if (jsmn_parse(&p, text, len, t, (unsigned)n) != n ||
	    (t[0].type != JSMN_OBJECT && t[0].type != JSMN_ARRAY)) {
		free(t);
		return NULL;
	}
	*ntok = n;
	return t;
}

/* Span of token <i> in the text, with a string's quotes. */
static int
span_start(const jsmntok_t *t, int i)
{
	return t[i].start - (t[i].type == JSMN_STRING);
}

static int
span_end(const jsmntok_t *t, int i)
{
	return t[i].end + (t[i].type == JSMN_STRING);
}

/*
 * Walks <s> (<n> segments) from the root.  Returns the value's token, or -ENOENT with
 * <*parent> set when only the last segment is missing (else *parent = -1).  <*key> is the key
 * token of an object member, -1 for an array element.
 */
static int
walk(const char *text, const jsmntok_t *t, const struct seg *s, int n, int *parent, int *key)
{
	int cur = 0, d, i, j, k;

	*parent = -1;
	*key = -1;
	for (d = 0; d < n; d++) {
		int found = -1, fkey = -1;

		i = cur + 1;
		if (s[d].key != NULL && t[cur].type == JSMN_OBJECT) {
			for (k = 0; k < t[cur].size; k++) {
				j = i + 1;
				if (t[i].type == JSMN_STRING &&
				    (size_t)(t[i].end - t[i].start) == s[d].klen &&
				    memcmp(text + t[i].start, s[d].key, s[d].klen) == 0) {
					found = j;
					fkey = i;
				}
				i = tok_next(t, j);
			}
		} else if (s[d].key == NULL && t[cur].type == JSMN_ARRAY) {
			for (k = 0; k < t[cur].size; k++) {
				if (k == s[d].idx)
					found = i;
				i = tok_next(t, i);
			}
		} else {
			return -ENOENT;
		}
		if (found < 0) {
			/* Only a missing last segment may be created; a missing middle one may not.
			 */
			*parent = d == n - 1 ? cur : -1;
			return -ENOENT;
		}
		*parent = cur;
		*key = fkey;
		cur = found;
	}
	return cur;
}

static int
splice(char **text, size_t *len, size_t a, size_t b, const char *ins, size_t ilen)
{
	size_t nlen = *len - (b - a) + ilen;
	char *n;

	if (nlen > MG_SHELL_TEXT_MAX)
		return -E2BIG;
	n = malloc(nlen + 1);
	if (n == NULL)
		return -ENOMEM;
	memcpy(n, *text, a);
	memcpy(n + a, ins, ilen);
	memcpy(n + a + ilen, *text + b, *len - b);
	n[nlen] = '\0';
	free(*text);
	*text = n;
	*len = nlen;
	return 0;
}

/* <value> as JSON: itself when it is a JSON value, else quoted as a string.  Malloc'd. */
static char *
json_value(const char *v)
{
	size_t n = strlen(v), i, o = 0;
	char *q, *end;

	if (n > 0 && (v[0] == '{' || v[0] == '[' || v[0] == '"')) {
		jsmn_parser p;
		jsmntok_t t[1];
		int r;

		jsmn_init(&p);
		r = jsmn_parse(&p, v, n, NULL, 0);
		if (r <= 0)
			return NULL;
		jsmn_init(&p);
		/* One top-level value covering the whole word. */
		r = jsmn_parse(&p, v, n, t, 1);
		if (r != JSMN_ERROR_NOMEM && r != 1)
			return NULL;
		if ((size_t)(t[0].end + (t[0].type == JSMN_STRING)) != n)
			return NULL;
		return strdup(v);
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || strcmp(v, "null") == 0)
		return strdup(v);
	if (n > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))) {
		(void)strtod(v, &end);
		if (*end == '\0')
			return strdup(v);
	}
	q = malloc(n * 6 + 3);
	if (q == NULL)
		return NULL;
	q[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\') {
			q[o++] = '\\';
			q[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)sprintf(q + o, "\\u%04x", c);
		} else {
			q[o++] = (char)c;
		}
	}
	q[o++] = '"';
	q[o] = '\0';
	return q;
}

int
mg_shell_json_edit(char **text, size_t *len, const char *path, const char *value)
{
	struct seg s[32];
	jsmntok_t *t;
	char *v = NULL, *ins = NULL;
	int n, ntok, at, parent, key, rc;

	n = path_parse(path, s, 32);
	if (n <= 0)
		return -EINVAL;
	t = tokenize(*text, *len, &ntok);
	if (t == NULL)
		return -EINVAL;
	if (value != NULL && (v = json_value(value)) == NULL) {
		free(t);
		return -EINVAL;
	}
	at = walk(*text, t, s, n, &parent, &key);
	if (value != NULL && at >= 0) {
		rc = splice(text, len, (size_t)span_start(t, at), (size_t)span_end(t, at), v,
		            strlen(v));
	} else if (value != NULL && parent >= 0) {
		const struct seg *l = &s[n - 1];
		size_t ilen = strlen(v) + l->klen + 16;

		ins = malloc(ilen);
		if (ins == NULL) {
			rc = -ENOMEM;
		} else if (l->key != NULL && t[parent].type == JSMN_OBJECT) {
			snprintf(ins, ilen, "\"%.*s\": %s%s", (int)l->klen, l->key, v,
			         t[parent].size > 0 ? ", " : "");
			rc = splice(text, len, (size_t)t[parent].start + 1,
			            (size_t)t[parent].start + 1, ins, strlen(ins));
		} else if (l->key == NULL && t[parent].type == JSMN_ARRAY &&
		           l->idx == t[parent].size) {
			snprintf(ins, ilen, "%s%s", t[parent].size > 0 ? ", " : "", v);
			rc = splice(text, len, (size_t)t[parent].end - 1, (size_t)t[parent].end - 1,
			            ins, strlen(ins));
		} else {
			rc = -ENOENT;
		}
	} else if (value == NULL && at > 0) {
		size_t a = (size_t)(key >= 0 ? span_start(t, key) : span_start(t, at));
		size_t b = (size_t)span_end(t, at), b2 = b, a2 = a;

		while (b2 < *len && strchr(" \t\r\n", (*text)[b2]) != NULL)
			b2++;
		while (a2 > 0 && strchr(" \t\r\n", (*text)[a2 - 1]) != NULL)
			a2--;
		if (b2 < *len && (*text)[b2] == ',') {
			b = b2 + 1;
		} else if (a2 > 0 && (*text)[a2 - 1] == ',') {
			a = a2 - 1;
		}
		rc = splice(text, len, a, b, "", 0);
	} else {
		rc = -ENOENT;
	}
	free(ins);
	free(v);
	free(t);
	return rc;
}

struct flat {
	const char *text;
	const jsmntok_t *t;
	void (*out)(void *ctx, const char *line);
	void *ctx;
	int lines;
};

static int
flatten(struct flat *f, int i, char *path, size_t plen, size_t cap)
{
	const jsmntok_t *t = f->t;
	int k, j;

	if (t[i].type == JSMN_OBJECT || t[i].type == JSMN_ARRAY) {
		j = i + 1;
		if (t[i].size == 0) {
			char line[MG_SHELL_LINE_MAX + 16];

			snprintf(line, sizeof(line), "%s = %s", plen > 0 ? path : ".",
			         t[i].type == JSMN_OBJECT ? "{}" : "[]");
			f->out(f->ctx, line);
			f->lines++;
		}
		for (k = 0; k < t[i].size; k++) {
			size_t n;

			if (t[i].type == JSMN_OBJECT) {
				n = (size_t)snprintf(path + plen, cap - plen, "%s%.*s",
				                     plen > 0 ? "." : "", t[j].end - t[j].start,
				                     f->text + t[j].start);
				j++;
			} else {
				n = (size_t)snprintf(path + plen, cap - plen, "[%d]", k);
			}
			if (plen + n >= cap)
				n = cap - 1 - plen;
			j = flatten(f, j, path, plen + n, cap);
			path[plen] = '\0';
		}
		return j;
	} else {
		char line[MG_SHELL_LINE_MAX + 160];
		int vlen = span_end(t, i) - span_start(t, i);

		snprintf(line, sizeof(line), "%s = %.*s", plen > 0 ? path : ".",
		         vlen > 150 ? 150 : vlen, f->text + span_start(t, i));
		f->out(f->ctx, line);
		f->lines++;
		return i + 1;
	}
}

int
mg_shell_json_flatten(const char *text, size_t len, const char *path,
                      void (*out)(void *ctx, const char *line), void *ctx)
{
	struct flat f = {text, NULL, out, ctx, 0};
	struct seg s[32];
	char p[MG_SHELL_LINE_MAX];
	jsmntok_t *t;
	int n, ntok, at, parent, key;

	n = path_parse(path, s, 32);
	if (n < 0)
		return -EINVAL;
	t = tokenize(text, len, &ntok);
	if (t == NULL)
		return -EINVAL;
	at = walk(text, t, s, n, &parent, &key);
	if (at < 0) {
		free(t);
		return -ENOENT;
	}
	f.t = t;
	snprintf(p, sizeof(p), "%s", path);
	flatten(&f, at, p, strlen(p), sizeof(p));
	free(t);
	return f.lines;
}

/* ---- words ---- */

int
mg_shell_split(char *line, char **argv)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0')
			return n;
		if (n == MG_SHELL_ARGS)
			return -E2BIG;
		argv[n++] = w;
		while (*r != '\0' && *r != ' ' && *r != '\t') {
			if (*r == '"') {
				r++;
				while (*r != '"') {
					if (*r == '\0')
						return -EINVAL;
					if (*r == '\\') {
						r++;
						if (*r != '"' && *r != '\\')
							return -EINVAL;
					}
					*w++ = *r++;
				}
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r != '\0')
			r++;
		*w++ = '\0';
	}
}

/* ---- commands ---- */

struct cmd {
	const char *name, *usage, *help;
	int min, max; /* operand counts */
	int (*fn)(struct mg_shell *sh, int argc, char **argv);
};

static const struct cmd cmds[];

static int
need_cand(struct mg_shell *sh)
{
	if (sh->cand != NULL)
		return 0;
	return sh->ops->running(sh->ctx, &sh->cand, &sh->cand_len);
}

/* Element-wise difference: the leaves that differ, as "- old" and "+ new" lines. */
struct lines {
	char **v;
	int n, cap;
};

static void
collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(line)) != NULL)
		l->n++;
}

static int
has(const struct lines *l, const char *s)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static void
lines_free(struct lines *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
}

/* Prints the diff between running and candidate; returns the number of changed leaves. */
static int
diff(struct mg_shell *sh, int print)
{
	struct lines a = {0}, b = {0};
	char *run = NULL;
	size_t rlen;
	int i, changes = 0;

	if (sh->cand == NULL || sh->ops->running(sh->ctx, &run, &rlen) != 0)
		return 0;
	mg_shell_json_flatten(run, rlen, "", collect, &a);
	mg_shell_json_flatten(sh->cand, sh->cand_len, "", collect, &b);
	for (i = 0; i < a.n; i++)
		if (!has(&b, a.v[i])) {
			changes++;
			if (print)
				say(sh, "- %s\r\n", a.v[i]);
		}
	for (i = 0; i < b.n; i++)
		if (!has(&a, b.v[i])) {
			changes++;
			if (print)
				say(sh, "+ %s\r\n", b.v[i]);
		}
	lines_free(&a);
	lines_free(&b);
	free(run);
	return changes;
}

static int
cmd_help(struct mg_shell *sh, int argc, char **argv)
{
	const struct cmd *c;

	for (c = cmds; c->name != NULL; c++) {
		if (argc == 1 && strcmp(argv[0], c->name) != 0)
			continue;
		say(sh, "  %-14s %s\r\n", c->name, c->usage);
		say(sh, "  %-14s   %s\r\n", "", c->help);
		if (argc == 1)
			return 0;
	}
	if (argc == 1) {
		say(sh, "error: no command '%s' (help lists them)\r\n", argv[0]);
		return -ENOENT;
	}
	return 0;
}

static int
show_tree(struct mg_shell *sh, const char *text, size_t len, const char *path)
{
	int rc = mg_shell_json_flatten(text, len, path, say_line, sh);

	if (rc == -ENOENT)
		say(sh, "(no %s in the configuration)\r\n", path);
	else if (rc < 0)
		say(sh, "error: the configuration cannot be read\r\n");
	return rc < 0 && rc != -ENOENT ? rc : 0;
}

static const char *const show_what[] = {"interfaces", "config",  "candidate", "routes", "upstreams",
                                        "stats",      "version", "log",       NULL};

static int
cmd_show(struct mg_shell *sh, int argc, char **argv)
{
	const char *w = argv[0];
	char *run = NULL;
	size_t len;
	int rc = 0;

	if (strcmp(w, "interfaces") == 0 || strcmp(w, "stats") == 0 || strcmp(w, "version") == 0 ||
	    strcmp(w, "log") == 0) {
		char name[32];

		snprintf(name, sizeof(name), "show-%s", w);
		return sh->ops->action(sh->ctx, name, argc - 1, argv + 1);
	}
	if (strcmp(w, "candidate") == 0) {
		if ((rc = need_cand(sh)) != 0)
			goto bad;
		return show_tree(sh, sh->cand, sh->cand_len, argc > 1 ? argv[1] : "");
	}
	if ((rc = sh->ops->running(sh->ctx, &run, &len)) != 0)
		goto bad;
	if (strcmp(w, "config") == 0) {
		rc = show_tree(sh, run, len, argc > 1 ? argv[1] : "");
	} else if (strcmp(w, "routes") == 0) {
		show_tree(sh, run, len, "appliance.proxy");
		show_tree(sh, run, len, "gatewayRoutes");
		show_tree(sh, run, len, "routes");
	} else if (strcmp(w, "upstreams") == 0) {
		show_tree(sh, run, len, "appliance.proxy.staticUpstream");
		show_tree(sh, run, len, "appliance.endpoints");
		show_tree(sh, run, len, "virtualNodes");
	} else {
		free(run);
		say(sh, "error: show what? (interfaces config candidate routes upstreams stats "
		        "version log)\r\n");
		return -EINVAL;
	}
	free(run);
	return rc;
bad:
	say(sh, "error: no configuration to show (%s)\r\n", strerror(-rc));
	return rc;
}

static int
cmd_set(struct mg_shell *sh, int argc, char **argv)
{
	int rc = need_cand(sh);

	if (rc == 0)
		rc = mg_shell_json_edit(&sh->cand, &sh->cand_len, argv[0],
		                        argc > 1 ? argv[1] : NULL);
	if (rc == -ENOENT)
		say(sh, "error: %s: no such path (set creates only the last key)\r\n", argv[0]);
	else if (rc == -EINVAL)
		say(sh, "error: %s: bad path or value\r\n", argv[0]);
	else if (rc != 0)
		say(sh, "error: %s\r\n", strerror(-rc));
	return rc;
}

static int
cmd_delete(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	return cmd_set(sh, 1, argv);
}

static int
cmd_diff(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (diff(sh, 1) == 0)
		say(sh, "no changes\r\n");
	return 0;
}

static int
cmd_commit(struct mg_shell *sh, int argc, char **argv)
{
	char msg[512] = "";
	int rc;

	(void)argc;
	(void)argv;
	if (sh->cand == NULL || diff(sh, 0) == 0) {
		say(sh, "no changes to commit\r\n");
		return 0;
	}
	rc = sh->ops->commit(sh->ctx, sh->cand, sh->cand_len, msg, sizeof(msg));
	if (rc != 0) {
		say(sh, "error: commit refused: %s; the candidate is kept (diff, rollback)\r\n",
		    msg);
		return rc;
	}
	say(sh, "commit: %s\r\n", msg);
	free(sh->cand);
	sh->cand = NULL;
	return 0;
}

static int
cmd_rollback(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	free(sh->cand);
	sh->cand = NULL;
	say(sh, "candidate discarded: it is the running configuration again\r\n");
	return 0;
}

static int
cmd_action(struct mg_shell *sh, const char *name, int argc, char **argv)
{
	return sh->ops->action(sh->ctx, name, argc, argv);
}

static int
cmd_route_test(struct mg_shell *sh, int argc, char **argv)
{
	return cmd_action(sh, "route-test", argc, argv);
}

static int
cmd_jwt_test(struct mg_shell *sh, int argc, char **argv)
{
	return cmd_action(sh, "jwt-test", argc, argv);
}

static int
cmd_ping(struct mg_shell *sh, int argc, char **argv)
{
	return cmd_action(sh, "ping", argc, argv);
}

static int
cmd_reboot(struct mg_shell *sh, int argc, char **argv)
{
	return cmd_action(sh, "reboot", argc, argv);
}

static int
cmd_poweroff(struct mg_shell *sh, int argc, char **argv)
{
	return cmd_action(sh, "poweroff", argc, argv);
}

static int
cmd_factory_reset(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "confirm") != 0) {
		say(sh,
		    "error: type 'factory-reset confirm' to erase the stored configuration\r\n");
		return -EINVAL;
	}
	return cmd_action(sh, "factory-reset", 0, argv);
}

static int
cmd_password(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh->auth = AUTH_SET1;
	return 0;
}

static int
cmd_logout(struct mg_shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh->auth = AUTH_LOGIN;
	return 0;
}

static const struct cmd cmds[] = {
    {"help", "[COMMAND]", "list the commands, or explain one", 0, 1, cmd_help},
    {"show", "interfaces|config [PATH]|candidate [PATH]|routes|upstreams|stats|version|log",
     "show the machine's NICs, the running or candidate configuration (as path = value "
     "lines), its routes and upstreams, the gateway's state, versions, the recent log",
     1, 2, cmd_show},
    {"set", "PATH VALUE",
     "set PATH (e.g. appliance.proxy.staticUpstream.port) in the candidate to VALUE (JSON, "
     "or a word taken as a string); creates the last key, [N] = size appends",
     2, 2, cmd_set},
    {"delete", "PATH", "delete PATH from the candidate configuration", 1, 1, cmd_delete},
    {"diff", "", "show what commit would change (- running, + candidate)", 0, 0, cmd_diff},
    {"commit", "",
     "validate the candidate, store it on the config partition (atomic) and apply it: hot "
     "reload, or a gateway restart for changes outside the reload set",
     0, 0, cmd_commit},
    {"rollback", "", "discard the candidate's changes", 0, 0, cmd_rollback},
    {"route-test", "METHOD URL [-H 'name: value']...",
     "show which route and upstream the running configuration picks for a request", 2,
     MG_SHELL_ARGS - 1, cmd_route_test},
    {"jwt-test", "TOKEN [HOST PATH]",
     "check a JWT against the running configuration's appliance.jwt rules", 1, 3, cmd_jwt_test},
    {"ping", "ADDRESS", "three ICMP echo requests from the management NIC", 1, 1, cmd_ping},
    {"password", "", "change the console password", 0, 0, cmd_password},
    {"logout", "", "lock the console until the password is typed again", 0, 0, cmd_logout},
    {"reboot", "", "stop the gateway cleanly and restart the machine", 0, 0, cmd_reboot},
    {"poweroff", "", "stop the gateway cleanly and power the machine off", 0, 0, cmd_poweroff},
    {"factory-reset", "confirm",
     "erase the stored configuration (back to the embedded default) and reboot", 1, 1,
     cmd_factory_reset},
    {NULL, NULL, NULL, 0, 0, NULL},
};

int
mg_shell_exec(struct mg_shell *sh, const char *line)
{
	char buf[MG_SHELL_LINE_MAX], *argv[MG_SHELL_ARGS];
	const struct cmd *c;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = mg_shell_split(buf, argv);
	if (argc < 0) {
		say(sh, "error: %s\r\n",
		    argc == -E2BIG ? "too many words" : "unterminated quote or bad \\ escape");
		return argc;
	}
	if (argc == 0)
		return 0;
	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[0]) == 0)
			break;
	if (c->name == NULL) {
		say(sh, "error: unknown command '%.64s' (help lists them)\r\n", argv[0]);
		return -ENOENT;
	}
	if (argc - 1 < c->min || argc - 1 > c->max) {
		say(sh, "error: usage: %s %s\r\n", c->name, c->usage);
		return -EINVAL;
	}
	return c->fn(sh, argc - 1, argv + 1);
}

/* ---- the terminal ---- */

static void
prompt(struct mg_shell *sh)
{
	switch (sh->auth) {
	case AUTH_SET1:
		say(sh, "New console password: ");
		break;
	case AUTH_SET2:
		say(sh, "Repeat it: ");
		break;
	case AUTH_LOGIN:
		say(sh, "Password: ");
		break;
	default:
		say(sh, "meshgate%s> ", sh->cand != NULL && diff(sh, 0) > 0 ? "*" : "");
		break;
	}
}

static void
start(struct mg_shell *sh)
{
	int rc = sh->ops->password_check(sh->ctx, "");

	sh->started = 1;
	if (rc == 1) { /* no password on this front end (access is the socket's permissions) */
		say(sh, "\r\nMeshgate config shell; type help for the commands.\r\n");
		sh->auth = AUTH_OK;
	} else if (rc < 0) {
		say(sh, "\r\nMeshgate config shell. No console password is set yet: choose one "
		        "(8 characters or more).\r\n");
		sh->auth = AUTH_SET1;
	} else {
		say(sh, "\r\nMeshgate config shell.\r\n");
		sh->auth = AUTH_LOGIN;
	}
}

static void
enter(struct mg_shell *sh)
{
	char msg[256] = "";
	int rc;

	sh->line[sh->len] = '\0';
	say(sh, "\r\n");
	switch (sh->auth) {
	case AUTH_NONE:
		break;
	case AUTH_SET1:
		if (strlen(sh->line) < 8) {
			say(sh, "error: too short (8 characters or more)\r\n");
			break;
		}
		snprintf(sh->pw1, sizeof(sh->pw1), "%s", sh->line);
		sh->auth = AUTH_SET2;
		break;
	case AUTH_SET2:
		if (strcmp(sh->pw1, sh->line) != 0) {
			say(sh, "error: the two do not match\r\n");
			sh->auth = AUTH_SET1;
		} else if ((rc = sh->ops->password_set(sh->ctx, sh->line, msg, sizeof(msg))) != 0) {
			say(sh, "error: password not set: %s\r\n", msg);
			sh->auth = AUTH_SET1;
		} else {
			say(sh, "console password set (%s); type help for the commands\r\n", msg);
			sh->auth = AUTH_OK;
		}
		memset(sh->pw1, 0, sizeof(sh->pw1));
		break;
	case AUTH_LOGIN:
		if (sh->ops->password_check(sh->ctx, sh->line) == 1) {
			sh->auth = AUTH_OK;
			say(sh, "type help for the commands\r\n");
		} else {
			say(sh, "error: wrong password\r\n");
		}
		break;
	case AUTH_OK:
		if (sh->len > 0) {
			if (sh->nhist == 0 ||
			    strcmp(sh->hist[(sh->nhist - 1) % MG_SHELL_HISTORY], sh->line) != 0) {
				memcpy(sh->hist[sh->nhist % MG_SHELL_HISTORY], sh->line,
				       sh->len + 1);
				sh->nhist++;
			}
			mg_shell_exec(sh, sh->line);
		}
		break;
	}
	memset(sh->line, 0, sizeof(sh->line));
	sh->len = 0;
	sh->hpos = sh->nhist;
	prompt(sh);
}

static void
replace_line(struct mg_shell *sh, const char *s)
{
	say(sh, "\r\033[K");
	sh->len = strlen(s);
	memcpy(sh->line, s, sh->len + 1);
	prompt(sh);
	sh->ops->out(sh->ctx, sh->line, sh->len);
}

static void
history(struct mg_shell *sh, int dir)
{
	int oldest = sh->nhist > MG_SHELL_HISTORY ? sh->nhist - MG_SHELL_HISTORY : 0;
	int pos = sh->hpos + dir;

	if (pos < oldest || pos > sh->nhist)
		return;
	sh->hpos = pos;
	replace_line(sh, pos == sh->nhist ? "" : sh->hist[pos % MG_SHELL_HISTORY]);
}

static void
complete(struct mg_shell *sh)
{
	const char *const *words = NULL, *match = NULL;
	const char *word;
	static const char *names[sizeof(cmds) / sizeof(cmds[0])];
	size_t wlen, i, n = 0;

	for (i = 0; cmds[i].name != NULL; i++)
		names[i] = cmds[i].name;
	names[i] = NULL;
	sh->line[sh->len] = '\0';
	word = strrchr(sh->line, ' ');
	if (word == NULL) {
		word = sh->line;
		words = names;
	} else if (strncmp(sh->line, "show ", 5) == 0 && word == sh->line + 4) {
		word++;
		words = show_what;
	} else if (strncmp(sh->line, "help ", 5) == 0 && word == sh->line + 4) {
		word++;
		words = names;
	} else {
		return;
	}
	wlen = strlen(word);
	for (i = 0; words[i] != NULL; i++)
		if (strncmp(words[i], word, wlen) == 0) {
			match = words[i];
			n++;
		}
	if (n == 1) {
		const char *rest = match + wlen;
		size_t rlen = strlen(rest);

		if (sh->len + rlen + 1 < sizeof(sh->line)) {
			memcpy(sh->line + sh->len, rest, rlen);
			sh->len += rlen;
			sh->line[sh->len++] = ' ';
			sh->ops->out(sh->ctx, rest, rlen);
			sh->ops->out(sh->ctx, " ", 1);
		}
	} else if (n > 1) {
		say(sh, "\r\n");
		for (i = 0; words[i] != NULL; i++)
			if (strncmp(words[i], word, wlen) == 0)
				say(sh, "%s  ", words[i]);
		say(sh, "\r\n");
		prompt(sh);
		sh->ops->out(sh->ctx, sh->line, sh->len);
	}
}

void
mg_shell_input(struct mg_shell *sh, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		int secret = sh->auth != AUTH_OK;

		if (!sh->started) {
			if (c == '\r' || c == '\n') {
				start(sh);
				prompt(sh);
				sh->last_cr = c == '\r';
			}
			continue;
		}
		if (sh->esc == 1) {
			sh->esc = c == '[' ? 2 : 0;
			continue;
		}
		if (sh->esc == 2) {
			sh->esc = 0;
			if (!secret && c == 'A')
				history(sh, -1);
			else if (!secret && c == 'B')
				history(sh, 1);
			continue;
		}
		if (c == '\n' && sh->last_cr) {
			sh->last_cr = 0;
			continue;
		}
		sh->last_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			enter(sh);
		} else if (c == 0x7f || c == 0x08) {
			if (sh->len > 0) {
				sh->len--;
				if (!secret)
					say(sh, "\b \b");
			}
		} else if (c == 0x15) {
			replace_line(sh, "");
		} else if (c == 0x03) {
			say(sh, "^C\r\n");
			sh->len = 0;
			prompt(sh);
		} else if (c == '\t') {
			if (!secret)
				complete(sh);
		} else if (c == 0x1b) {
			sh->esc = 1;
		} else if (c >= 0x20 && c < 0x7f && sh->len + 1 < sizeof(sh->line)) {
			sh->line[sh->len++] = (char)c;
			if (!secret)
				sh->ops->out(sh->ctx, (const char *)&buf[i], 1);
		}
	}
}

struct mg_shell *
mg_shell_new(const struct mg_shell_ops *ops, void *ctx)
{
	struct mg_shell *sh = calloc(1, sizeof(*sh));

	if (sh == NULL)
		return NULL;
	sh->ops = ops;
	sh->ctx = ctx;
	return sh;
}

void
mg_shell_free(struct mg_shell *sh)
{
	if (sh == NULL)
		return;
	free(sh->cand);
	free(sh);
}
