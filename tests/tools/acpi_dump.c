#include "acpi_dump.h"

#include <stdio.h>
#include <string.h>

/* Offsets from the ACPI 6.5 specification, read raw (not through azote's
 * structs) so that the dump checks the tables independently. */
#define RSDP_LEN          36
#define RSDP_XSDT         24
#define SDT_LENGTH        4
#define SDT_HEADER_LEN    36
#define FADT_X_DSDT       140
#define MAX_TABLES        16

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static int sums_to_zero(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s == 0;
}

static int save(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "boot_inspect: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* The table at gpa, whole, or NULL (with a message) if not in RAM. */
static const uint8_t *table_at(const struct guest_mem *m, uint64_t gpa, uint32_t *len)
{
	const uint8_t *h = guest_mem_ptr(m, gpa, SDT_HEADER_LEN);

	if (h)
		h = guest_mem_ptr(m, gpa, *len = get32(h + SDT_LENGTH));
	if (!h)
		fprintf(stderr, "boot_inspect: no ACPI table in RAM at 0x%llx\n",
			(unsigned long long)gpa);
	return h;
}

int acpi_dump(const struct guest_mem *m, uint64_t rsdp_gpa, const char *dir)
{
	const uint8_t *rsdp = guest_mem_ptr(m, rsdp_gpa, RSDP_LEN);
	uint64_t queue[MAX_TABLES];
	int n = 0, ok;
	uint32_t len;

	printf("acpi.rsdp=0x%llx\n", (unsigned long long)rsdp_gpa);
	if (!rsdp_gpa || !rsdp || memcmp(rsdp, "RSD PTR ", 8))
		return printf("acpi.tables=\n"), 0;
	ok = sums_to_zero(rsdp, 20) && sums_to_zero(rsdp, RSDP_LEN);
	if (save(dir, "RSDP", rsdp, RSDP_LEN) < 0)
		return -1;
	queue[n++] = get64(rsdp + RSDP_XSDT);
	printf("acpi.tables=RSDP");
	for (int i = 0; i < n; i++) {
		const uint8_t *t = table_at(m, queue[i], &len);
		char sig[5] = { 0 };
		if (!t || len < SDT_HEADER_LEN)
			return printf("\n"), -1;
		memcpy(sig, t, 4);
		printf(" %s", sig);
		ok &= sums_to_zero(t, len);
		if (save(dir, sig, t, len) < 0)
			return printf("\n"), -1;
		if (!strcmp(sig, "XSDT"))
			for (uint32_t off = SDT_HEADER_LEN; off + 8 <= len && n < MAX_TABLES; off += 8)
				queue[n++] = get64(t + off);
		if (!strcmp(sig, "FACP") && len >= FADT_X_DSDT + 8 && n < MAX_TABLES)
			queue[n++] = get64(t + FADT_X_DSDT);
	}
	printf("\nacpi.checksums_ok=%d\n", ok);
	return 0;
}
