/* Finding the CPUs: the ACPI MADT when the loader or the BIOS area gives
 * an RSDP, else the Intel MP table (azote provides only that; QEMU's
 * microvm and q35 provide ACPI). Every table's checksum is verified. */
#include "boot.h"
#include "io.h"
#include "lib.h"
#include "probe.h"

#define MADT_LAPIC          0
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC         9
#define MADT_ENABLED        1
#define MADT_ONLINE_CAPABLE 2
#define MP_PROCESSOR        0
#define MP_CPU_ENABLED      1

static bool sum_ok(const void *p, u64 len)
{
	const u8 *b = p;
	u8 s = 0;

	while (len--)
		s += *b++;
	return s == 0;
}

static u16 rd16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static u32 rd32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 rd64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

/* Low-memory areas the specs say to search, each paragraph-aligned. The
 * BDA gives the EBDA segment (0x40e) and base memory size in KiB (0x413);
 * azote leaves the BDA zero, so fall back to the usual 639 KiB. */
struct area { u64 base, len; };

static unsigned search_areas(struct area *a)
{
	u64 ebda = (u64)*(const volatile u16 *)phys_ptr(0x40e) << 4;
	u64 basekb = *(const volatile u16 *)phys_ptr(0x413);
	unsigned n = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		a[n++] = (struct area){ ebda, 1024 };
	if (basekb < 512 || basekb > 640)
		basekb = 639;
	a[n++] = (struct area){ basekb * 1024 - 1024, 1024 };
	a[n++] = (struct area){ 0xe0000, 0x20000 };
	return n;
}

static const u8 *scan(const char *sig, u64 sig_len, u64 check_len,
		      const struct area *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (u64 p = a[i].base; p + check_len <= a[i].base + a[i].len; p += 16)
			if (!memcmp((const void *)p, sig, sig_len) &&
			    sum_ok((const void *)p, check_len))
				return (const u8 *)p;
	return NULL;
}

static const u8 *acpi_table(const u8 *rsdp, const char *sig)
{
	bool x = rsdp[15] >= 2 && rd64(rsdp + 24);
	const u8 *sdt = x ? (const u8 *)rd64(rsdp + 24) : (const u8 *)(u64)rd32(rsdp + 16);
	u32 len = rd32(sdt + 4), esz = x ? 8 : 4;

	if (memcmp(sdt, x ? "XSDT" : "RSDT", 4) || len < 36 || len > 65536 ||
	    !sum_ok(sdt, len))
		return NULL;
	for (u32 off = 36; off + esz <= len; off += esz) {
		const u8 *t = (const u8 *)(x ? rd64(sdt + off) : rd32(sdt + off));
		u32 tlen = rd32(t + 4);

		if (!memcmp(t, sig, 4) && tlen >= 36 && tlen <= 65536 &&
		    sum_ok(t, tlen))
			return t;
	}
	return NULL;
}

static void add_cpu(struct cpu_tables *t, u32 apic_id)
{
	if (t->nr < ARRAY_SIZE(t->apic_ids))
		t->apic_ids[t->nr] = apic_id;
	t->nr++;
}

static bool from_madt(struct cpu_tables *t, const u8 *rsdp, const char **why)
{
	const u8 *madt;
	u32 len;

	if (rsdp[15] >= 2 && !sum_ok(rsdp, 36)) {
		*why = "reason=rsdp_checksum";
		return false;
	}
	madt = acpi_table(rsdp, "APIC");
	if (!madt) {
		*why = "reason=no_valid_madt";
		return false;
	}
	len = rd32(madt + 4);
	t->source = "acpi";
	t->lapic = rd32(madt + 36);
	for (u32 off = 44; off + 2 <= len; off += madt[off + 1]) {
		const u8 *e = madt + off;
		u32 flags;

		if (e[1] < 2 || off + e[1] > len) {
			*why = "reason=madt_bad_entry";
			return false;
		}
		switch (e[0]) {
		case MADT_LAPIC:
			flags = rd32(e + 4);
			if (e[1] >= 8 && (flags & MADT_ENABLED))
				add_cpu(t, e[3]);
			break;
		case MADT_X2APIC:
			flags = rd32(e + 8);
			if (e[1] >= 16 && (flags & MADT_ENABLED))
				add_cpu(t, rd32(e + 4));
			break;
		case MADT_LAPIC_OVERRIDE:
			if (e[1] >= 12)
				t->lapic = rd64(e + 4);
			break;
		}
	}
	return true;
}

static bool from_mptable(struct cpu_tables *t, const u8 *mpf, const char **why)
{
	const u8 *cfg = (const u8 *)(u64)rd32(mpf + 4);
	u16 len, count;
	u32 off = 44;

	if (mpf[11]) {
		*why = "reason=mp_default_config_unsupported";
		return false;
	}
	if (!cfg || memcmp(cfg, "PCMP", 4)) {
		*why = "reason=mp_config_missing";
		return false;
	}
	len = rd16(cfg + 4);
	count = rd16(cfg + 34);
	if (len < 44 || !sum_ok(cfg, len)) {
		*why = "reason=mp_config_checksum";
		return false;
	}
	t->source = "mp";
	t->lapic = rd32(cfg + 36);
	for (u16 i = 0; i < count && off < len; i++) {
		const u8 *e = cfg + off;
		u32 size = e[0] == MP_PROCESSOR ? 20 : 8;

		if (e[0] > 4 || off + size > len) {
			*why = "reason=mp_bad_entry";
			return false;
		}
		if (e[0] == MP_PROCESSOR && (e[3] & MP_CPU_ENABLED))
			add_cpu(t, e[1]);
		off += size;
	}
	return true;
}

bool cpus_find(struct cpu_tables *t, const char *want, const char **why)
{
	struct area a[3];
	unsigned n = search_areas(a);
	bool acpi = strcmp(want, "mp") != 0, mp = strcmp(want, "acpi") != 0;
	const u8 *p;

	memset(t, 0, sizeof(*t));
	/* 1. the RSDP the loader handed over */
	if (acpi && boot.rsdp) {
		p = phys_ptr(boot.rsdp);
		if (memcmp(p, "RSD PTR ", 8) || !sum_ok(p, 20)) {
			*why = "reason=start_info_rsdp_invalid";
			return false;
		}
		return from_madt(t, p, why);
	}
	/* 2. an MP table in the EBDA / top of base memory: RAM, cheap to
	 *    read (under azote the BIOS area may be unbacked: try this first) */
	if (mp && (p = scan("_MP_", 4, 16, a, n - 1)))
		return from_mptable(t, p, why);
	/* 3. the BIOS area: an RSDP, else an MP table */
	if (acpi && (p = scan("RSD PTR ", 8, 20, a, n)))
		return from_madt(t, p, why);
	if (mp && (p = scan("_MP_", 4, 16, a + n - 1, 1)))
		return from_mptable(t, p, why);
	*why = "reason=no_cpu_table";
	return false;
}
