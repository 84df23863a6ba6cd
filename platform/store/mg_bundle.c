/*
 * Config bundles: see mg_bundle.h for the format.
 */
#include <errno.h>
#include <string.h>

#include "platform/store/mg_bundle.h"

int
mg_bundle_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > MG_BUNDLE_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
mg_bundle_is_bundle(const void *buf, size_t len)
{
	return len >= 4 && memcmp(buf, MG_BUNDLE_MAGIC, 4) == 0;
}

int
mg_bundle_parse(const void *buf, size_t len, struct mg_bundle_file *files)
{
	const uint8_t *p = buf;
	size_t off = 4, nlen, dlen;
	int n = 0, i;

	if (!mg_bundle_is_bundle(buf, len))
		return -EINVAL;
	while (off < len) {
		if (len - off < 6)
			return -EINVAL;
		nlen = (size_t)p[off] | (size_t)p[off + 1] << 8;
		dlen = (size_t)p[off + 2] | (size_t)p[off + 3] << 8 | (size_t)p[off + 4] << 16 |
		       (size_t)p[off + 5] << 24;
		off += 6;
		if (len - off < nlen || !mg_bundle_name_ok((const char *)p + off, nlen))
			return -EINVAL;
		if (n == MG_BUNDLE_FILES)
			return -E2BIG;
		memcpy(files[n].name, p + off, nlen);
		files[n].name[nlen] = '\0';
		off += nlen;
		if (len - off < dlen)
			return -EINVAL;
		files[n].data = p + off;
		files[n].len = dlen;
		off += dlen;
		for (i = 0; i < n; i++)
			if (strcmp(files[i].name, files[n].name) == 0)
				return -EINVAL;
		n++;
	}
	return n;
}

int
mg_bundle_put(uint8_t *buf, size_t cap, size_t *off, const char *name, const void *data, size_t len)
{
	size_t nlen = strlen(name);

	if (!mg_bundle_name_ok(name, nlen) || len > UINT32_MAX)
		return -EINVAL;
	if (*off == 0) {
		if (cap < 4)
			return -ENOSPC;
		memcpy(buf, MG_BUNDLE_MAGIC, 4);
		*off = 4;
	}
	if (*off > cap || cap - *off < 6 || cap - *off - 6 < nlen || cap - *off - 6 - nlen < len)
		return -ENOSPC;
	buf[*off] = nlen & 0xff;
	buf[*off + 1] = (nlen >> 8) & 0xff;
	buf[*off + 2] = len & 0xff;
	buf[*off + 3] = (len >> 8) & 0xff;
	buf[*off + 4] = (len >> 16) & 0xff;
	buf[*off + 5] = (len >> 24) & 0xff;
	memcpy(buf + *off + 6, name, nlen);
	if (len > 0)
		memcpy(buf + *off + 6 + nlen, data, len);
	*off += 6 + nlen + len;
	return 0;
}
