/* vmm/vhost_devs_state.c: a device's card rings saved, resumed in the same
 * VM and restored into a new one, against its transport (devices/
 * virtio_dev.c, linked) loaded from the same snapshot and the guest RAM
 * saved with it. Whatever state a guest can reach must snapshot and load;
 * a section only an edited file could hold is refused by name.
 *
 * The card side of vmm/vhost_dev.c is a stand-in (fake_card.h: the test
 * links no vhost-user). */
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "fake_card.h"
#include "state_fixture.h"
#include "vmm/card_rings.h"
#include "vmm/card_update.h"
#include "vmm/vhost_devs_state.h"
#include "vmm/vm.h"

#define RAM_SIZE     (1u << 20)
#define NR_QUEUES    2
#define NET_QUEUES   5            /* a net device's 2 pairs and control queue */
#define DEV_FEATURES (1ULL << VIRTIO_F_VERSION_1)
#define NET_MQ       ((1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ))
#define RING0        0x10000ULL   /* queue 0: desc, +0x1000 avail, +0x2000 used */
#define RING1        0x20000ULL   /* queue 1, the same */

struct machine {
	struct vm vm;
	struct vhost_dev dev;
	struct virtio_dev vd;
	struct fake_card card;
	uint8_t *ram;
};

static const struct device_kind blk = { .name = "blk", .virtio_id = VIRTIO_ID_BLOCK };
/* A kind whose configuration the VM computes (pmem's placement). */
static const struct device_kind fixed = {
	.name = "pmem", .virtio_id = VIRTIO_ID_PMEM, .config_size = 16,
	.config_fixed = "where its region is",
};

struct fake_card *fake_card_of(struct vhost_dev *d)
{
	return &((struct machine *)((char *)d - offsetof(struct machine, dev)))->card;
}

static void machine_init(struct machine *m, const struct device_kind *k)
{
	struct azerr e = { "" };
	bool is_net = k == &device_kind_net;

	memset(m, 0, sizeof(*m));
	m->ram = calloc(1, RAM_SIZE);
	assert_non_null(m->ram);
	m->vm.mem = (struct guest_mem){
		.ram_size = RAM_SIZE, .fd = -1, .nr_regions = 1,
		.regions = { { .gpa = 0, .size = RAM_SIZE, .hva = m->ram } },
	};
	m->vm.devs = &m->dev;
	m->vm.nr_devs = 1;
	fake_card_init(&m->card);
	assert_int_equal(fake_card_dev_init(&m->dev, &m->vd, &m->vm, k,
					    is_net ? NET_QUEUES : NR_QUEUES,
					    DEV_FEATURES | (is_net ? NET_MQ : 0), &e), 0);
}

static void machine_fini(struct machine *m)
{
	virtio_dev_destroy(&m->vd);
	free(m->ram);
}

/* A ring index in guest RAM: avail->idx or used->idx (offset 2). */
static void set_idx(struct machine *m, uint64_t ring, uint16_t v)
{
	memcpy(m->ram + ring + 2, &v, 2);
}

static uint8_t status(struct machine *m)
{
	return m->vd.status;
}

/* What a guest's driver does (the transport's registers decoded): up to
 * FEATURES_OK with VERSION_1 and, on a net device, multiqueue with the
 * control queue. */
static void negotiate(struct machine *m)
{
	fake_driver_negotiate(&m->vd, m->dev.fe.features);
	assert_int_equal(status(m), 0x0b);
}

static void enable_queue(struct machine *m, unsigned q, uint64_t desc)
{
	fake_driver_enable_queue(&m->vd, q, desc);
}

/* A device whose driver runs queue 0, the card having taken and completed
 * `done` requests of `made` (used->idx = done, as the card published). */
static void running(struct machine *m, uint16_t done, uint16_t made)
{
	negotiate(m);
	enable_queue(m, 0, RING0);
	virtio_dev_write_status(&m->vd, 0x0f);
	assert_true(m->dev.started);
	set_idx(m, RING0 + 0x1000, made);
	set_idx(m, RING0 + 0x2000, done);
	m->card.stop_at[0] = done;
}

/* A snapshot: the sections and guest RAM as they were written. */
struct snap {
	struct state_set s;
	uint8_t *ram;
};

/* What create does for the device: its card rings stop and are saved
 * (vhost_devs_save), then its transport and guest RAM; then the VM goes
 * on (vhost_devs_resume). -1 with e from vhost_devs_save. */
static int take(struct machine *m, struct snap *sn, struct azerr *e)
{
	state_set_init(&sn->s);
	sn->ram = NULL;
	if (vhost_devs_save(&m->vm, &sn->s, e) < 0)
		return -1;
	assert_int_equal(virtio_dev_save(&m->vd, &sn->s, 0, e), 0);
	sn->ram = malloc(RAM_SIZE);
	assert_non_null(sn->ram);
	memcpy(sn->ram, m->ram, RAM_SIZE);
	return 0;
}

static void take_ok(struct machine *m, struct snap *sn)
{
	struct azerr e = { "" };

	if (take(m, sn, &e) < 0)
		fail_msg("create refused: %s", e.msg);
	assert_int_equal(vhost_devs_resume(&m->vm, &e), 0);
}

static void snap_free(struct snap *sn)
{
	state_set_free(&sn->s);
	free(sn->ram);
}

/* What load does: a new VM of the same kind, the snapshot's RAM, its
 * transport, then vhost_devs_restore. */
static int restore(struct machine *n, const struct device_kind *k, const struct snap *sn,
		   struct azerr *e)
{
	machine_init(n, k);
	memcpy(n->ram, sn->ram, RAM_SIZE);
	if (virtio_dev_load(&n->vd, &sn->s, 0, &n->vm.mem, e) < 0)
		return -1;
	return vhost_devs_restore(&n->vm, &sn->s, e);
}

static void restore_ok(struct machine *n, const struct device_kind *k, const struct snap *sn)
{
	struct azerr e = { "" };

	if (restore(n, k, sn, &e) < 0)
		fail_msg("load refused: %s", e.msg);
}

static void restore_refused(const struct device_kind *k, const struct snap *sn,
			    const char *what)
{
	static struct machine n;
	struct azerr e = { "" };

	assert_refused(restore(&n, k, sn, &e), &e, what);
	machine_fini(&n);
}

/* A running device: stopped at the card's avail index, restarted there in
 * the same VM, and its new card started there by a load. */
static void test_round_trip(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	take_ok(&m, &sn);
	assert_int_equal(m.card.stops, 1);
	assert_int_equal(m.card.starts, 2);
	assert_int_equal(m.card.started_at[0], 5);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 1);
	assert_int_equal(n.card.started_at[0], 5);
	assert_true(virtio_dev_serving(&n.vd));
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A device its driver never started: as a fresh card after the load. */
static void test_not_started(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	negotiate(&m);
	enable_queue(&m, 0, RING0);
	take_ok(&m, &sn);
	assert_int_equal(m.card.stops, 0);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	assert_int_equal(status(&n), 0x0b);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* Before DRIVER_OK a driver may write any size and address and enable
 * the queue; only DRIVER_OK holds them to the rules. Such a device saves,
 * so it must load. */
static void test_not_started_odd_queue(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	negotiate(&m);
	enable_queue(&m, 0, RING0 + 8);
	m.vd.queues[0].size = 3;
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	assert_int_equal(n.vd.queues[0].size, 3);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* DRIVER_OK with no queue enabled: the transport takes it, the card is
 * started with no ring. The snapshot loads, and the new card is started
 * the same way. */
static void test_started_without_queues(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	negotiate(&m);
	virtio_dev_write_status(&m.vd, 0x0f);
	assert_int_equal(status(&m), 0x0f);
	assert_true(m.dev.started);
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 1);
	assert_true(n.dev.started);
	assert_true(virtio_dev_serving(&n.vd));
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A resume the card refused part-way (queue 0 restarted, queue 1 not):
 * NEEDS_RESET, with rings still counted as started. The next snapshot
 * loads; the device still needs its reset, its new card takes no ring
 * until the driver's reset and DRIVER_OK. */
static void test_needs_reset_after_failed_resume(void **st)
{
	static struct machine m, n;
	struct snap sn;
	struct azerr e = { "" };
	(void)st;

	machine_init(&m, &blk);
	negotiate(&m);
	enable_queue(&m, 0, RING0);
	enable_queue(&m, 1, RING1);
	virtio_dev_write_status(&m.vd, 0x0f);
	m.card.refuse_queue = 1;
	assert_int_equal(take(&m, &sn, &e), 0);
	assert_refused(vhost_devs_resume(&m.vm, &e), &e, "queue 1: the card refuses it");
	snap_free(&sn);
	assert_int_equal(status(&m), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(m.dev.started);
	assert_int_equal(m.dev.rings_on, 1);

	m.card.refuse_queue = -1;
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	assert_int_equal(status(&n), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_false(virtio_dev_serving(&n.vd));
	virtio_dev_write_status(&n.vd, 0);
	negotiate(&n);
	enable_queue(&n, 0, RING0);
	virtio_dev_write_status(&n.vd, 0x0f);
	assert_int_equal(n.card.starts, 1);
	assert_true(virtio_dev_serving(&n.vd));
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A driver that set FAILED over running rings: the same. */
static void test_failed_by_driver(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	virtio_dev_write_status(&m.vd, 0x0f | VIRTIO_STATUS_FAILED);
	assert_true(m.dev.started);
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	assert_int_equal(status(&n), 0x0f | VIRTIO_STATUS_FAILED);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* An edited file: card rings never started under a transport that
 * serves its driver. Loaded, the guest's requests would wait for a card
 * nobody started. Not refused when the transport does not serve (the
 * driver never got to DRIVER_OK, or the card refused its start). */
static void test_never_started_under_running_transport(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	take_ok(&m, &sn);
	state_poke(&sn.s, STATE_CARD_RINGS, 0, 8, 4, 0);   /* started */
	restore_refused(&blk, &sn, "the snapshot's transport serves the driver (status "
			"0xf) but its card-rings section says the rings never started");
	snap_free(&sn);
	machine_fini(&m);

	machine_init(&m, &blk);
	negotiate(&m);
	enable_queue(&m, 0, RING0);
	m.card.refuse_queue = 0;
	virtio_dev_write_status(&m.vd, 0x0f);
	assert_int_equal(status(&m), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_false(m.dev.started);
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A device whose configuration the VM computes: its card-config section
 * is what the load compares with the new VM's, so a file without it is
 * refused (every real one has it); its bytes must be the new VM's. */
static void test_fixed_config_required(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &fixed);
	running(&m, 0, 0);
	take_ok(&m, &sn);
	restore_ok(&n, &fixed, &sn);
	machine_fini(&n);
	state_poke(&sn.s, STATE_CARD_CONFIG, 0, CARD_CONFIG_HDR_SIZE, 1, 0x5b);
	restore_refused(&fixed, &sn, "another device configuration than this VM gives "
			"it (where its region is)");
	state_drop(&sn.s, STATE_CARD_CONFIG, 0);
	restore_refused(&fixed, &sn, "virtio-pmem drive0: snapshot has no card-config #0 "
			"section, which every snapshot of a pmem device holds");
	snap_free(&sn);
	machine_fini(&m);
}

/* A guest that wrote avail->idx more than the ring's size ahead of the
 * card, with no kick: the snapshot loads, the new card taking the ring at
 * the saved index; its own check stops the queue when it reads the ring,
 * as the old card's would have. */
static void test_avail_index_far_ahead(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	set_idx(&m, RING0 + 0x1000, 5 + 64 + 1);
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 1);
	assert_int_equal(n.card.started_at[0], 5);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A ring whose stop failed (GET_VRING_BASE timed out): create fails, and
 * the device, whose card no longer counts as started and has no index to
 * restart from, needs a reset rather than showing its driver DRIVER_OK
 * with nothing behind it. Its next snapshot loads. */
static void test_stop_failure_needs_reset(void **st)
{
	static struct machine m, n;
	struct snap sn;
	struct azerr e = { "" };
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	m.card.stop_fails = true;
	assert_refused(take(&m, &sn, &e), &e, "queue 0: GET_VRING_BASE timed out");
	snap_free(&sn);
	assert_int_equal(m.card.starts, 1);
	assert_int_equal(status(&m), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);

	m.card.stop_fails = false;
	take_ok(&m, &sn);
	restore_ok(&n, &blk, &sn);
	assert_int_equal(n.card.starts, 0);
	assert_int_equal(status(&n), 0x0f | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A card that answered GET_VRING_BASE with requests taken and not
 * completed (used->idx behind its avail index): the snapshot would lose
 * them, so create is refused and the rings go on where they stopped. */
static void test_requests_in_flight_refused(void **st)
{
	static struct machine m;
	struct snap sn;
	struct azerr e = { "" };
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	m.card.stop_at[0] = 6;
	assert_refused(take(&m, &sn, &e), &e, "queue 0 stopped at avail index 6 but its used "
		       "index is 5");
	assert_int_equal(m.card.starts, 2);
	assert_int_equal(m.card.started_at[0], 6);
	assert_true(virtio_dev_serving(&m.vd));
	snap_free(&sn);
	machine_fini(&m);
}

/* A file whose saved avail index is not where the memory's used ring
 * stands: edited, or another snapshot's memory file. */
static void test_last_avail_edited_refused(void **st)
{
	static struct machine m;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	take_ok(&m, &sn);
	state_poke(&sn.s, STATE_CARD_RINGS, 0, CARD_RINGS_HDR_SIZE + 2, 2, 4);
	restore_refused(&blk, &sn, "queue 0 saved at avail index 4 but its used index is 5");
	snap_free(&sn);
	machine_fini(&m);
}

/* A running net device whose driver put its 2 pairs in use, and a
 * snapshot of it. */
static void net_snapshot(struct machine *m, struct snap *sn)
{
	machine_init(m, &device_kind_net);
	running(m, 5, 7);
	m->card.pairs = 2;
	take_ok(m, sn);
}

/* A snapshot of m has no card-net-pairs section, its card asked nothing. */
static void no_net_pairs_saved(struct machine *m)
{
	struct snap sn;

	take_ok(m, &sn);
	assert_int_equal(m->card.pairs_calls, 0);
	assert_null(state_find(&sn.s, STATE_CARD_NET_PAIRS, 0));
	snap_free(&sn);
	machine_fini(m);
}

/* The pairs a net device's driver put in use, which only its card knows:
 * asked of the card once its rings stopped, saved, and given to the new
 * card once its rings started, before the guest runs. The resume asks
 * nothing: the card kept them. */
static void test_net_pairs_round_trip(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	net_snapshot(&m, &sn);
	assert_int_equal(m.card.pairs_calls, 1);
	assert_int_equal(m.card.pairs_asked, 0);
	assert_int_equal(m.card.pairs_max, 2);
	assert_int_equal(m.card.stops_before_pairs, 1);
	assert_int_equal(m.card.starts, 2);
	const struct state_section *sec = state_find(&sn.s, STATE_CARD_NET_PAIRS, 0);
	assert_non_null(sec);
	assert_memory_equal(sec->data, ((uint8_t[]){ 1, 0, 0, 0, 2, 0, 0, 0 }), 8);
	restore_ok(&n, &device_kind_net, &sn);
	assert_int_equal(n.card.pairs_calls, 1);
	assert_int_equal(n.card.pairs_asked, 2);
	assert_int_equal(n.card.starts_before_pairs, 1);
	assert_int_equal(n.card.pairs, 2);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* Nothing asked and nothing saved where there is nothing for a card to
 * keep: a device of another kind, a net device whose driver never started
 * it, one served by another vhost-user process (azote cannot ask it). A
 * snapshot without the section (an older azote's) loads, its new card
 * left with one pair. */
static void test_net_pairs_not_saved(void **st)
{
	static struct machine m, n;
	struct snap sn;
	(void)st;

	machine_init(&m, &blk);
	running(&m, 5, 7);
	no_net_pairs_saved(&m);
	machine_init(&m, &device_kind_net);
	negotiate(&m);
	no_net_pairs_saved(&m);
	machine_init(&m, &device_kind_net);
	m.dev.card_pid = 0;
	running(&m, 5, 7);
	no_net_pairs_saved(&m);

	net_snapshot(&m, &sn);
	state_drop(&sn.s, STATE_CARD_NET_PAIRS, 0);
	restore_ok(&n, &device_kind_net, &sn);
	assert_int_equal(n.card.pairs_calls, 0);
	assert_int_equal(n.card.pairs, 1);
	machine_fini(&n);
	snap_free(&sn);
	machine_fini(&m);
}

/* A card that refuses NET_PAIRS at the save fails the snapshot, the rings
 * going on where they stopped; an edited section is refused by name: a
 * count the device does not have, another version, one for a device that
 * is no multiqueue net device, one for a device the VM does not have. */
static void test_net_pairs_refused(void **st)
{
	static struct machine m;
	unsigned char sec[CARD_NET_PAIRS_SIZE];
	struct snap sn;
	struct azerr e = { "" };
	(void)st;

	machine_init(&m, &device_kind_net);
	running(&m, 5, 7);
	m.card.pairs_refused = true;
	assert_refused(take(&m, &sn, &e), &e, "virtio-net drive0: the card refused: NET_PAIRS");
	snap_free(&sn);
	assert_int_equal(m.card.starts, 2);
	assert_true(virtio_dev_serving(&m.vd));

	machine_fini(&m);
	net_snapshot(&m, &sn);
	state_poke(&sn.s, STATE_CARD_NET_PAIRS, 0, 4, 4, 3);
	restore_refused(&device_kind_net, &sn, "virtio-net drive0: snapshot card-net-pairs: pairs 3, not "
			"1 to the device's 2");
	state_poke(&sn.s, STATE_CARD_NET_PAIRS, 0, 4, 4, 2);
	state_poke(&sn.s, STATE_CARD_NET_PAIRS, 0, 0, 4, 2);
	restore_refused(&device_kind_net, &sn, "card-net-pairs version 2");
	snap_free(&sn);
	machine_fini(&m);

	machine_init(&m, &blk);
	running(&m, 5, 7);
	take_ok(&m, &sn);
	card_net_pairs_encode(1, sec);
	assert_int_equal(state_put(&sn.s, STATE_CARD_NET_PAIRS, 0, sec, sizeof(sec), &e), 0);
	restore_refused(&blk, &sn, "virtio-blk drive0: snapshot has a card-net-pairs #0 "
			"section, which only a net device whose driver negotiated "
			"multiqueue with the control queue has");
	state_drop(&sn.s, STATE_CARD_NET_PAIRS, 0);
	assert_int_equal(state_put(&sn.s, STATE_CARD_NET_PAIRS, 1, sec, sizeof(sec), &e), 0);
	restore_refused(&blk, &sn, "snapshot has card-net-pairs for device #1; this VM has 1 "
			"devices");
	snap_free(&sn);
	machine_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_not_started),
		cmocka_unit_test(test_not_started_odd_queue),
		cmocka_unit_test(test_started_without_queues),
		cmocka_unit_test(test_needs_reset_after_failed_resume),
		cmocka_unit_test(test_failed_by_driver),
		cmocka_unit_test(test_never_started_under_running_transport),
		cmocka_unit_test(test_fixed_config_required),
		cmocka_unit_test(test_avail_index_far_ahead),
		cmocka_unit_test(test_stop_failure_needs_reset),
		cmocka_unit_test(test_requests_in_flight_refused),
		cmocka_unit_test(test_last_avail_edited_refused),
		cmocka_unit_test(test_net_pairs_round_trip),
		cmocka_unit_test(test_net_pairs_not_saved),
		cmocka_unit_test(test_net_pairs_refused),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
