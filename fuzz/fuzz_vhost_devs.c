/* libFuzzer target: vhost_devs_restore (vmm/vhost_devs_state.c), a
 * snapshot's card sections taken up by a new VM: every device's
 * card-rings, card-config and card-net-pairs against its transport, loaded
 * from the same snapshot's virtio-device section, and the guest memory
 * saved with it (the used rings' indices). A snapshot file and its memory
 * file are user input.
 *
 * A VM of four devices (a block device of 2 queues, a net device of 2
 * pairs and the control queue, a pmem device whose configuration the VM
 * computes, a balloon whose configuration is the card's) is driven by its
 * guest, saved by the real savers (vhost_devs_save, virtio_dev_save) with
 * the cards stand-ins (tests/unit/fake_card.h: no process), then edited
 * and loaded into a new VM of the same devices as a load does
 * (virtio_dev_load, then vhost_devs_restore). What loads must hold what
 * the cards are given: each started card's enabled rings of a power-of-2
 * size within the maximum, aligned, where the transport shows them, from
 * the avail index the memory's used ring stands at; a pmem configuration
 * the VM's; a net card's pairs 1 to its own. And what loads must save
 * again.
 *
 * Input: byte 0, 2 bits a device: what its driver did before the save
 * (0 nothing, 1 negotiated and enabled its queues, 2 ran them, 3 ran them
 * and set FAILED); byte 1 the requests completed on each ring (the used
 * index); the rest edits the sections, in the save's order (per device
 * card-rings, card-config, card-net-pairs for the net device that ran;
 * then the four virtio-device sections), and the memory (op bit 7: the
 * bytes XORed at page section + offset), as fuzz_sections.h says. Seeds
 * (fuzz/corpus/fuzz_vhost_devs): the scenarios as saved, and a few
 * edits. */
#include <linux/virtio_net.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/fake_card.h"
#include "common/log.h"
#include "fuzz_sections.h"
#include "virtio/virtio.h"
#include "vmm/card_rings.h"
#include "vmm/device_kind.h"
#include "vmm/vhost_devs_state.h"
#include "vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_DEVS  4
#define RAM_SIZE (1u << 20)
#define VERSION_1 (1ULL << VIRTIO_F_VERSION_1)

static const struct device_kind blk = { .name = "blk", .virtio_id = VIRTIO_ID_BLOCK };
static const struct device_kind pmem = {
	.name = "pmem", .virtio_id = VIRTIO_ID_PMEM, .config_size = 16,
	.config_fixed = "where its region is",
};
static const struct device_kind balloon = {
	.name = "balloon", .virtio_id = VIRTIO_ID_BALLOON, .config_size = 8,
};

static const struct {
	const struct device_kind *kind;
	unsigned nr_queues;
	uint64_t features;
} devs[NR_DEVS] = {
	{ &blk, 2, VERSION_1 },
	{ &device_kind_net, 5,
	  VERSION_1 | (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ) },
	{ &pmem, 1, VERSION_1 },
	{ &balloon, 3, VERSION_1 | (1ULL << VIRTIO_F_IN_ORDER) },
};

struct machine {
	struct vm vm;
	struct vhost_dev devs[NR_DEVS];
	struct virtio_dev vds[NR_DEVS];
	struct fake_card cards[NR_DEVS];
	uint8_t *ram;
};

struct fake_card *fake_card_of(struct vhost_dev *d)
{
	struct machine *m = (struct machine *)((char *)d->vm - offsetof(struct machine, vm));

	return &m->cards[d - m->devs];
}

/* Queue q of device i: its descriptor table; avail 0x1000, used 0x2000 on. */
static uint64_t ring(unsigned i, unsigned q)
{
	return 0x20000ULL * (i + 1) + 0x4000ULL * q;
}

static uint16_t used_idx(const struct machine *m, uint64_t used)
{
	uint16_t v;

	memcpy(&v, m->ram + used + 2, 2);
	return v;
}

/* ram: RAM_SIZE bytes, allocated once (a fresh allocation's page faults
 * would take most of each run). */
static void machine_init(struct machine *m, uint8_t *ram)
{
	struct azerr e;

	memset(m, 0, sizeof(*m));
	m->ram = ram;
	memset(ram, 0, RAM_SIZE);
	m->vm.mem = (struct guest_mem){
		.ram_size = RAM_SIZE, .fd = -1, .nr_regions = 1,
		.regions = { { .gpa = 0, .size = RAM_SIZE, .hva = m->ram } },
	};
	m->vm.devs = m->devs;
	m->vm.nr_devs = NR_DEVS;
	for (unsigned i = 0; i < NR_DEVS; i++) {
		fake_card_init(&m->cards[i]);
		if (fake_card_dev_init(&m->devs[i], &m->vds[i], &m->vm, devs[i].kind,
				       devs[i].nr_queues, devs[i].features, &e) < 0)
			abort();
	}
}

static void machine_fini(struct machine *m)
{
	for (unsigned i = 0; i < NR_DEVS; i++)
		virtio_dev_destroy(&m->vds[i]);
}

/* Device i as its driver left it (what, byte 0's 2 bits), done requests
 * completed on each ring it ran and 2 more made available. */
static void drive(struct machine *m, unsigned i, unsigned what, uint16_t done)
{
	struct virtio_dev *vd = &m->vds[i];

	if (!what)
		return;
	fake_driver_negotiate(vd, devs[i].features);
	for (unsigned q = 0; q < devs[i].nr_queues; q++)
		fake_driver_enable_queue(vd, q, ring(i, q));
	if (what == 1)
		return;
	for (unsigned q = 0; q < devs[i].nr_queues; q++) {
		uint16_t made = (uint16_t)(done + 2);
		memcpy(m->ram + ring(i, q) + 0x1002, &made, 2);
		memcpy(m->ram + ring(i, q) + 0x2002, &done, 2);
		m->cards[i].stop_at[q] = done;
	}
	m->cards[i].pairs = 2;
	virtio_dev_write_status(vd, 0x0f);
	if (what == 3)
		virtio_dev_write_status(vd, 0x0f | VIRTIO_STATUS_FAILED);
}

/* The snapshot's memory edited: n bytes XORed at page sel + off. */
static void poke_ram(void *ctx, uint8_t sel, uint16_t off, const uint8_t *bytes, size_t n)
{
	uint8_t *ram = ctx;
	size_t at = ((size_t)sel * 0x1000 + off) % RAM_SIZE;

	for (size_t i = 0; i < n && at + i < RAM_SIZE; i++)
		ram[at + i] ^= bytes[i];
}

/* What the new cards were given. */
static void check_restored(struct machine *n)
{
	for (unsigned i = 0; i < NR_DEVS; i++) {
		struct vhost_dev *d = &n->devs[i];
		const struct virtio_dev *vd = d->vd;
		const struct fake_card *c = &n->cards[i];

		if (d->kind->config_fixed && memcmp(d->config, (uint8_t[16]){
				[0 ... 15] = 0x5a }, d->config_size))
			abort();
		if (c->pairs < 1 || c->pairs > 2 || (c->pairs_calls && !c->pairs_asked))
			abort();
		/* A transport that serves its driver has a card behind it, or
		 * the guest's requests would wait for ever. */
		if (virtio_dev_serving(vd) != d->started)
			abort();
		if (!d->started)
			continue;
		if (!(vd->status & VIRTIO_STATUS_DRIVER_OK))
			abort();
		for (unsigned q = 0; q < vd->p.nr_queues; q++) {
			const struct virtio_queue *vq = &vd->queues[q];
			if (!vq->enabled)
				continue;
			if (!vq->size || vq->size > vd->p.queue_max_size ||
			    (vq->size & (vq->size - 1)) || vq->desc % 16 || vq->driver % 2 ||
			    vq->device % 4 || vq->device + 6 + 8ULL * vq->size > RAM_SIZE)
				abort();
			if (!(vd->driver_features & (1ULL << VIRTIO_F_IN_ORDER)) &&
			    c->started_at[q] != used_idx(n, vq->device))
				abort();
		}
	}
}

/* What loaded saves again, each card stopping where it started. */
static void save_again(struct machine *n)
{
	struct state_set s;
	struct azerr e = { "" };

	for (unsigned i = 0; i < NR_DEVS; i++)
		memcpy(n->cards[i].stop_at, n->cards[i].started_at, sizeof(n->cards[i].stop_at));
	state_set_init(&s);
	if (vhost_devs_save(&n->vm, &s, &e) < 0)
		abort();
	state_set_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct machine m, n;
	static uint8_t *ram[2];
	struct state_set s;
	struct azerr e = { "" };

	if (size < 2)
		return 0;
	log_set_level(LOG_ERROR);
	for (int i = 0; i < 2; i++)
		if (!ram[i] && !(ram[i] = malloc(RAM_SIZE)))
			abort();
	machine_init(&m, ram[0]);
	for (unsigned i = 0; i < NR_DEVS; i++)
		drive(&m, i, data[0] >> (2 * i) & 3, (uint16_t)(data[1] * 257u + i));
	state_set_init(&s);
	if (vhost_devs_save(&m.vm, &s, &e) < 0)
		abort();
	for (unsigned i = 0; i < NR_DEVS; i++)
		if (virtio_dev_save(&m.vds[i], &s, i, &e) < 0)
			abort();
	fuzz_sections_edit(&s, data + 2, size - 2, poke_ram, m.ram);

	machine_init(&n, ram[1]);
	memcpy(n.ram, m.ram, RAM_SIZE);
	int ret = 0;
	for (unsigned i = 0; i < NR_DEVS && !ret; i++)
		ret = virtio_dev_load(&n.vds[i], &s, i, &n.vm.mem, &e);
	if (!ret && vhost_devs_restore(&n.vm, &s, &e) == 0) {
		check_restored(&n);
		save_again(&n);
	} else if (!e.msg[0]) {
		abort();
	}
	machine_fini(&n);
	machine_fini(&m);
	state_set_free(&s);
	return 0;
}
