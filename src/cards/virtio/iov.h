/* Small helpers over iovec arrays that describe guest buffers. */
#ifndef AZOTE_CARDS_VIRTIO_IOV_H
#define AZOTE_CARDS_VIRTIO_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies up to len bytes starting skip bytes into iov to buf; returns the
 * number copied (less than len if iov is shorter). */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf,
		  size_t len);

/* Copies up to len bytes of buf into iov starting skip bytes in; returns
 * the number copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip,
		    const void *buf, size_t len);

/* Makes dst describe bytes [skip, skip+len) of src. Returns the number of
 * entries used, or -1 if src is shorter or dst has too few entries. */
int iov_slice(const struct iovec *src, unsigned n, uint64_t skip, uint64_t len,
	      struct iovec *dst, unsigned cap);

#endif
