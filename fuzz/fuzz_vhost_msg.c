/* libFuzzer target: a hostile vhost-user front-end. The input is a stream
 * of messages (header + payload) as they would arrive on the socket; each
 * is decoded, and those that decode are handled by a back-end serving a
 * device with two queues. Placeholder fds are eventfds, so memory tables
 * fail to map but every other path runs. The first byte of each message
 * chooses how many fds came with it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "vhost/backend.h"
#include "vhost/msg.h"

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

static int queue_start(void *dev, unsigned idx, struct virtq *q, struct azerr *e)
{
	(void)dev; (void)idx; (void)q; (void)e;
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
			for (unsigned i = 0; i < m.nfds; i++)
				m.fds[i] = eventfd(0, EFD_CLOEXEC);
			vu_backend_handle(&b, &m, NULL);
		}
		data += 1 + len;
		size -= 1 + len;
		/* Drain replies so the socket never fills. */
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	vu_backend_reset(&b);
	return 0;
}
