/* vmm/fc_filter: Firecracker's compiled seccomp filters in both encodings.
 *
 * The bitcode vectors below were written by the `bitcode` crate itself
 * (0.6.9, `bitcode::serialize` of a BTreeMap<String, Vec<u64>>, as
 * Firecracker 1.15's seccompiler-bin does), from programs whose
 * instructions come from a small generator this test reruns (gen_value):
 * so each vector is checked against values computed here, not against
 * what the decoder once printed. Together they cover each packing of both
 * column kinds (bytes: whole, base 16, 6, 4, 3 and 2, with and without a
 * minimum; u64: 8, 4 and 2 bytes and as bytes, with and without a
 * minimum), a length of 255 or more, upper-case names and an empty
 * program. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/fc_filter.h"

/* The generator's program: count values from seed; mod 0: the whole u64. */
struct gen {
	const char *name;
	unsigned count;
	uint64_t seed, mod, base;
};

static uint64_t gen_value(uint64_t *x, const struct gen *g)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return g->mod ? g->base + (*x >> 11) % g->mod : *x;
}

struct vector {
	const char *hex;
	struct gen prog[3]; /* in the order vmm, api, vcpu */
};

static const struct vector vectors[] = {
	{ "03048761706976637075766d6d04860"
	  "0a97f9290d963a9c404c9d987551fc8ead6fe27dd0658fb1ced766989f7b72753"
	  "f8fbe10487b403bce7d3783694cb9d587c00fd43ac6f576c1b1b4a86b38668820e"
	  "aa972099e1faa5",
	  { { "vmm", 3, 1, 0, 0 }, { "api", 2, 2, 0, 0 }, { "vcpu", 4, 3, 0, 0 } } },
	{ "03048761706976637075766d6d001414140608df74c9255bca7081d2991a50",
	  { { "vmm", 20, 1, 3, 0 }, { "api", 20, 2, 3, 0 }, { "vcpu", 20, 3, 3, 0 } } },
	{ "03048761706976637075766d6d02360a05e803000000000000029f2ad03404535a9e040a",
	  { { "vmm", 10, 1, 16, 1000 }, { "api", 6, 2, 16, 1000 },
	    { "vcpu", 3, 3, 9, 1003 } } },
	{ "03048761706976637075766d6d04d7048f86b927fa3ea2ce90c55f5ceee0ff019a2f"
	  "4b01e0ac0355f57b4a8355a3",
	  { { "vmm", 5, 1, 60000, 0 }, { "api", 5, 2, 60000, 0 },
	    { "vcpu", 5, 3, 60000, 0 } } },
	{ "03048761706976637075766d6d00091011060a232aabacf801",
	  { { "vmm", 17, 1, 2, 0 }, { "api", 9, 2, 2, 0 }, { "vcpu", 16, 3, 2, 0 } } },
	{ "03048761706976637075766d6d026606060462517b147f5a",
	  { { "vmm", 6, 1, 5, 0 }, { "api", 6, 2, 5, 0 }, { "vcpu", 6, 3, 4, 0 } } },
	{ "03048761706976637075766d6d0212080200000000000000000000000"
	  "0a07f88f543c970d6f51224336a32a2b9351097d60e46dc3ca9f49da6f498ae3d",
	  { { "vmm", 8, 1, 4294967296ULL, 0 }, { "api", 2, 2, 1, 0 },
	    { "vcpu", 1, 3, 1, 0 } } },
	/* "Api" (empty), "VMM", "vcpu" (300 instructions: 255, then 300 in
	 * the column of large lengths). */
	{ "03 04a5 417069564d4d76637075 00 0002ff 042c01 06 0906"
	  "0300000000000000000000000000000000000000000000000000000000000000000000000000",
	  { { "vmm", 2, 1, 1, 7 }, { "api", 0, 2, 0, 0 }, { "vcpu", 300, 3, 1, 6 } } },
};

/* Hex (spaces ignored) to bytes; returns the length. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = hex; *p; p++) {
		unsigned v;

		if (*p == ' ')
			continue;
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		p++;
	}
	return n;
}

static uint64_t insn_value(const struct sock_filter *s)
{
	return s->code | (uint64_t)s->jt << 16 | (uint64_t)s->jf << 24 |
	       (uint64_t)s->k << 32;
}

static void assert_programs(const struct fc_filters *f, const struct gen *prog)
{
	for (int c = 0; c < FC_NR_CATEGORIES; c++) {
		uint64_t x = prog[c].seed;

		assert_string_equal(fc_category_name(c), prog[c].name);
		assert_int_equal(f->len[c], prog[c].count);
		for (unsigned i = 0; i < prog[c].count; i++)
			assert_true(insn_value(&f->prog[c][i]) == gen_value(&x, &prog[c]));
	}
}

static void test_bitcode_vectors(void **st)
{
	(void)st;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		uint8_t buf[512];
		size_t len = unhex(vectors[v].hex, buf, sizeof(buf));
		struct fc_filters f;
		struct azerr e = { "" };

		if (fc_filters_parse(buf, len, &f, &e) < 0)
			fail_msg("vector %zu: %s", v, e.msg);
		assert_string_equal(f.format, "bitcode");
		assert_programs(&f, vectors[v].prog);
		fc_filters_free(&f);
	}
}

/* Every prefix of a file, and the file with a byte more, is refused with a
 * message: never read past the end, never taken for a shorter file. */
static void assert_only_whole_file(const uint8_t *buf, size_t len)
{
	uint8_t longer[8192];
	struct fc_filters f;
	struct azerr e;

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* ASan sees a read past n */

		memcpy(copy, buf, n);
		e.msg[0] = 0;
		assert_int_equal(fc_filters_parse(copy, n, &f, &e), -1);
		assert_true(e.msg[0] != 0);
		free(copy);
	}
	assert_true(len < sizeof(longer));
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(fc_filters_parse(longer, len + 1, &f, &e), -1);
	assert_non_null(strstr(e.msg, "after the last filter"));
}

static void test_bitcode_truncated(void **st)
{
	(void)st;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		uint8_t buf[512];

		assert_only_whole_file(buf, unhex(vectors[v].hex, buf, sizeof(buf)));
	}
}

/* Firecracker 1.0-1.14: written here as bincode's fixed-width LE layout. */
static size_t put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 8;
}

static size_t bincode_file(uint8_t *buf, const struct gen *prog, unsigned n)
{
	size_t len = put_u64(buf, n);

	for (unsigned c = 0; c < n; c++) {
		uint64_t x = prog[c].seed;

		len += put_u64(buf + len, strlen(prog[c].name));
		memcpy(buf + len, prog[c].name, strlen(prog[c].name));
		len += strlen(prog[c].name);
		len += put_u64(buf + len, prog[c].count);
		for (unsigned i = 0; i < prog[c].count; i++)
			len += put_u64(buf + len, gen_value(&x, &prog[c]));
	}
	return len;
}

static void test_bincode(void **st)
{
	(void)st;
	/* seccompiler-bin 1.14 writes a BTreeMap: api, vcpu, vmm. */
	const struct gen written[] = {
		{ "api", 0, 2, 0, 0 }, { "vcpu", 30, 3, 0, 0 }, { "Vmm", 5, 1, 0, 0 },
	};
	const struct gen wanted[] = {
		{ "vmm", 5, 1, 0, 0 }, { "api", 0, 2, 0, 0 }, { "vcpu", 30, 3, 0, 0 },
	};
	uint8_t buf[1024];
	size_t len = bincode_file(buf, written, 3);
	struct fc_filters f;
	struct azerr e = { "" };

	if (fc_filters_parse(buf, len, &f, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(f.format, "bincode");
	assert_programs(&f, wanted);
	fc_filters_free(&f);
	assert_only_whole_file(buf, len);
}

static void assert_refused(const struct gen *prog, unsigned n, const char *why)
{
	uint8_t *buf = malloc(200000);
	struct fc_filters f;
	struct azerr e = { "" };

	assert_int_equal(fc_filters_parse(buf, bincode_file(buf, prog, n), &f, &e), -1);
	if (!strstr(e.msg, why))
		fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
	free(buf);
}

static void test_map_checks(void **st)
{
	(void)st;
	const struct gen two[] = { { "vmm", 1, 1, 0, 0 }, { "api", 1, 2, 0, 0 } };
	const struct gen foreign[] = {
		{ "vmm", 1, 1, 0, 0 }, { "api", 1, 2, 0, 0 }, { "vcpu0", 1, 3, 0, 0 },
	};
	const struct gen twice[] = {
		{ "vmm", 1, 1, 0, 0 }, { "VMM", 1, 2, 0, 0 }, { "vcpu", 1, 3, 0, 0 },
	};
	const struct gen big[] = {
		{ "vmm", 1, 1, 0, 0 }, { "api", 1, 2, 0, 0 }, { "vcpu", 4097, 3, 0, 0 },
	};
	const struct gen largest[] = {
		{ "vmm", 4096, 1, 0, 0 }, { "api", 4096, 2, 0, 0 }, { "vcpu", 4096, 3, 0, 0 },
	};
	uint8_t *buf = calloc(1, FC_FILTER_MAX_FILE + 1);
	struct fc_filters f;
	struct azerr e;

	assert_refused(two, 2, "no filter for thread category \"vcpu\"");
	assert_refused(foreign, 3, "thread category \"vcpu0\"");
	assert_refused(twice, 3, "two filters for thread category \"vmm\"");
	assert_refused(big, 3, "4097 instructions; the kernel takes at most 4096");
	/* The largest programs fit in Firecracker's bound; a byte more than
	 * the bound is refused before it is decoded. */
	assert_int_equal(fc_filters_parse(buf, bincode_file(buf, largest, 3), &f, &e), 0);
	assert_int_equal(f.len[FC_CAT_VCPU], 4096);
	fc_filters_free(&f);
	memset(buf, 0, FC_FILTER_MAX_FILE + 1);
	assert_int_equal(fc_filters_parse(buf, FC_FILTER_MAX_FILE + 1, &f, &e), -1);
	assert_string_equal(e.msg, "100001 bytes; Firecracker's filter files are at most 100000");
	free(buf);
}

static void test_load_names_the_file(void **st)
{
	(void)st;
	char path[] = "/tmp/azote-fc-filter-XXXXXX";
	int fd = mkstemp(path);
	struct fc_filters f;
	struct azerr e = { "" };

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"vmm\": []}", 11), 11);
	close(fd);
	assert_int_equal(fc_filters_load(path, &f, &e), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "not a filter file of Firecracker's seccompiler-bin"));
	unlink(path);
	assert_int_equal(fc_filters_load(path, &f, &e), -1);
	assert_non_null(strstr(e.msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitcode_vectors),
		cmocka_unit_test(test_bitcode_truncated),
		cmocka_unit_test(test_bincode),
		cmocka_unit_test(test_map_checks),
		cmocka_unit_test(test_load_names_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
