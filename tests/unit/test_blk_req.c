/* Unit tests for virtio-blk request parsing (src/cards/blk/req.c): every
 * request becomes an operation or a status, from chains read as byte
 * streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cards/blk/req.h"

#define SECTORS 1000

static const struct blk_geom geom = {
	.sectors = SECTORS, .max_discard_sectors = 64, .max_write_zeroes_sectors = 64,
};
static const struct blk_geom ro_geom = {
	.sectors = SECTORS, .read_only = true, .max_discard_sectors = 64,
	.max_write_zeroes_sectors = 64,
};

static struct virtio_blk_req_hdr hdr;
static uint8_t data[4096], status;
static struct iovec iov[8], out[8];
static struct virtq_chain c = { .iov = iov, .cap = 8 };
static struct blk_op op;

/* Chain: header (+ extra readable buffer), then writable data + status. */
static void chain(uint32_t type, uint64_t sector, void *rd, size_t rd_len,
		  size_t wr_len, bool with_status)
{
	unsigned n = 0;

	hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	iov[n++] = (struct iovec){ &hdr, sizeof(hdr) };
	if (rd_len)
		iov[n++] = (struct iovec){ rd, rd_len };
	c.nr_out = n;
	c.out_len = sizeof(hdr) + rd_len;
	if (wr_len)
		iov[n++] = (struct iovec){ data, wr_len };
	if (with_status)
		iov[n++] = (struct iovec){ &status, 1 };
	c.nr_in = n - c.nr_out;
	c.in_len = wr_len + with_status;
}

static void parse(const struct blk_geom *g)
{
	blk_req_parse(&c, g, out, 8, &op);
}

static void expect_status(uint8_t s)
{
	assert_int_equal(op.kind, BLK_OP_STATUS);
	assert_int_equal(op.status, s);
	assert_ptr_equal(op.status_ptr, &status);
	assert_int_equal(blk_req_used_len(&op, s), 1);
}

static void test_read_write(void **state)
{
	(void)state;
	chain(VIRTIO_BLK_T_IN, 8, NULL, 0, 1024, true);
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_READ);
	assert_int_equal(op.offset, 8 * 512);
	assert_int_equal(op.data_len, 1024);
	assert_ptr_equal(op.data[0].iov_base, data);
	assert_ptr_equal(op.status_ptr, &status);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_OK), 1025);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_IOERR), 1);

	chain(VIRTIO_BLK_T_OUT, SECTORS - 2, data, 1024, 0, true);
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_WRITE);
	assert_int_equal(op.data_len, 1024);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_OK), 1);

	parse(&ro_geom);
	expect_status(VIRTIO_BLK_S_IOERR);
}

static void test_byte_streams(void **state)
{
	uint8_t buf[16 + 512 + 1];
	(void)state;

	/* Header and data in one descriptor; data and status in another:
	 * the spec forbids assuming any framing. */
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_OUT, .sector = 3 };
	memcpy(buf, &hdr, 16);
	iov[0] = (struct iovec){ buf, 16 + 512 };
	iov[1] = (struct iovec){ &status, 1 };
	c.nr_out = 1;
	c.nr_in = 1;
	c.out_len = 528;
	c.in_len = 1;
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_WRITE);
	assert_ptr_equal(op.data[0].iov_base, buf + 16);
	assert_int_equal(op.data[0].iov_len, 512);

	/* Header split over two descriptors. */
	iov[0] = (struct iovec){ buf, 5 };
	iov[1] = (struct iovec){ buf + 5, 11 };
	iov[2] = (struct iovec){ data, 512 };
	iov[3] = (struct iovec){ &status, 1 };
	hdr.type = VIRTIO_BLK_T_IN;
	memcpy(buf, &hdr, 16);
	c.nr_out = 2;
	c.nr_in = 2;
	c.out_len = 16;
	c.in_len = 513;
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_READ);
	assert_int_equal(op.offset, 3 * 512);
}

static void test_bad_requests(void **state)
{
	(void)state;
	chain(VIRTIO_BLK_T_IN, 0, NULL, 0, 0, false);  /* nothing writable */
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_NONE);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_IOERR), 0);
	/* The status is the last writable byte wherever it lies: here it
	 * eats into the data, leaving 511 bytes. */
	chain(VIRTIO_BLK_T_IN, 0, NULL, 0, 512, false);
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_STATUS);
	assert_ptr_equal(op.status_ptr, data + 511);

	chain(VIRTIO_BLK_T_IN, 0, NULL, 0, 0, true);
	iov[0].iov_len = 12;  /* short header */
	c.out_len = 12;
	parse(&geom);
	expect_status(VIRTIO_BLK_S_IOERR);

	chain(VIRTIO_BLK_T_IN, 0, NULL, 0, 100, true);  /* not whole sectors */
	parse(&geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	chain(VIRTIO_BLK_T_IN, SECTORS, NULL, 0, 512, true);  /* past the end */
	parse(&geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	chain(VIRTIO_BLK_T_OUT, SECTORS - 1, data, 1024, 0, true);
	parse(&geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	chain(VIRTIO_BLK_T_IN, UINT64_MAX - 1, NULL, 0, 1024, true);  /* wraps */
	parse(&geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	chain(VIRTIO_BLK_T_IN, 0, NULL, 0, 0, true);  /* empty read is fine */
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_READ);

	chain(0x1234, 0, NULL, 0, 0, true);
	parse(&geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
	chain(10 /* GET_LIFETIME */, 0, NULL, 0, 16, true);
	parse(&geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
}

static void test_flush_get_id(void **state)
{
	(void)state;
	chain(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0, true);
	parse(&ro_geom);
	assert_int_equal(op.kind, BLK_OP_FLUSH);
	chain(VIRTIO_BLK_T_GET_ID, 0, NULL, 0, 20, true);
	parse(&geom);
	assert_int_equal(op.kind, BLK_OP_GET_ID);
	assert_int_equal(op.data_len, 20);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_OK), 21);
	chain(VIRTIO_BLK_T_GET_ID, 0, NULL, 0, 64, true);
	parse(&geom);
	assert_int_equal(blk_req_used_len(&op, VIRTIO_BLK_S_OK), 21);
}

static void segs(uint32_t type, const struct virtio_blk_discard_write_zeroes *s,
		 unsigned n, const struct blk_geom *g)
{
	static struct virtio_blk_discard_write_zeroes buf[20];

	memcpy(buf, s, n * sizeof(*s));
	chain(type, 0, buf, n * sizeof(*s), 0, true);
	parse(g);
}

static void test_discard_write_zeroes(void **state)
{
	struct virtio_blk_discard_write_zeroes s[20] = {
		{ 0, 8, 0 }, { 100, 64, 0 },
	};
	(void)state;

	segs(VIRTIO_BLK_T_DISCARD, s, 2, &geom);
	assert_int_equal(op.kind, BLK_OP_DISCARD);
	assert_int_equal(op.nr_segs, 2);
	assert_int_equal(op.segs[1].offset, 100 * 512);
	assert_int_equal(op.segs[1].len, 64 * 512);
	segs(VIRTIO_BLK_T_DISCARD, s, 2, &ro_geom);
	expect_status(VIRTIO_BLK_S_IOERR);

	s[1].flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	assert_int_equal(op.kind, BLK_OP_WRITE_ZEROES);
	assert_true(op.segs[1].unmap);
	assert_false(op.segs[0].unmap);
	/* UNMAP is not a DISCARD flag; unknown flags for both. */
	segs(VIRTIO_BLK_T_DISCARD, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
	s[1].flags = 4;
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
	s[1].flags = 0;

	s[1].num_sectors = 65;  /* above the advertised maximum */
	segs(VIRTIO_BLK_T_DISCARD, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	s[1] = (struct virtio_blk_discard_write_zeroes){ SECTORS - 4, 8, 0 };
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	s[1] = (struct virtio_blk_discard_write_zeroes){ UINT64_MAX - 2, 8, 0 };
	segs(VIRTIO_BLK_T_DISCARD, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_IOERR);

	/* Empty ranges ask for nothing: skipped, and a request of empty
	 * ranges only is answered OK without I/O. */
	s[0] = (struct virtio_blk_discard_write_zeroes){ 0, 0, 0 };
	s[1] = (struct virtio_blk_discard_write_zeroes){ 100, 8, 0 };
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	assert_int_equal(op.kind, BLK_OP_WRITE_ZEROES);
	assert_int_equal(op.nr_segs, 1);
	assert_int_equal(op.segs[0].offset, 100 * 512);
	s[1].num_sectors = 0;
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_OK);
	segs(VIRTIO_BLK_T_DISCARD, s, 1, &geom);
	expect_status(VIRTIO_BLK_S_OK);

	/* Segment count: none, too many, or a partial segment. */
	segs(VIRTIO_BLK_T_DISCARD, s, 0, &geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
	memset(s, 0, sizeof(s));
	segs(VIRTIO_BLK_T_DISCARD, s, BLK_MAX_SEGS + 1, &geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
	chain(VIRTIO_BLK_T_DISCARD, 0, s, 20, 0, true);
	parse(&geom);
	expect_status(VIRTIO_BLK_S_UNSUPP);
}

/* The bytes a request of type at sector 8 costs, parsed on geom. */
static uint64_t cost(uint32_t type, void *rd, size_t rd_len, size_t wr_len)
{
	chain(type, 8, rd, rd_len, wr_len, true);
	parse(&geom);
	return blk_req_limit_bytes(&op);
}

/* What each request costs the rate limiter in bytes: reads and writes
 * their data; a WRITE_ZEROES its ranges' length, UNMAP or not (the host
 * may write every zero, a block device's zeroing falling back to writes);
 * a DISCARD, which moves no data, and a request refused at parsing,
 * nothing. */
static void test_limit_bytes(void **state)
{
	/* The card's geometry: ranges of up to 4 GiB, on a disk that
	 * holds 16 of them. */
	const struct blk_geom big = {
		.sectors = 1ull << 40, .max_discard_sectors = 0xffffffffu / 512,
		.max_write_zeroes_sectors = 0xffffffffu / 512,
	};
	struct virtio_blk_discard_write_zeroes s[BLK_MAX_SEGS] = {
		{ 0, 8, 0 }, { 100, 64, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP },
	};
	(void)state;

	assert_int_equal(cost(VIRTIO_BLK_T_IN, NULL, 0, 1024), 1024);
	assert_int_equal(cost(VIRTIO_BLK_T_OUT, data, 2048, 0), 2048);
	assert_int_equal(cost(VIRTIO_BLK_T_FLUSH, NULL, 0, 0), 0);
	assert_int_equal(cost(VIRTIO_BLK_T_GET_ID, NULL, 0, 20), 0);

	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	assert_int_equal(op.kind, BLK_OP_WRITE_ZEROES);
	assert_int_equal(blk_req_limit_bytes(&op), (8 + 64) * 512);
	s[1].flags = 0;
	segs(VIRTIO_BLK_T_DISCARD, s, 2, &geom);
	assert_int_equal(op.kind, BLK_OP_DISCARD);
	assert_int_equal(blk_req_limit_bytes(&op), 0);
	/* Refused (beyond the disk): never run, so nothing to pay. */
	s[1].sector = SECTORS;
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, 2, &geom);
	expect_status(VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req_limit_bytes(&op), 0);

	/* The most one request can ask: 16 ranges of the largest size,
	 * about 64 GiB, counted exactly. */
	for (unsigned i = 0; i < BLK_MAX_SEGS; i++)
		s[i] = (struct virtio_blk_discard_write_zeroes){
			(uint64_t)i * big.max_write_zeroes_sectors,
			big.max_write_zeroes_sectors, 0 };
	segs(VIRTIO_BLK_T_WRITE_ZEROES, s, BLK_MAX_SEGS, &big);
	assert_int_equal(op.nr_segs, BLK_MAX_SEGS);
	assert_int_equal(blk_req_limit_bytes(&op),
			 (uint64_t)BLK_MAX_SEGS * big.max_write_zeroes_sectors * 512);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_byte_streams),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_flush_get_id),
		cmocka_unit_test(test_discard_write_zeroes),
		cmocka_unit_test(test_limit_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
