/* A virtio backend for transport tests: records what the transport asked
 * of it (starts with their features and queues, stops) and keeps a small
 * device configuration. */
#ifndef AZOTE_TESTS_FAKE_BACKEND_H
#define AZOTE_TESTS_FAKE_BACKEND_H

#include <stdint.h>

#include "devices/virtio_dev.h"

struct fake_backend {
	int starts, stops, fail_start;
	uint64_t start_features;
	struct virtio_queue started_q[4];
	uint8_t config[16];
};

/* ctx: a struct fake_backend. */
extern const struct virtio_backend_ops fake_backend_ops;

#endif
