/* libFuzzer target: a hostile vhost-user front-end, down to the rings it
 * sets up. The input is a guest memory image (MEM_IMAGE bytes) followed by
 * a stream of messages (a byte choosing how many fds came with it, then
 * header + payload) as they would arrive on the socket. Each message that
 * decodes is handled by a back-end serving a device with two queues. The
 * fds of SET_MEM_TABLE are memfds holding the memory image, so the table
 * really maps; SET_LOG_BASE's is a fresh memfd of LOG_FD_SIZE zeroes, so
 * the dirty log really maps; the others are eventfds, as kick, call and
 * error fds must be. A ring that starts is drained as a device would: every
 * chain the virtqueue accepts is checked to lie inside mapped guest memory,
 * touched, and completed (which sets log bits when logging is on). After
 * each message the last log fd is checked: no byte outside the range the
 * message gave (offset, size) may have been written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "cards/vhost/backend.h"
#include "vhost/msg.h"

#include "fuzz_pop.h"

#define MEM_IMAGE 2048
#define MEM_SIZE  65536 /* each memfd; the image is at its start */
#define LOG_FD_SIZE 8192

/* The last SET_LOG_BASE's fd (our copy) and the range it named. */
static int log_fd = -1;
static uint64_t log_off, log_size;

static const uint8_t *image;

static void get_config(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	memset(buf, 0xab, len);
}

static void set_features(void *dev, uint64_t f)
{
	(void)dev;
	(void)f;
}

static bool inside(const struct gmem *m, const struct iovec *v)
{
	const uint8_t *p = v->iov_base;

	for (unsigned i = 0; i < m->nr; i++)
		if (p >= m->r[i].hva && v->iov_len <= m->r[i].size &&
		    (uint64_t)(p - m->r[i].hva) <= m->r[i].size - v->iov_len)
			return true;
	return false;
}

/* Drains the ring: at most two rounds of it, since the fuzzer's ring
 * never changes while it is read. */
static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	static struct iovec iov[64];
	struct virtq_chain c = { .iov = iov, .cap = 64 };

	(void)dev;
	(void)idx;
	(void)e;
	for (unsigned n = 0; n < 2 * q->num && fuzz_pop(q, &c); n++) {
		for (unsigned i = 0; i < c.nr_out + c.nr_in; i++) {
			if (!inside(q->mem, &iov[i]))
				abort();
			if (iov[i].iov_len) {
				volatile uint8_t *p = iov[i].iov_base;
				p[iov[i].iov_len - 1] = p[0];
			}
		}
		virtq_push(q, &c, (uint32_t)c.in_len);
	}
	virtq_notify(q);
	return 0;
}

static void queue_stop(void *dev, unsigned idx, struct virtq *q)
{
	(void)dev; (void)idx; (void)q;
}

static const struct vu_device_ops ops = {
	.get_config = get_config, .set_features = set_features,
	.queue_start = queue_start, .queue_stop = queue_stop,
};

static const struct vu_device dev = {
	.ops = &ops, .features = 0x1300000000ULL | 0xffff,
	.protocol_features = VU_BACKEND_PROTOCOL_FEATURES, .nr_queues = 2,
	.config_size = 60,
};

/* A fresh memfd holding the memory image, as a front-end's guest RAM. */
static int memory_fd(void)
{
	int fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, MEM_SIZE) < 0 ||
	    pwrite(fd, image, MEM_IMAGE, 0) != MEM_IMAGE)
		abort();
	return fd;
}

/* A fresh, zeroed log fd for a SET_LOG_BASE naming [off, off + size). */
static int new_log_fd(uint64_t off, uint64_t size)
{
	int fd = memfd_create("fuzz-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, LOG_FD_SIZE) < 0)
		abort();
	if (log_fd >= 0)
		close(log_fd);
	log_fd = dup(fd);
	log_off = off;
	log_size = size;
	return fd;
}

/* Aborts if the card wrote the log fd outside the range it was given. */
static void check_log_fd(void)
{
	static uint8_t buf[LOG_FD_SIZE];

	if (log_fd < 0)
		return;
	if (pread(log_fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		abort();
	for (uint64_t i = 0; i < sizeof(buf); i++)
		if (buf[i] && (i < log_off || i - log_off >= log_size))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	struct vu_backend b;
	char sink[4096];

	if (sv[0] < 0) {
		log_init("fuzz", LOG_ERROR);
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	}
	if (size < MEM_IMAGE)
		return 0;
	image = data;
	data += MEM_IMAGE;
	size -= MEM_IMAGE;
	vu_backend_init(&b, &dev);
	b.sock = sv[0];
	while (size > 1 + sizeof(struct vhost_user_header) && !b.broken) {
		unsigned nfds = data[0] % 4;
		struct vhost_user_header h;
		struct vu_msg m;

		memcpy(&h, data + 1, sizeof(h));
		size_t len = sizeof(h) + (h.size < 512 ? h.size : 512);
		if (len > size - 1)
			len = size - 1;
		if (vu_msg_parse(&m, data + 1, len, nfds, NULL) == 0) {
			bool memory = m.hdr.request == VHOST_USER_SET_MEM_TABLE;
			bool log = m.hdr.request == VHOST_USER_SET_LOG_BASE;
			for (unsigned i = 0; i < m.nfds; i++)
				m.fds[i] = memory ? memory_fd() :
					   log ? new_log_fd(m.p.log.mmap_offset, m.p.log.mmap_size) :
					   eventfd(0, EFD_CLOEXEC);
			vu_backend_handle(&b, &m, NULL);
			check_log_fd();
		}
		data += 1 + len;
		size -= 1 + len;
		/* Drain replies so the socket never fills. */
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	vu_backend_reset(&b);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	return 0;
}
