#include "fake_backend.h"

#include <string.h>

static int be_start(void *ctx, uint64_t features, struct virtio_queue *q, unsigned n,
		    struct azerr *e)
{
	struct fake_backend *b = ctx;

	if (b->fail_start)
		return azerr_set(e, "backend says no");
	b->starts++;
	b->start_features = features;
	memcpy(b->started_q, q, (n < 4 ? n : 4) * sizeof(*q));
	return 0;
}

static void be_stop(void *ctx)
{
	((struct fake_backend *)ctx)->stops++;
}

static void be_cfg_read(void *ctx, unsigned off, void *data, unsigned len)
{
	memcpy(data, ((struct fake_backend *)ctx)->config + off, len);
}

static void be_cfg_write(void *ctx, unsigned off, const void *data, unsigned len)
{
	memcpy(((struct fake_backend *)ctx)->config + off, data, len);
}

const struct virtio_backend_ops fake_backend_ops = {
	.start = be_start, .stop = be_stop,
	.config_read = be_cfg_read, .config_write = be_cfg_write,
};
