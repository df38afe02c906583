/* io_bus: registration, overlap refusal, dispatch and range edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/io_bus.h"

struct probe_dev {
	uint64_t last_off;
	unsigned last_len;
	uint32_t last_write;
	int reads, writes;
};

static void dev_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct probe_dev *d = opaque;
	d->reads++;
	d->last_off = off;
	d->last_len = len;
	memset(data, 0xab, len);
}

static void dev_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct probe_dev *d = opaque;
	d->writes++;
	d->last_off = off;
	d->last_len = len;
	d->last_write = 0;
	memcpy(&d->last_write, data, len > 4 ? 4 : len);
}

static const struct io_ops ops = { .read = dev_read, .write = dev_write };

static void test_dispatch_offsets(void **state)
{
	struct io_bus bus;
	struct probe_dev a = { 0 }, b = { 0 };
	uint32_t v = 0;
	(void)state;

	io_bus_init(&bus, "port");
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, &ops, &a, NULL), 0);
	assert_int_equal(io_bus_register(&bus, 0x60, 5, &ops, &b, NULL), 0);

	assert_int_equal(io_bus_read(&bus, 0x3fd, &v, 1), 0);
	assert_int_equal(a.reads, 1);
	assert_int_equal(a.last_off, 5);
	assert_int_equal(v & 0xff, 0xab);

	v = 0x1234;
	assert_int_equal(io_bus_write(&bus, 0x63, &v, 2), 0);
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.last_off, 3);
	assert_int_equal(b.last_write, 0x1234);
	io_bus_destroy(&bus);
}

static void test_unclaimed_and_straddling(void **state)
{
	struct io_bus bus;
	struct probe_dev a = { 0 };
	uint32_t v;
	(void)state;

	io_bus_init(&bus, "mmio");
	assert_int_equal(io_bus_register(&bus, 0x1000, 0x10, &ops, &a, NULL), 0);
	assert_int_equal(io_bus_read(&bus, 0xfff, &v, 1), -1);
	assert_int_equal(io_bus_read(&bus, 0x1010, &v, 1), -1);
	/* The last byte is claimed; an access running past the end is not. */
	assert_int_equal(io_bus_read(&bus, 0x100f, &v, 1), 0);
	assert_int_equal(io_bus_read(&bus, 0x100e, &v, 4), -1);
	assert_int_equal(a.reads, 1);
	io_bus_destroy(&bus);
}

static void test_overlap_refused(void **state)
{
	struct io_bus bus;
	struct probe_dev a = { 0 };
	struct azerr e;
	(void)state;

	io_bus_init(&bus, "mmio");
	assert_int_equal(io_bus_register(&bus, 0x2000, 0x1000, &ops, &a, NULL), 0);
	assert_int_equal(io_bus_register(&bus, 0x2fff, 0x10, &ops, &a, &e), -1);
	assert_non_null(strstr(e.msg, "overlaps 0x2000"));
	assert_int_equal(io_bus_register(&bus, 0x1f00, 0x101, &ops, &a, &e), -1);
	assert_int_equal(io_bus_register(&bus, 0x1f00, 0x100, &ops, &a, NULL), 0);
	assert_int_equal(io_bus_register(&bus, 0x3000, 0, &ops, &a, &e), -1);
	assert_int_equal(io_bus_register(&bus, UINT64_MAX, 2, &ops, &a, &e), -1);
	assert_non_null(strstr(e.msg, "wraps"));
	io_bus_destroy(&bus);
}

static void test_unregister_and_many(void **state)
{
	struct io_bus bus;
	struct probe_dev d[40];
	uint8_t v;
	(void)state;

	memset(d, 0, sizeof(d));
	io_bus_init(&bus, "mmio");
	/* Registered out of order, more than the initial capacity. */
	for (int i = 39; i >= 0; i--)
		assert_int_equal(io_bus_register(&bus, 0x10000 + (uint64_t)i * 0x100, 0x80,
						 &ops, &d[i], NULL), 0);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(io_bus_read(&bus, 0x10000 + (uint64_t)i * 0x100 + 0x7f, &v, 1), 0);
		assert_int_equal(d[i].reads, 1);
		assert_int_equal(io_bus_read(&bus, 0x10000 + (uint64_t)i * 0x100 + 0x80, &v, 1), -1);
	}
	assert_int_equal(io_bus_unregister(&bus, 0x10500, &d[4]), -1); /* wrong owner */
	assert_int_equal(io_bus_unregister(&bus, 0x10500, &d[5]), 0);
	assert_int_equal(io_bus_read(&bus, 0x10500, &v, 1), -1);
	assert_int_equal(io_bus_read(&bus, 0x10600, &v, 1), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x10500, &d[5]), -1);
	io_bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_offsets),
		cmocka_unit_test(test_unclaimed_and_straddling),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_unregister_and_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
