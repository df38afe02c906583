/* The device-kind table: each kind's identity, the card command line it
 * builds from a vm_config entry, its ring layout, where its counters go;
 * and the vm_config device lists the table points into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <endian.h>
#include <linux/virtio_net.h>

#include "devices/virtio_dev.h"
#include "vmm/device_kind.h"
#include "vmm/vhost_dev.h"
#include "virtio/virtio.h"
#include "virtio/virtio_balloon.h"
#include "virtio/virtio_pmem.h"
#include "vmm/vm.h"

/* The card arguments a kind builds for dev, joined by spaces. */
static const char *args_of(const struct device_kind *k, const void *dev)
{
	static struct card_argv a;
	static char line[4096];
	size_t used = 0;

	card_argv_init(&a);
	k->card_args(dev, &a);
	assert_int_equal(card_argv_done(&a, &(struct azerr){ 0 }), 0);
	line[0] = '\0';
	for (unsigned i = 0; i < a.n; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s",
					 i ? " " : "", a.argv[i]);
	assert_null(a.argv[a.n]);
	return line;
}

static void test_table(void **state)
{
	(void)state;
	assert_ptr_equal(device_kinds[0], &device_kind_blk);
	assert_ptr_equal(device_kinds[1], &device_kind_net);
	assert_ptr_equal(device_kinds[2], &device_kind_vsock);
	assert_ptr_equal(device_kinds[3], &device_kind_rng);
	/* After the kinds there were: their devices keep their places. */
	assert_ptr_equal(device_kinds[4], &device_kind_balloon);
	assert_ptr_equal(device_kinds[5], &device_kind_pmem);
	for (unsigned i = 0; i < DEVICE_NR_KINDS; i++) {
		const struct device_kind *k = device_kinds[i];
		assert_true(k->config_size <= VHOST_DEV_CONFIG_MAX);
		assert_non_null(k->list);
		assert_non_null(k->card_args);
		assert_non_null(k->layout);
		assert_non_null(k->collect);
		for (unsigned j = 0; j < i; j++) {
			assert_int_not_equal(k->virtio_id, device_kinds[j]->virtio_id);
			assert_ptr_not_equal(k->list, device_kinds[j]->list);
			assert_string_not_equal(k->name, device_kinds[j]->name);
		}
	}
	assert_int_equal(device_kind_blk.virtio_id, VIRTIO_ID_BLOCK);
	assert_int_equal(device_kind_blk.pci_class, 0x018000);
	assert_int_equal(device_kind_blk.config_size, 60);
	assert_ptr_equal(device_kind_blk.list, &vm_drives);
	assert_int_equal(device_kind_net.virtio_id, VIRTIO_ID_NET);
	assert_int_equal(device_kind_net.pci_class, 0x020000);
	assert_int_equal(device_kind_net.config_size, 12);
	assert_ptr_equal(device_kind_net.list, &vm_nets);
	assert_int_equal(device_kind_vsock.virtio_id, 19);
	assert_int_equal(device_kind_vsock.config_size, 8);
	assert_ptr_equal(device_kind_vsock.list, &vm_vsocks);
	assert_string_equal(device_kind_vsock.name, "vsock");
	/* virtio-rng: no configuration space, class "other" as QEMU's. */
	assert_int_equal(device_kind_rng.virtio_id, 4);
	assert_int_equal(device_kind_rng.pci_class, 0xff0000);
	assert_int_equal(device_kind_rng.config_size, 0);
	assert_ptr_equal(device_kind_rng.list, &vm_rngs);
	assert_string_equal(device_kind_rng.name, "rng");
	/* virtio-balloon: 8 bytes of configuration, class "other". */
	assert_int_equal(device_kind_balloon.virtio_id, 5);
	assert_int_equal(device_kind_balloon.pci_class, 0xff0000);
	assert_int_equal(device_kind_balloon.config_size, 8);
	assert_ptr_equal(device_kind_balloon.list, &vm_balloons);
	assert_string_equal(device_kind_balloon.name, "balloon");
}

#define BALLOON_F(bit) (1ULL << VIRTIO_BALLOON_F_##bit)

static uint32_t config_le32(const struct vhost_dev *vd, unsigned off)
{
	uint32_t v;

	memcpy(&v, vd->config + off, 4);
	return le32toh(v);
}

static void test_balloon_card_args(void **state)
{
	struct balloon_config b = { .id = "balloon0", .amount_mib = 64 };
	(void)state;

	assert_string_equal(args_of(&device_kind_balloon, &b), "--stats-interval 0");
	b.stats_polling_interval_s = 65535;
	b.deflate_on_oom = true;
	b.free_page_reporting = true;
	assert_string_equal(args_of(&device_kind_balloon, &b),
			    "--stats-interval 65535 --deflate-on-oom --free-page-reporting");
}

static void test_balloon_layout(void **state)
{
	struct balloon_config b = { .id = "balloon0", .amount_mib = 300 };
	struct vhost_dev vd = { .name = "virtio-balloon balloon0" };
	uint64_t f;
	(void)state;

	/* Inflate and deflate only; the target in 4 KiB pages, le32 at 0. */
	memset(vd.config, 0xaa, sizeof(vd.config));
	f = BALLOON_F(MUST_TELL_HOST) | BALLOON_F(DEFLATE_ON_OOM);
	assert_int_equal(device_kind_balloon.layout(&vd, &b, 2, &f), 2);
	assert_int_equal(f, BALLOON_F(MUST_TELL_HOST) | BALLOON_F(DEFLATE_ON_OOM));
	assert_int_equal(config_le32(&vd, VIRTIO_BALLOON_CFG_NUM_PAGES), 300 * 256);
	/* actual is the driver's: left as the card gave it. */
	assert_int_equal(config_le32(&vd, VIRTIO_BALLOON_CFG_ACTUAL), 0xaaaaaaaa);
	/* Statistics and reporting rings with their features. */
	f = BALLOON_F(STATS_VQ) | BALLOON_F(PAGE_REPORTING);
	assert_int_equal(device_kind_balloon.layout(&vd, &b, 4, &f), 4);
	f = BALLOON_F(PAGE_REPORTING);
	assert_int_equal(device_kind_balloon.layout(&vd, &b, 4, &f), 3);
	/* Hinting and poisoning are not shown, nor do they count rings. */
	f = BALLOON_F(FREE_PAGE_HINT) | BALLOON_F(PAGE_POISON) | BALLOON_F(STATS_VQ);
	assert_int_equal(device_kind_balloon.layout(&vd, &b, 5, &f), 3);
	assert_int_equal(f, BALLOON_F(STATS_VQ));
	/* A back-end with fewer rings than its features say gets what it has. */
	f = BALLOON_F(STATS_VQ);
	assert_int_equal(device_kind_balloon.layout(&vd, &b, 2, &f), 2);
	/* The largest target fits 32 bits. */
	b.amount_mib = UINT32_MAX / 256;
	f = 0;
	device_kind_balloon.layout(&vd, &b, 2, &f);
	assert_int_equal(config_le32(&vd, 0), (UINT32_MAX / 256) * 256);
	balloon_config_set_target(vd.config, 1);
	assert_int_equal(config_le32(&vd, 0), 256);
}

static void test_rng_card_args(void **state)
{
	struct rng_config r = { .id = "rng0" };
	uint64_t f = 0;
	(void)state;

	assert_string_equal(args_of(&device_kind_rng, &r), "");
	r.rate_limiter = (struct rate_limiter){
		.has_bandwidth = true, .bandwidth = { 10000, 500, 100 },
		.has_ops = true, .ops = { 10, 0, 1000 },
	};
	assert_string_equal(args_of(&device_kind_rng, &r),
			    "--bw-limit size=10000,refill_time=100,one_time_burst=500 "
			    "--ops-limit size=10,refill_time=1000");
	/* One ring, the requestq; none when the back-end has none. */
	assert_int_equal(device_kind_rng.layout(NULL, &r, 1, &f), 1);
	assert_int_equal(device_kind_rng.layout(NULL, &r, 4, &f), 1);
	assert_int_equal(device_kind_rng.layout(NULL, &r, 0, &f), 0);
}

/* virtio-pmem: its file for the card to flush, read-only with read_only,
 * and its limits. */
static void test_pmem_card_args(void **state)
{
	struct pmem_config p = { .id = "pmem0", .path = "/srv/rootfs.ext4" };
	(void)state;

	assert_string_equal(args_of(&device_kind_pmem, &p), "--file /srv/rootfs.ext4");
	p.read_only = true;
	p.root_device = true;
	p.rate_limiter = (struct rate_limiter){ .has_ops = true, .ops = { 10, 0, 1000 } };
	assert_string_equal(args_of(&device_kind_pmem, &p),
			    "--file /srv/rootfs.ext4 --ro --ops-limit size=10,refill_time=1000");
	assert_int_equal(device_kind_pmem.virtio_id, 27);
	assert_int_equal(device_kind_pmem.config_size, 16);
	assert_non_null(device_kind_pmem.config_fixed);
	assert_ptr_equal(device_kind_pmem.list, &vm_pmems);
}

static uint64_t config_le64(const struct vhost_dev *vd, unsigned off)
{
	uint64_t v;

	memcpy(&v, vd->config + off, 8);
	return le64toh(v);
}

/* Each pmem device's configuration is its own region: the one of its
 * place among the VM's pmem devices, whatever devices come before. */
static void test_pmem_layout(void **state)
{
	static struct vm vm;
	struct vhost_dev devs[4] = { { .kind = &device_kind_blk }, { .kind = &device_kind_pmem },
				     { .kind = &device_kind_rng }, { .kind = &device_kind_pmem } };
	struct pmem_config p = { .id = "p" };
	uint64_t f = 0;
	(void)state;

	vm.devs = devs;
	vm.pmem[0] = (struct pmem_region){ .gpa = 0x100000000ULL, .size = 2 << 20 };
	vm.pmem[1] = (struct pmem_region){ .gpa = 0x100200000ULL, .size = 6 << 20 };
	for (unsigned i = 0; i < 4; i++)
		devs[i].vm = &vm;
	assert_int_equal(device_kind_pmem.layout(&devs[1], &p, 1, &f), 1);
	assert_int_equal(config_le64(&devs[1], VIRTIO_PMEM_CFG_START), 0x100000000ULL);
	assert_int_equal(config_le64(&devs[1], VIRTIO_PMEM_CFG_SIZE), 2 << 20);
	/* One ring, the requestq, whatever the card offers. */
	assert_int_equal(device_kind_pmem.layout(&devs[3], &p, 3, &f), 1);
	assert_int_equal(config_le64(&devs[3], VIRTIO_PMEM_CFG_START), 0x100200000ULL);
	assert_int_equal(config_le64(&devs[3], VIRTIO_PMEM_CFG_SIZE), 6 << 20);
	assert_int_equal(device_kind_pmem.layout(&devs[3], &p, 0, &f), 0);
}

static void test_vsock_card_args(void **state)
{
	struct vsock_config v = { .guest_cid = 4294967295u, .uds_path = "/run/v.sock" };
	uint64_t f = 0;
	(void)state;

	assert_string_equal(args_of(&device_kind_vsock, &v), "--cid 4294967295 --uds /run/v.sock");
	/* Three rings: rx, tx, event; never more than offered. */
	assert_int_equal(device_kind_vsock.layout(NULL, &v, 3, &f), 3);
	assert_int_equal(device_kind_vsock.layout(NULL, &v, 8, &f), 3);
	assert_int_equal(device_kind_vsock.layout(NULL, &v, 2, &f), 2);
}

static void test_blk_card_args(void **state)
{
	struct drive_config d = { .path = "/img/a b.raw" };
	(void)state;

	assert_string_equal(args_of(&device_kind_blk, &d), "--image /img/a b.raw");
	d.read_only = d.direct = true;
	d.queues = 4;
	d.has_poll_us = true;
	d.poll_us = 0;
	d.uring = BLK_URING_SINGLE_ISSUER;
	assert_string_equal(args_of(&device_kind_blk, &d),
			    "--image /img/a b.raw --ro --direct --queues 4 --poll-us 0 "
			    "--uring single-issuer");
	/* The rate limiter's buckets that limit (size 0: none). */
	d = (struct drive_config){ .path = "i" };
	d.rate_limiter = (struct rate_limiter){
		.has_bandwidth = true, .bandwidth = { 1048576, 0, 100 },
		.has_ops = true, .ops = { 0, 10, 1000 },
	};
	assert_string_equal(args_of(&device_kind_blk, &d),
			    "--image i --bw-limit size=1048576,refill_time=100");
	d.rate_limiter.ops.size = 100;
	assert_string_equal(args_of(&device_kind_blk, &d),
			    "--image i --bw-limit size=1048576,refill_time=100 "
			    "--ops-limit size=100,refill_time=1000,one_time_burst=10");
}

static void test_net_card_args(void **state)
{
	struct net_config n = { .tap = "tap0" };
	(void)state;

	assert_string_equal(args_of(&device_kind_net, &n), "--tap tap0");
	n.has_mac = true;
	memcpy(n.mac, (uint8_t[]){ 0x06, 0, 0xac, 0x10, 0, 0x2 }, 6);
	n.queues = 2;
	n.mtu = 9000;
	assert_string_equal(args_of(&device_kind_net, &n),
			    "--tap tap0 --mac 06:00:ac:10:00:02 --queues 2 --mtu 9000");
	/* Each direction's buckets that limit; a refill time whose
	 * nanoseconds overflow does not (Firecracker ignores it too). */
	n = (struct net_config){ .tap = "t" };
	n.rx_rate_limiter = (struct rate_limiter){ .has_ops = true, .ops = { 1, 0, 2 } };
	n.tx_rate_limiter = (struct rate_limiter){
		.has_bandwidth = true, .bandwidth = { 3, 0, 4 },
		.has_ops = true, .ops = { 5, 0, TOKEN_BUCKET_MAX_REFILL_MS + 1 },
	};
	assert_string_equal(args_of(&device_kind_net, &n),
			    "--tap t --rx-ops-limit size=1,refill_time=2 "
			    "--tx-bw-limit size=3,refill_time=4");
}

static void test_card_argv_overflow(void **state)
{
	static struct card_argv a;
	static char big[CARD_ARGV_TEXT];
	struct azerr e;
	(void)state;

	card_argv_init(&a);
	card_argv_add(&a, "/bin/azote-card-blk");
	for (unsigned i = 1; i < CARD_ARGV_MAX; i++)
		card_argv_add(&a, "--ro");
	assert_int_equal(card_argv_done(&a, &e), 0);
	card_argv_add(&a, "--direct");           /* one argument too many */
	assert_int_equal(card_argv_done(&a, &e), -1);
	assert_non_null(strstr(e.msg, "/bin/azote-card-blk"));
	assert_int_equal(a.n, CARD_ARGV_MAX);
	assert_null(a.argv[a.n]);

	card_argv_init(&a);
	memset(big, 'x', sizeof(big) - 1);
	card_argv_opt(&a, "image", big);         /* more text than fits */
	assert_int_equal(card_argv_done(&a, &e), -1);
}

static void test_blk_layout(void **state)
{
	struct drive_config d = { 0 };
	struct vhost_dev vd = { 0 };
	uint64_t features = 0x1234;
	(void)state;

	assert_int_equal(device_kind_blk.layout(&vd, &d, 8, &features), 8);
	d.queues = 2;
	assert_int_equal(device_kind_blk.layout(&vd, &d, 8, &features), 2);
	assert_int_equal(device_kind_blk.layout(&vd, &d, 1, &features), 1);
	assert_int_equal(features, 0x1234);
}

#define NET_F(bit) VIRTIO_BIT(VIRTIO_NET_F_##bit)

static uint16_t shown_pairs(const struct vhost_dev *vd)
{
	uint16_t v;

	memcpy(&v, vd->config + offsetof(struct virtio_net_config, max_virtqueue_pairs), 2);
	return le16toh(v);
}

static void test_net_layout(void **state)
{
	struct net_config n = { .tap = "tap0" };
	struct vhost_dev vd = { .name = "virtio-net net0" };
	uint64_t f;
	(void)state;

	/* Four pairs and a control ring: 9 rings. */
	f = NET_F(MQ) | NET_F(CTRL_VQ);
	assert_int_equal(device_kind_net.layout(&vd, &n, 4, &f), 9);
	assert_true(f & NET_F(MQ));
	/* Without MQ: one pair, and the config says so. */
	f = NET_F(CTRL_VQ);
	assert_int_equal(device_kind_net.layout(&vd, &n, 4, &f), 3);
	assert_int_equal(shown_pairs(&vd), 1);
	/* Fewer pairs asked for than the back-end has: multiqueue off. */
	n.queues = 2;
	f = NET_F(MQ);
	assert_int_equal(device_kind_net.layout(&vd, &n, 4, &f), 2);
	assert_false(f & NET_F(MQ));
	/* A MAC for someone else's back-end is shown by azote. */
	n.queues = 0;
	n.socket = "/run/vu.sock";
	n.has_mac = true;
	memcpy(n.mac, (uint8_t[]){ 2, 0, 0, 0, 0, 7 }, 6);
	f = 0;
	assert_int_equal(device_kind_net.layout(&vd, &n, 1, &f), 2);
	assert_true(f & NET_F(MAC));
	assert_int_equal(vd.own_features, NET_F(MAC));
	assert_memory_equal(vd.config, n.mac, 6);
}

/* The pairs the driver switches among through the card: only once it
 * took both MQ and the control queue, and the control ring is not one. */
static void test_net_switched_pairs(void **state)
{
	struct virtio_dev v = { .p.nr_queues = 9, .driver_features = NET_F(MQ) | NET_F(CTRL_VQ) };
	struct vhost_dev vd = { .name = "virtio-net net0", .vd = &v };
	(void)state;

	assert_int_equal(device_kind_net.switched_pairs(&vd), 4);
	v.driver_features = NET_F(MQ);
	assert_int_equal(device_kind_net.switched_pairs(&vd), 0);
	v.driver_features = NET_F(CTRL_VQ);
	assert_int_equal(device_kind_net.switched_pairs(&vd), 0);
	/* No other kind has the choice. */
	for (unsigned i = 0; i < DEVICE_NR_KINDS; i++)
		if (device_kinds[i] != &device_kind_net)
			assert_null(device_kinds[i]->switched_pairs);
}

static void test_collect(void **state)
{
	static struct card_stats s;
	static struct metrics m;
	(void)state;

	s.blk.read_count = 3;
	s.blk.write_bytes = 4096;
	s.blk.rate_limiter_throttled = 7;
	device_kind_blk.collect(&s, &m, 1);
	assert_int_equal(m.block[1].read_count.count, 3);
	assert_int_equal(m.block[1].write_bytes.count, 4096);
	assert_int_equal(m.block[1].rate_limiter_throttled_events.count, 7);
	assert_int_equal(m.block[0].read_count.count, 0);

	memset(&s, 0, sizeof(s));
	s.net.tx_packets = 5;
	s.net.rx_fails = 1;
	s.net.rx_rate_limiter_throttled = 8;
	s.net.tx_rate_limiter_throttled = 9;
	device_kind_net.collect(&s, &m, 0);
	assert_int_equal(m.net[0].tx_packets_count.count, 5);
	assert_int_equal(m.net[0].rx_fails.count, 1);
	assert_int_equal(m.net[0].rx_rate_limiter_throttled.count, 8);
	assert_int_equal(m.net[0].tx_rate_limiter_throttled.count, 9);

	memset(&s, 0, sizeof(s));
	s.pmem.flush_count = 4;
	s.pmem.event_fails = 1;
	s.pmem.rate_limiter_throttled = 2;
	device_kind_pmem.collect(&s, &m, 1);
	assert_int_equal(m.pmem[1].queue_event_count.count, 4);
	assert_int_equal(m.pmem[1].event_fails.count, 1);
	assert_int_equal(m.pmem[1].rate_limiter_throttled_events.count, 2);
	assert_int_equal(m.pmem[0].queue_event_count.count, 0);

	memset(&s, 0, sizeof(s));
	s.vsock.rx_bytes = 10;
	s.vsock.conns_added = 2;
	s.vsock.rx_read_fails = 1;
	device_kind_vsock.collect(&s, &m, 0);
	assert_int_equal(m.vsock.rx_bytes_count.count, 10);
	assert_int_equal(m.vsock.conns_added.count, 2);
	assert_int_equal(m.vsock.rx_read_fails.count, 1);

	memset(&s, 0, sizeof(s));
	s.rng.event_count = 11;
	s.rng.bytes = 65536;
	s.rng.event_fails = 2;
	s.rng.host_rng_fails = 1;
	s.rng.rate_limiter_throttled = 6;
	device_kind_rng.collect(&s, &m, 0);
	assert_int_equal(m.entropy.entropy_event_count.count, 11);
	assert_int_equal(m.entropy.entropy_bytes.count, 65536);
	assert_int_equal(m.entropy.entropy_event_fails.count, 2);
	assert_int_equal(m.entropy.host_rng_fails.count, 1);
	assert_int_equal(m.entropy.entropy_rate_limiter_throttled.count, 6);

	memset(&s, 0, sizeof(s));
	s.balloon = (struct card_balloon_stats){
		.inflate_count = 1, .deflate_count = 2, .stats_updates_count = 3,
		.stats_update_fails = 4, .event_fails = 5, .free_page_report_count = 6,
		.free_page_report_freed = 7, .free_page_report_fails = 8, .inflated_pages = 9,
	};
	device_kind_balloon.collect(&s, &m, 0);
	assert_int_equal(m.balloon.inflate_count.count, 1);
	assert_int_equal(m.balloon.deflate_count.count, 2);
	assert_int_equal(m.balloon.stats_updates_count.count, 3);
	assert_int_equal(m.balloon.stats_update_fails.count, 4);
	assert_int_equal(m.balloon.event_fails.count, 5);
	assert_int_equal(m.balloon.free_page_report_count.count, 6);
	assert_int_equal(m.balloon.free_page_report_freed.count, 7);
	assert_int_equal(m.balloon.free_page_report_fails.count, 8);
	assert_int_equal(m.balloon.activate_fails.count, 0);
	assert_int_equal(m.balloon.free_page_hint_count.count, 0);
}

static void test_device_lists(void **state)
{
	static struct vm_config c;
	(void)state;

	vm_config_init(&c);
	struct drive_config *d = vm_device(&c, &vm_drives, 0);
	snprintf(d->id, VM_ID_MAX, "rootfs");
	d->path = strdup("a.img");
	d->partuuid = strdup("0eaa91a0-01");
	vm_device_added(&c, &vm_drives);
	struct net_config *n = vm_device(&c, &vm_nets, 0);
	snprintf(n->id, VM_ID_MAX, "eth0");
	n->socket = strdup("/s");
	vm_device_added(&c, &vm_nets);

	assert_int_equal(vm_device_count(&c, &vm_drives), 1);
	assert_int_equal(c.nr_drives, 1);
	assert_int_equal(vm_config_find(&c, &vm_drives, "rootfs"), 0);
	assert_int_equal(vm_config_find(&c, &vm_drives, "eth0"), -1);
	assert_int_equal(vm_config_find(&c, &vm_nets, "eth0"), 0);
	assert_string_equal(vm_device_id(&vm_nets, vm_device_const(&c, &vm_nets, 0)), "eth0");
	assert_string_equal(vm_device_socket(&vm_nets, n), "/s");
	assert_null(vm_device_socket(&vm_drives, d));
	/* Freed by vm_config_free, partuuid included (ASan would see a leak). */
	vm_config_free(&c);
	assert_int_equal(c.nr_drives + c.nr_nets, 0);

	/* A balloon's target against the guest's memory. */
	char buf[96];
	assert_null(vm_balloon_too_large(256, 256ULL << 20, "balloon.amount_mib", buf,
					 sizeof(buf)));
	assert_string_equal(vm_balloon_too_large(300, 256ULL << 20, "balloon.amount_mib", buf,
						 sizeof(buf)),
			    "balloon.amount_mib: 300 MiB is more than the guest's 256 MiB");
	struct balloon_config b = { .id = "balloon0", .amount_mib = 1 };
	vm_device_set_only(&c, &vm_balloons, &b);
	b.amount_mib = 2;
	vm_device_set_only(&c, &vm_balloons, &b);  /* replaces the first */
	assert_int_equal(c.nr_balloons, 1);
	assert_int_equal(c.balloons[0].amount_mib, 2);
	assert_int_equal(vm_config_find(&c, &vm_balloons, "balloon0"), 0);
	/* What the replaced one owned is freed (ASan would see a leak). */
	struct vsock_config v = { .id = "vsock0", .uds_path = strdup("/a") };
	vm_device_set_only(&c, &vm_vsocks, &v);
	v.uds_path = strdup("/b");
	vm_device_set_only(&c, &vm_vsocks, &v);
	assert_string_equal(c.vsocks[0].uds_path, "/b");
	vm_config_free(&c);
	assert_int_equal(c.nr_balloons, 0);
}

static void test_cmdline_add(void **state)
{
	static const struct { const char *base, *want; } cases[] = {
		{ "", "X=1" },
		{ "console=ttyS0", "console=ttyS0 X=1" },
		{ "a -- init args", "a X=1 -- init args" },
		{ "-- only init", "X=1 -- only init" },
		{ "a --", "a X=1 --" },
		{ "a --b c", "a --b c X=1" },       /* not a "--" token */
		{ "a b--", "a b-- X=1" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = cmdline_add(cases[i].base, "X=1");
		assert_non_null(s);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	/* Firecracker's root= goes among the kernel's arguments too. */
	static struct vm_config c;
	vm_config_init(&c);
	c.cmdline = strdup("console=ttyS0 -- init");
	c.drives[0].is_root_device = true;
	c.drives[0].read_only = true;
	c.nr_drives = 1;
	char *s = vm_config_boot_cmdline(&c);
	assert_string_equal(s, "console=ttyS0 root=/dev/vda ro -- init");
	free(s);
	vm_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_blk_card_args),
		cmocka_unit_test(test_net_card_args),
		cmocka_unit_test(test_vsock_card_args),
		cmocka_unit_test(test_rng_card_args),
		cmocka_unit_test(test_balloon_card_args),
		cmocka_unit_test(test_balloon_layout),
		cmocka_unit_test(test_pmem_card_args),
		cmocka_unit_test(test_pmem_layout),
		cmocka_unit_test(test_card_argv_overflow),
		cmocka_unit_test(test_blk_layout),
		cmocka_unit_test(test_net_layout),
		cmocka_unit_test(test_net_switched_pairs),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_device_lists),
		cmocka_unit_test(test_cmdline_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
