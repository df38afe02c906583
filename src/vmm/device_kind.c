#include "vmm/device_kind.h"

const struct device_kind *const device_kinds[DEVICE_NR_KINDS] = {
	&device_kind_blk, &device_kind_net, &device_kind_vsock, &device_kind_rng,
	&device_kind_balloon, &device_kind_pmem,
};
