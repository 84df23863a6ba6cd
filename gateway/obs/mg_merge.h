/*
 * Summing the counters of several shared-nothing workers (docs/PERFORMANCE.md, "Multi-core").
 *
 * Each worker renders its own /metrics text and /stats JSON; the worker that answers an admin
 * request merges its fresh rendering with the other workers' last published snapshots.  Both
 * functions are pure (no global state) so that they can be tested alone.
 */
#ifndef MG_MERGE_H
#define MG_MERGE_H

#include <stddef.h>

/*
 * mg_metrics_merge() writes into <out> (<cap> bytes) the Prometheus text <own> (<own_len>
 * bytes) with every sample's value added to the samples of the same name and labels in the
 * <n> texts <others> (<lens> bytes each).  Samples of gauge families named in <max_families>
 * (NULL-terminated, names without the "meshgate_" prefix) take the largest value instead of
 * the sum (configuration generation, uptime, ...).  Samples only other workers have are
 * written with their family, which keeps each family's samples together.  Returns the length
 * written, or -ENOSPC (-ENOMEM when memory ran out).
 */
int mg_metrics_merge(const char *own, size_t own_len, const char *const *others, const size_t *lens,
                     int n, const char *const *max_families, char *out, size_t cap);

/*
 * mg_stats_merge() writes into <out> the JSON object <own> with every number replaced by its
 * sum with the number at the same path (a.b[2].c) in each of the <n> JSON objects <others>;
 * numbers whose key is in <keep_keys> (NULL-terminated) or that lie under a top-level member
 * named in <keep_top> (NULL-terminated, e.g. "worker") keep <own>'s value.  A document that does
 * not parse is ignored.  Returns the length written, or -ENOSPC, or -EINVAL when <own> does
 * not parse.
 */
int mg_stats_merge(const char *own, size_t own_len, const char *const *others, const size_t *lens,
                   int n, const char *const *keep_keys, const char *const *keep_top, char *out,
                   size_t cap);

#endif /* MG_MERGE_H */
