/*
 * Summing several workers' /metrics text and /stats JSON (gateway/obs/mg_merge.c).
 */
#include <string.h>

#include "gateway/obs/mg_merge.h"
#include "tests/unit/mgtest.h"

static const char *const max_fams[] = {"config_generation", NULL};

MG_TEST(merge_metrics_sums_counters_and_keeps_families_together)
{
	const char *own = "# HELP meshgate_config_generation Gen.\n"
	                  "# TYPE meshgate_config_generation gauge\n"
	                  "meshgate_config_generation 3\n"
	                  "# HELP meshgate_responses_total Responses.\n"
	                  "# TYPE meshgate_responses_total counter\n"
	                  "meshgate_responses_total{code_class=\"2xx\"} 10\n"
	                  "# HELP meshgate_worker_loops_total Loops.\n"
	                  "# TYPE meshgate_worker_loops_total counter\n"
	                  "meshgate_worker_loops_total{worker=\"0\"} 100\n";
	const char *w1 = "# HELP meshgate_config_generation Gen.\n"
	                 "# TYPE meshgate_config_generation gauge\n"
	                 "meshgate_config_generation 3\n"
	                 "# HELP meshgate_responses_total Responses.\n"
	                 "# TYPE meshgate_responses_total counter\n"
	                 "meshgate_responses_total{code_class=\"2xx\"} 5\n"
	                 "meshgate_responses_total{code_class=\"5xx\"} 2\n"
	                 "# HELP meshgate_worker_loops_total Loops.\n"
	                 "# TYPE meshgate_worker_loops_total counter\n"
	                 "meshgate_worker_loops_total{worker=\"1\"} 50\n"
	                 "# HELP meshgate_only_one Only in worker 1.\n"
	                 "# TYPE meshgate_only_one gauge\n"
	                 "meshgate_only_one 1.5\n";
	const char *want = "# HELP meshgate_config_generation Gen.\n"
	                   "# TYPE meshgate_config_generation gauge\n"
	                   "meshgate_config_generation 3\n"
	                   "# HELP meshgate_responses_total Responses.\n"
	                   "# TYPE meshgate_responses_total counter\n"
	                   "meshgate_responses_total{code_class=\"2xx\"} 15\n"
	                   "meshgate_responses_total{code_class=\"5xx\"} 2\n"
	                   "# HELP meshgate_worker_loops_total Loops.\n"
	                   "# TYPE meshgate_worker_loops_total counter\n"
	                   "meshgate_worker_loops_total{worker=\"0\"} 100\n"
	                   "meshgate_worker_loops_total{worker=\"1\"} 50\n"
	                   "# HELP meshgate_only_one Only in worker 1.\n"
	                   "# TYPE meshgate_only_one gauge\n"
	                   "meshgate_only_one 1.5\n";
	const char *others[] = {w1};
	size_t lens[] = {strlen(w1)};
	char out[2048];
	int n;

	n = mg_metrics_merge(own, strlen(own), others, lens, 1, max_fams, out, sizeof(out));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out, want);
	/* No other worker: the text as it is. */
	n = mg_metrics_merge(own, strlen(own), NULL, NULL, 0, max_fams, out, sizeof(out));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out, own);
	MG_EXPECT_EQ_INT(mg_metrics_merge(own, strlen(own), others, lens, 1, max_fams, out, 20),
	                 -28 /* -ENOSPC */);
}

MG_TEST(merge_stats_sums_numbers_by_path)
{
	const char *own = "{\"ports\":[{\"name\":\"eth0\",\"rx_packets\":10,\"link_up\":true}],"
	                  "\"tcp\":{\"active\":2},\"routing\":{\"generation\":4,\"ok\":7},"
	                  "\"worker\":{\"index\":0,\"loops\":5}}\n";
	const char *w1 = "{\"ports\":[{\"name\":\"eth0\",\"rx_packets\":32,\"link_up\":true}],"
	                 "\"tcp\":{\"active\":3},\"routing\":{\"generation\":4,\"ok\":1},"
	                 "\"worker\":{\"index\":1,\"loops\":9}}\n";
	const char *want = "{\"ports\":[{\"name\":\"eth0\",\"rx_packets\":42,\"link_up\":true}],"
	                   "\"tcp\":{\"active\":5},\"routing\":{\"generation\":4,\"ok\":8},"
	                   "\"worker\":{\"index\":0,\"loops\":5}}\n";
	static const char *const keep_keys[] = {"generation", NULL};
	static const char *const keep_top[] = {"worker", NULL};
	const char *others[] = {w1, "not json"};
	size_t lens[] = {strlen(w1), 8};
	char out[1024];
	int n;

	n = mg_stats_merge(own, strlen(own), others, lens, 2, keep_keys, keep_top, out,
	                   sizeof(out));
	MG_ASSERT(n > 0);
	out[n] = '\0';
	MG_EXPECT_STR(out, want);
}
