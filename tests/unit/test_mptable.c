/* The MP table, read back as an MP-spec scanner would: floating pointer,
 * checksums recomputed, every entry walked and checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "x86_fixture.h"

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static const uint8_t *scan_mpf(const struct guest_mem *m, uint64_t base)
{
	const uint8_t *p = guest_mem_ptr(m, base, 1024);

	for (int off = 0; p && off < 1024; off += 16)
		if (!memcmp(p + off, "_MP_", 4))
			return p + off;
	return NULL;
}

/* Finds "_MP_" the two ways the MP spec gives: the first KiB of the EBDA
 * the BIOS data area points at, and the top KiB below 640 KiB (which is
 * where Linux looks); both must find the same pointer. */
static const uint8_t *find_mpf(const struct guest_mem *m)
{
	uint16_t seg = (uint16_t)fx_get(guest_mem_ptr(m, 0x40e, 2), 0, 2);
	uint16_t base_kb = (uint16_t)fx_get(guest_mem_ptr(m, 0x413, 2), 0, 2);
	const uint8_t *via_bda = scan_mpf(m, (uint64_t)seg << 4);

	assert_int_equal(base_kb, 639);
	assert_ptr_equal(via_bda, scan_mpf(m, 639 * 1024));
	return via_bda;
}

static void check_table(int n)
{
	struct guest_mem *m = fx_guest(32 << 20);
	struct azerr e;

	assert_int_equal(mptable_write(m, n, &e), 0);
	const uint8_t *mpf = find_mpf(m);
	assert_non_null(mpf);
	assert_int_equal(sum(mpf, 16), 0);
	assert_int_equal(mpf[8], 1);            /* length: 16 bytes */
	assert_int_equal(mpf[9], 4);            /* spec 1.4 */
	assert_int_equal(mpf[11], 0);           /* config table present */
	uint64_t cfg_gpa = fx_get(mpf, 4, 4);

	const uint8_t *cfg = guest_mem_ptr(m, cfg_gpa, 44);
	assert_memory_equal(cfg, "PCMP", 4);
	uint16_t len = (uint16_t)fx_get(cfg, 4, 2);
	assert_int_equal(len, mptable_config_size(n));
	/* In the BIOS area, which e820 reserves. */
	assert_true(cfg_gpa >= 0xf0000 && cfg_gpa + len <= GPA_HIGH_MEM);
	assert_int_equal(sum(cfg, len), 0);
	assert_int_equal(fx_get(cfg, 40, 2), 0);  /* no extended table... */
	assert_int_equal(fx_get(cfg, 42, 1), 0);  /* ...so its checksum is 0 */
	assert_int_equal(fx_get(cfg, 36, 4), 0xfee00000);

	int count = (int)fx_get(cfg, 34, 2);
	int cpus = 0, buses = 0, ioapics = 0, ints = 0, lints = 0;
	int isa_bus = -1, ioapic_id = -1;
	const uint8_t *p = cfg + 44;
	for (int i = 0; i < count; i++) {
		assert_true(p < cfg + len);
		switch (p[0]) {
		case 0:
			assert_int_equal(ints + buses + ioapics + lints, 0); /* sorted */
			assert_int_equal(p[1], cpus);                    /* APIC ID */
			assert_int_equal(p[3], cpus == 0 ? 3 : 1);       /* EN, BP */
			cpus++;
			p += 20;
			break;
		case 1:
			if (!memcmp(p + 2, "ISA   ", 6))
				isa_bus = p[1];
			else
				assert_memory_equal(p + 2, "PCI   ", 6);
			buses++;
			p += 8;
			break;
		case 2:
			ioapic_id = p[1];
			assert_int_equal(p[3] & 1, 1);
			assert_int_equal(fx_get(p, 4, 4), 0xfec00000);
			ioapics++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[1], 0);                    /* INT */
			assert_int_equal(p[4], isa_bus);
			assert_int_equal(p[5], ints);                 /* ISA IRQ */
			assert_int_equal(p[6], ioapic_id);
			assert_int_equal(p[7], ints);                 /* pin = IRQ */
			ints++;
			p += 8;
			break;
		case 4:
			assert_int_equal(p[1], lints == 0 ? 3 : 1);   /* ExtINT, NMI */
			assert_int_equal(p[6], 0xff);
			assert_int_equal(p[7], lints);                /* LINT0, LINT1 */
			lints++;
			p += 8;
			break;
		default:
			fail_msg("unknown MP entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, cfg + len);
	assert_int_equal(cpus, n);
	assert_int_equal(buses, 2);
	assert_int_equal(ioapics, 1);
	assert_int_equal(ioapic_id, n);
	assert_int_equal(ints, 24);                       /* every IOAPIC pin */
	assert_int_equal(lints, 2);
	fx_guest_free(m);
}

static void test_cpu_counts(void **state)
{
	static const int counts[] = { 1, 2, 4, 32, 39, 40, 128, BOOT_MAX_CPUS };
	(void)state;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		check_table(counts[i]);
}

static void test_rejects(void **state)
{
	struct guest_mem *m = fx_guest(32 << 20);
	struct azerr e;
	(void)state;

	assert_int_equal(mptable_write(m, 0, &e), -1);
	assert_non_null(strstr(e.msg, "0 CPUs"));
	assert_int_equal(mptable_write(m, BOOT_MAX_CPUS + 1, &e), -1);
	assert_non_null(strstr(e.msg, "255 CPUs"));
	fx_guest_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_counts),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
