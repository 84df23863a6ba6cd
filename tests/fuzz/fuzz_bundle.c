/*
 * libFuzzer target: config bundles (platform/store/mg_bundle.c), which arrive from EC2
 * user-data and the config partition.
 *
 * Beyond not crashing: every file's name is acceptable and its data lies inside the input,
 * and a bundle that parses is rebuilt byte for byte by mg_bundle_put() from its files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/store/mg_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_bundle_file files[MG_BUNDLE_FILES];
	uint8_t *in = malloc(size > 0 ? size : 1), *out;
	size_t off = 0;
	int n, i;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	n = mg_bundle_parse(in, size, files);
	if (n >= 0) {
		out = malloc(size > 0 ? size : 1);
		if (out == NULL)
			abort();
		for (i = 0; i < n; i++) {
			if (!mg_bundle_name_ok(files[i].name, strlen(files[i].name)) ||
			    files[i].data < in || files[i].data + files[i].len > in + size)
				abort();
			if (mg_bundle_put(out, size, &off, files[i].name, files[i].data,
			                  files[i].len) != 0)
				abort();
		}
		if (n == 0 ? size != 4 : off != size || memcmp(out, in, size) != 0)
			abort(); /* a bundle without files is the magic alone */
		free(out);
	}
	free(in);
	return 0;
}
