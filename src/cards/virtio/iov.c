#include "cards/virtio/iov.h"

#include <string.h>

/* Walks iov from byte skip, calling copy on each piece of up to len bytes. */
static size_t iov_walk(const struct iovec *iov, unsigned n, size_t skip,
		       uint8_t *buf, size_t len, int to_buf)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t chunk = l - skip < len - done ? l - skip : len - done;
		uint8_t *p = (uint8_t *)iov[i].iov_base + skip;
		if (to_buf)
			memcpy(buf + done, p, chunk);
		else
			memcpy(p, buf + done, chunk);
		done += chunk;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf,
		  size_t len)
{
	return iov_walk(iov, n, skip, buf, len, 1);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip,
		    const void *buf, size_t len)
{
	return iov_walk(iov, n, skip, (uint8_t *)buf, len, 0);
}

int iov_slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
	      struct iovec *dst, unsigned cap)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n && len; i++) {
		uint64_t l = src[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		if (out == cap)
			return -1;
		uint64_t chunk = l - skip < len ? l - skip : len;
		dst[out].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[out].iov_len = chunk;
		out++;
		len -= chunk;
		skip = 0;
	}
	return len ? -1 : (int)out;
}
