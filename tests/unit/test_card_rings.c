/* vmm/card_rings: a card's rings (and configuration, and a net card's
 * pairs in use) survive the sections' wire layouts, and a section that is
 * user input gone wrong (truncated, another device's, impossible sizes,
 * counts, flags or alignment) is refused with a message naming the device
 * and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/card_rings.h"

static const struct card_rings_expect blk = {
	.dev = "virtio-blk drive0", .virtio_id = 2, .nr_queues = 2, .queue_max_size = 256,
};

static struct card_rings sample(void)
{
	struct card_rings r = {
		.virtio_id = 2, .started = true, .nr_queues = 2,
		.features = 0x130000246ULL, .protocol_features = 0x2203,
	};
	r.q[0] = (struct card_ring){ .size = 256, .last_avail = 0xfffe, .enabled = true,
				     .desc = 0x100000, .avail = 0x101000, .used = 0x102000 };
	r.q[1] = (struct card_ring){ .size = 256 };
	return r;
}

static unsigned char buf[CARD_RINGS_HDR_SIZE + 2 * CARD_RINGS_QUEUE_SIZE];

static void test_roundtrip(void **st)
{
	(void)st;
	struct card_rings r = sample(), got;
	struct azerr e = { "" };

	assert_int_equal(card_rings_size(2), sizeof(buf));
	card_rings_encode(&r, buf);
	assert_int_equal(card_rings_decode(buf, sizeof(buf), &blk, &got, &e), 0);
	assert_int_equal(got.virtio_id, 2);
	assert_true(got.started);
	assert_int_equal(got.nr_queues, 2);
	assert_int_equal(got.features, r.features);
	assert_int_equal(got.protocol_features, r.protocol_features);
	assert_memory_equal(&got.q[0], &r.q[0], sizeof(r.q[0]));
	assert_false(got.q[1].enabled);
	assert_int_equal(got.q[1].size, 256);
}

/* The layout is the documented one, little-endian, whatever the host. */
static void test_layout(void **st)
{
	(void)st;
	struct card_rings r = sample();

	card_rings_encode(&r, buf);
	assert_int_equal(buf[0], CARD_RINGS_VERSION);
	assert_int_equal(buf[4], 2);               /* virtio id */
	assert_int_equal(buf[8], 1);               /* started */
	assert_int_equal(buf[12], 2);              /* queues */
	assert_int_equal(buf[16], 0x46);           /* features, low byte first */
	assert_int_equal(buf[20], 0x01);
	assert_int_equal(buf[24], 0x03);           /* protocol features */
	const unsigned char *q0 = buf + CARD_RINGS_HDR_SIZE;
	assert_int_equal(q0[0] | q0[1] << 8, 256);     /* size */
	assert_int_equal(q0[2] | q0[3] << 8, 0xfffe);  /* last_avail */
	assert_int_equal(q0[4], 1);                    /* enabled */
	assert_int_equal(q0[8 + 2], 0x10);             /* desc 0x100000 */
	assert_int_equal(q0[16 + 1], 0x10);            /* avail 0x101000 */
	assert_int_equal(q0[24 + 1], 0x20);            /* used 0x102000 */
}

/* Decodes r after mangle(buf) and expects a refusal naming the device and
 * containing what. */
static void refused(const struct card_rings *r, size_t len, size_t at, uint8_t byte,
		    const char *what)
{
	struct card_rings got;
	struct azerr e = { "" };

	card_rings_encode(r, buf);
	if (at < sizeof(buf))
		buf[at] = byte;
	assert_int_equal(card_rings_decode(buf, len, &blk, &got, &e), -1);
	if (!strstr(e.msg, "virtio-blk drive0") || !strstr(e.msg, what))
		fail_msg("message \"%s\" should name the device and \"%s\"", e.msg, what);
}

static void test_refusals(void **st)
{
	(void)st;
	struct card_rings r = sample();
	const size_t q0 = CARD_RINGS_HDR_SIZE, none = sizeof(buf);

	refused(&r, 8, none, 0, "shorter than its 32-byte header");
	refused(&r, sizeof(buf) - 1, none, 0, "expected for 2 queues");
	refused(&r, sizeof(buf), 0, 7, "version 7");
	refused(&r, sizeof(buf), 4, 1, "device id 1");
	refused(&r, sizeof(buf), 8, 2, "started is 2");
	refused(&r, sizeof(buf), 12, 3, "3 queues");
	refused(&r, sizeof(buf), q0 + 4, 2, "queue 0: enabled is 2");
	refused(&r, sizeof(buf), q0 + 0, 3, "queue 0: size 259");   /* 0x103 */
	refused(&r, sizeof(buf), q0 + 1, 2, "size 512");            /* > 256 */
	refused(&r, sizeof(buf), q0 + 8, 8, "queue 0: misaligned");  /* desc */
	refused(&r, sizeof(buf), q0 + 16, 1, "misaligned");          /* avail */
	refused(&r, sizeof(buf), q0 + 24, 2, "misaligned");          /* used */
}

/* A device the driver never started is saved with its queues as reset
 * left them: no enabled queue, size 0 allowed. */
static void test_not_started(void **st)
{
	(void)st;
	struct card_rings r = { .virtio_id = 2, .nr_queues = 2 }, got;
	struct azerr e = { "" };

	card_rings_encode(&r, buf);
	assert_int_equal(card_rings_decode(buf, sizeof(buf), &blk, &got, &e), 0);
	assert_false(got.started);
}

/* A driver may set DRIVER_OK with no queue enabled: the card was started
 * (features, memory table) with no ring, and its snapshot must load. */
static void test_started_without_queues(void **st)
{
	(void)st;
	struct card_rings r = { .virtio_id = 2, .started = true, .nr_queues = 2 }, got;
	struct azerr e = { "" };

	card_rings_encode(&r, buf);
	if (card_rings_decode(buf, sizeof(buf), &blk, &got, &e) < 0)
		fail_msg("refused: %s", e.msg);
	assert_true(got.started);
	assert_false(got.q[0].enabled || got.q[1].enabled);
}

/* A device's configuration section: its bytes back as they were, little-
 * endian header; each field checked against the device it is loaded into. */
static void test_config(void **st)
{
	static const unsigned char cfg[8] = { 0x00, 0x64, 0, 0, 0x10, 0x27, 0, 0 };
	unsigned char sec[CARD_CONFIG_HDR_SIZE + 8], out[8], bad[sizeof(sec)];
	struct azerr e;
	(void)st;

	assert_int_equal(card_config_size(8), 20);
	card_config_encode(5, cfg, 8, sec);
	assert_memory_equal(sec, ((unsigned char[]){ 1, 0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0 }), 12);
	assert_int_equal(card_config_decode(sec, sizeof(sec), "virtio-balloon balloon0", 5, 8,
					    out, &e), 0);
	assert_memory_equal(out, cfg, 8);

	memset(out, 0xee, sizeof(out));
	assert_int_equal(card_config_decode(sec, 11, "b", 5, 8, out, &e), -1);
	assert_string_equal(e.msg, "b: snapshot card-config section is 11 bytes, shorter "
			    "than its 12-byte header");
	assert_int_equal(card_config_decode(sec, sizeof(sec) - 1, "b", 5, 8, out, &e), -1);
	assert_string_equal(e.msg, "b: snapshot card-config section is 19 bytes, 20 "
			    "expected for 8 bytes of configuration");
	assert_int_equal(card_config_decode(sec, sizeof(sec), "b", 2, 8, out, &e), -1);
	assert_string_equal(e.msg, "b: snapshot card-config has virtio device id 5, the "
			    "device is id 2");
	assert_int_equal(card_config_decode(sec, sizeof(sec), "b", 5, 12, out, &e), -1);
	assert_string_equal(e.msg, "b: snapshot card-config size 8, the device's "
			    "configuration is 12 bytes");
	memcpy(bad, sec, sizeof(sec));
	bad[0] = 2;
	assert_int_equal(card_config_decode(bad, sizeof(bad), "b", 5, 8, out, &e), -1);
	assert_string_equal(e.msg, "b: snapshot card-config version 2 (this azote reads 1)");
	/* Nothing copied from a refused section. */
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xee);
}

/* A net device's pairs in use: its layout, and each field checked
 * against the device it is loaded into, nothing returned from a refused
 * section. */
static void test_net_pairs(void **st)
{
	unsigned char sec[CARD_NET_PAIRS_SIZE], bad[CARD_NET_PAIRS_SIZE];
	unsigned pairs = 0;
	struct azerr e;
	(void)st;

	card_net_pairs_encode(3, sec);
	assert_memory_equal(sec, ((unsigned char[]){ 1, 0, 0, 0, 3, 0, 0, 0 }), sizeof(sec));
	assert_int_equal(card_net_pairs_decode(sec, sizeof(sec), "n", 4, &pairs, &e), 0);
	assert_int_equal(pairs, 3);
	assert_int_equal(card_net_pairs_decode(sec, sizeof(sec), "n", 3, &pairs, &e), 0);

	pairs = 99;
	assert_int_equal(card_net_pairs_decode(sec, sizeof(sec), "n", 2, &pairs, &e), -1);
	assert_string_equal(e.msg, "n: snapshot card-net-pairs: pairs 3, not 1 to the "
			    "device's 2");
	assert_int_equal(card_net_pairs_decode(sec, 7, "n", 4, &pairs, &e), -1);
	assert_string_equal(e.msg, "n: snapshot card-net-pairs section is 7 bytes, not 8");
	memcpy(bad, sec, sizeof(bad));
	bad[0] = 2;
	assert_int_equal(card_net_pairs_decode(bad, sizeof(bad), "n", 4, &pairs, &e), -1);
	assert_string_equal(e.msg, "n: snapshot card-net-pairs version 2 (this azote reads 1)");
	card_net_pairs_encode(0, bad);
	assert_int_equal(card_net_pairs_decode(bad, sizeof(bad), "n", 4, &pairs, &e), -1);
	assert_string_equal(e.msg, "n: snapshot card-net-pairs: pairs 0, not 1 to the "
			    "device's 4");
	assert_int_equal(pairs, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_not_started),
		cmocka_unit_test(test_started_without_queues),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_net_pairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
