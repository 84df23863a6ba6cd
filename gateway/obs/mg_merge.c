/*
 * Summing several workers' /metrics and /stats.  See mg_merge.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config/json.h"
#include "gateway/obs/mg_merge.h"

#define PREFIX "meshgate_"

/* ---- Prometheus text ------------------------------------------------------------------ */

enum { L_OTHER, L_HELP, L_TYPE, L_SAMPLE };

struct line {
	const char *p;
	uint32_t len, keylen;
	int fam;
	uint8_t kind;
	bool used;
	double v;
};

struct fam {
	const char *name;
	uint32_t nlen;
	int first, last; /* line indices of the family (help/type and samples) */
	bool emitted;
};

struct doc {
	struct line *lines;
	int nl;
	struct fam *fams;
	int nf;
	int *ht; /* sample line indices by key, -1 = empty */
	uint32_t hmask;
};

struct w {
	char *buf;
	size_t cap, len;
	bool over;
};

static void
put(struct w *o, const char *p, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
put_value(struct w *o, double v)
{
	char b[64];
	int n;

	if (v == floor(v) && fabs(v) < 1e18)
		n = snprintf(b, sizeof(b), "%.0f", v);
	else
		n = snprintf(b, sizeof(b), "%.15g", v);
	put(o, b, (size_t)n);
}

static uint32_t
hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

/* The metric name after "# HELP " or "# TYPE ". */
static void
comment_name(const char *p, size_t len, const char **name, uint32_t *nlen)
{
	size_t i = 7;

	*name = p + i;
	while (i < len && p[i] != ' ')
		i++;
	*nlen = (uint32_t)(p + i - *name);
}

static void
doc_free(struct doc *d)
{
	free(d->lines);
	free(d->fams);
	free(d->ht);
	memset(d, 0, sizeof(*d));
}

static int
doc_parse(struct doc *d, const char *t, size_t len)
{
	size_t i, nlines = 1, nsamples = 0;
	const char *p = t, *end = t + len;
	uint32_t hsize = 16;
	int cur = -1;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < len; i++)
		nlines += t[i] == '\n';
	d->lines = calloc(nlines, sizeof(*d->lines));
	d->fams = calloc(nlines, sizeof(*d->fams));
	if (d->lines == NULL || d->fams == NULL)
		goto nomem;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct line *l = &d->lines[d->nl];

		l->p = p;
		l->len = (uint32_t)n;
		l->fam = -1;
		if (n > 7 && (memcmp(p, "# HELP ", 7) == 0 || memcmp(p, "# TYPE ", 7) == 0)) {
			const char *name;
			uint32_t nlen;

			l->kind = p[2] == 'H' ? L_HELP : L_TYPE;
			comment_name(p, n, &name, &nlen);
			if (cur < 0 || d->fams[cur].nlen != nlen ||
			    memcmp(d->fams[cur].name, name, nlen) != 0) {
				cur = d->nf++;
				d->fams[cur].name = name;
				d->fams[cur].nlen = nlen;
				d->fams[cur].first = d->nl;
			}
			l->fam = cur;
			d->fams[cur].last = d->nl;
		} else if (n > 0 && p[0] != '#') {
			const char *sp = p + n;
			char num[64];
			size_t vl;

			while (sp > p && sp[-1] != ' ')
				sp--;
			vl = (size_t)(p + n - sp);
			if (sp > p + 1 && vl > 0 && vl < sizeof(num)) {
				memcpy(num, sp, vl);
				num[vl] = '\0';
				l->kind = L_SAMPLE;
				l->keylen = (uint32_t)(sp - 1 - p);
				l->v = strtod(num, NULL);
				l->fam = cur;
				if (cur >= 0)
					d->fams[cur].last = d->nl;
				nsamples++;
			}
		}
		d->nl++;
		p += n + (nl != NULL);
	}
	while (hsize < 2 * nsamples)
		hsize <<= 1;
	d->ht = malloc(hsize * sizeof(*d->ht));
	if (d->ht == NULL)
		goto nomem;
	memset(d->ht, 0xff, hsize * sizeof(*d->ht));
	d->hmask = hsize - 1;
	for (i = 0; i < (size_t)d->nl; i++) {
		const struct line *l = &d->lines[i];
		uint32_t h;

		if (l->kind != L_SAMPLE)
			continue;
		h = hash(l->p, l->keylen) & d->hmask;
		while (d->ht[h] >= 0)
			h = (h + 1) & d->hmask;
		d->ht[h] = (int)i;
	}
	return 0;
nomem:
	doc_free(d);
	return -ENOMEM;
}

static struct line *
doc_lookup(struct doc *d, const char *key, uint32_t keylen)
{
	uint32_t h = hash(key, keylen) & d->hmask;

	for (; d->ht[h] >= 0; h = (h + 1) & d->hmask) {
		struct line *l = &d->lines[d->ht[h]];

		if (l->keylen == keylen && memcmp(l->p, key, keylen) == 0)
			return l;
	}
	return NULL;
}

static int
doc_family(const struct doc *d, const char *name, uint32_t nlen)
{
	int i;

	for (i = 0; i < d->nf; i++)
		if (d->fams[i].nlen == nlen && memcmp(d->fams[i].name, name, nlen) == 0)
			return i;
	return -1;
}

static bool
is_max(const char *name, uint32_t nlen, const char *const *max_families)
{
	size_t pl = strlen(PREFIX);

	if (max_families == NULL)
		return false;
	if (nlen >= pl && memcmp(name, PREFIX, pl) == 0) {
		name += pl;
		nlen -= (uint32_t)pl;
	}
	for (; *max_families != NULL; max_families++)
		if (strlen(*max_families) == nlen && memcmp(*max_families, name, nlen) == 0)
			return true;
	return false;
}

/* Writes sample <l> of docs[k] combined with the same key in docs[k+1..n-1]. */
static void
emit_sample(struct w *o, struct doc *docs, int n, int k, struct line *l, bool max)
{
	double v = l->v;
	int j;

	l->used = true;
	for (j = k + 1; j < n; j++) {
		struct line *m = doc_lookup(&docs[j], l->p, l->keylen);

		if (m == NULL || m->used)
			continue;
		m->used = true;
		v = max ? (m->v > v ? m->v : v) : v + m->v;
	}
	put(o, l->p, l->keylen);
	put(o, " ", 1);
	put_value(o, v);
	put(o, "\n", 1);
}

/* Writes family <f> of docs[k]: its comment lines if <head>, then its samples not yet written. */
static void
emit_family(struct w *o, struct doc *docs, int n, int k, int f, const char *const *max_families,
            bool head)
{
	struct doc *d = &docs[k];
	struct fam *fm = &d->fams[f];
	bool max = is_max(fm->name, fm->nlen, max_families);
	int i, j;

	for (i = fm->first; i <= fm->last; i++) {
		struct line *l = &d->lines[i];

		if (l->fam != f)
			continue;
		if (l->kind == L_SAMPLE) {
			if (!l->used)
				emit_sample(o, docs, n, k, l, max);
		} else if (head) {
			put(o, l->p, l->len);
			put(o, "\n", 1);
		}
	}
	fm->emitted = true;
	/* The same family's samples that only later documents have. */
	for (j = k + 1; j < n; j++) {
		int g = doc_family(&docs[j], fm->name, fm->nlen);

		if (g >= 0 && !docs[j].fams[g].emitted)
			emit_family(o, docs, n, j, g, max_families, false);
	}
}

int
mg_metrics_merge(const char *own, size_t own_len, const char *const *others, const size_t *lens,
                 int n, const char *const *max_families, char *out, size_t cap)
{
	struct doc *docs = calloc((size_t)n + 1, sizeof(*docs));
	struct w o = {.buf = out, .cap = cap};
	int i, k, rc = 0;

	if (docs == NULL)
		return -ENOMEM;
	for (k = 0; k <= n && rc == 0; k++)
		rc = doc_parse(&docs[k], k == 0 ? own : others[k - 1],
		               k == 0 ? own_len : lens[k - 1]);
	if (rc != 0)
		goto done;
	/* <own> in its order; lines outside families (other comments) as they are. */
	for (i = 0; i < docs[0].nl; i++) {
		struct line *l = &docs[0].lines[i];

		if (l->fam >= 0) {
			if (!docs[0].fams[l->fam].emitted)
				emit_family(&o, docs, n + 1, 0, l->fam, max_families, true);
		} else if (l->kind == L_SAMPLE) {
			if (!l->used)
				emit_sample(&o, docs, n + 1, 0, l, false);
		} else if (l->len > 0) {
			put(&o, l->p, l->len);
			put(&o, "\n", 1);
		}
	}
	/* Families only other workers have. */
	for (k = 1; k <= n; k++)
		for (i = 0; i < docs[k].nf; i++)
			if (!docs[k].fams[i].emitted)
				emit_family(&o, docs, n + 1, k, i, max_families, true);
	rc = o.over ? -ENOSPC : (int)o.len;
done:
	for (k = 0; k <= n; k++)
		doc_free(&docs[k]);
	free(docs);
	return rc;
}

/* ---- /stats JSON ---------------------------------------------------------------------- */

struct jmerge {
	const struct mg_json_doc *own;
	const struct mg_json_doc *others;
	int n;
	const char *const *keep_keys, *const *keep_top;
	struct w o;
	size_t pos; /* <own>'s text is copied up to here */
};

static bool
in_list(const char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool
num_is_int(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0 && n < 20;
}

static void
merge_number(struct jmerge *m, int tok, const int *oth)
{
	const struct mg_json_tok *t = &m->own->toks[tok];
	const char *p = m->own->text + t->start;
	size_t len = t->end - t->start;
	bool all_int = num_is_int(p, len);
	uint64_t su = all_int ? strtoull(p, NULL, 10) : 0;
	double sd = strtod(p, NULL);
	char b[64];
	int k, nb;

	for (k = 0; k < m->n; k++) {
		const struct mg_json_doc *d = &m->others[k];
		const char *q;
		size_t ql;

		if (oth[k] < 0 || mg_json_type(d, oth[k]) != MG_JSON_NUMBER)
			continue;
		q = d->text + d->toks[oth[k]].start;
		ql = d->toks[oth[k]].end - d->toks[oth[k]].start;
		if (all_int && num_is_int(q, ql))
			su += strtoull(q, NULL, 10);
		else
			all_int = false;
		sd += strtod(q, NULL);
	}
	put(&m->o, m->own->text + m->pos, t->start - m->pos);
	nb = all_int ? snprintf(b, sizeof(b), "%" PRIu64, su) : snprintf(b, sizeof(b), "%.15g", sd);
	put(&m->o, b, (size_t)nb);
	m->pos = t->end;
}

static void
merge_value(struct jmerge *m, int tok, const int *oth, bool keep, int depth)
{
	enum mg_json_type ty = mg_json_type(m->own, tok);
	int *sub = calloc((size_t)m->n + 1, sizeof(int));
	int k;

	if (sub == NULL) {
		m->o.over = true;
		return;
	}
	if (ty == MG_JSON_NUMBER && !keep) {
		merge_number(m, tok, oth);
	} else if (ty == MG_JSON_OBJECT) {
		int key;

		for (key = mg_json_member_first(m->own, tok); key >= 0;
		     key = mg_json_member_next(m->own, key)) {
			char name[128];
			bool kp = keep;

			if (mg_json_str_decode(m->own, key, name, sizeof(name), NULL) != 0)
				continue;
			kp = kp || in_list(m->keep_keys, name) ||
			     (depth == 0 && in_list(m->keep_top, name));
			for (k = 0; k < m->n; k++)
				sub[k] =
				    oth[k] >= 0 ? mg_json_obj_get(&m->others[k], oth[k], name) : -1;
			merge_value(m, key + 1, sub, kp, depth + 1);
		}
	} else if (ty == MG_JSON_ARRAY) {
		int e, i = 0;

		for (e = mg_json_elem_first(m->own, tok); e >= 0;
		     e = mg_json_elem_next(m->own, e)) {
			for (k = 0; k < m->n; k++)
				sub[k] =
				    oth[k] >= 0 ? mg_json_arr_get(&m->others[k], oth[k], i) : -1;
			merge_value(m, e, sub, keep, depth + 1);
			i++;
		}
	}
	free(sub);
}

int
mg_stats_merge(const char *own, size_t own_len, const char *const *others, const size_t *lens,
               int n, const char *const *keep_keys, const char *const *keep_top, char *out,
               size_t cap)
{
	struct mg_json_errors *errs = malloc(sizeof(*errs));
	struct mg_json_doc *docs = calloc((size_t)n + 1, sizeof(*docs));
	int *roots = calloc((size_t)n + 1, sizeof(int));
	struct jmerge m;
	int k, rc;

	if (errs == NULL || docs == NULL || roots == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	for (k = 0; k <= n; k++) {
		mg_json_errors_init(errs, NULL);
		rc = mg_json_parse(&docs[k], k == 0 ? own : others[k - 1],
		                   k == 0 ? own_len : lens[k - 1], errs);
		if (k > 0)
			roots[k - 1] = rc == 0 ? 0 : -1;
		else if (rc != 0) {
			rc = -EINVAL;
			goto done;
		}
	}
	memset(&m, 0, sizeof(m));
	m.own = &docs[0];
	m.others = &docs[1];
	m.n = n;
	m.keep_keys = keep_keys;
	m.keep_top = keep_top;
	m.o.buf = out;
	m.o.cap = cap;
	merge_value(&m, 0, roots, false, 0);
	put(&m.o, own + m.pos, own_len - m.pos);
	rc = m.o.over ? -ENOSPC : (int)m.o.len;
done:
	for (k = 0; docs != NULL && k <= n; k++)
		mg_json_doc_free(&docs[k]);
	free(docs);
	free(roots);
	free(errs);
	return rc;
}
