#include "arch/x86/aml.h"

#include <string.h>

/* Opcodes and prefixes, ACPI 6.5 section 20.3. */
#define AML_ZERO          0x00
#define AML_ONE           0x01
#define AML_NAME          0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE         0x10
#define AML_BUFFER        0x11
#define AML_PACKAGE       0x12
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_EXT_PREFIX    0x5b
#define AML_EXT_DEVICE    0x82
#define AML_ROOT_CHAR     0x5c
#define AML_METHOD        0x14
#define AML_ARG0          0x68
#define AML_NOTIFY        0x86
#define AML_LEQUAL        0x93
#define AML_IF            0xa0
#define METHOD_SERIALIZED 0x08   /* MethodFlags bit 3; bits 0-2: ArgCount */

/* Resource descriptor tags, ACPI 6.5 section 6.4: small items carry their
 * length in the tag byte, large items in the two bytes after it. */
#define RD_IO             0x47   /* small item 0x08, 7 bytes */
#define RD_END_TAG        0x79   /* small item 0x0f, 1 byte */
#define RD_MEM32_FIXED    0x86
#define RD_DWORD_SPACE    0x87
#define RD_WORD_SPACE     0x88
#define RD_EXT_IRQ        0x89

/* Address space descriptor fields (6.4.3.5.5, Table 6.49 and on). */
#define SPACE_MEMORY      0
#define SPACE_IO          1
#define SPACE_BUS         2
#define GEN_MIN_FIXED     0x04   /* _MIF; bit 0 clear: ResourceProducer */
#define GEN_MAX_FIXED     0x08   /* _MAF; bit 1 clear: PosDecode */
#define IO_ENTIRE_RANGE   0x03   /* _RNG: ISA and non-ISA ports */
#define MEM_READ_WRITE    0x01   /* _RW; _MEM 0: NonCacheable */
#define IRQ_CONSUMER      0x01

/* PkgLength is reserved at its widest, 4 bytes, then shrunk (20.2.4). */
#define PKG_MAX           4
/* The buffer size, an Integer, likewise: DWordPrefix and 4 bytes. */
#define INT_MAX_BYTES     5

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	*a = (struct aml){ .buf = buf, .cap = cap };
}

static void fail(struct aml *a, const char *why)
{
	if (!a->error)
		a->error = why;
}

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->error)
		return;
	if (n > a->cap - a->len) {
		fail(a, "the AML does not fit its table's space");
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void put8(struct aml *a, uint8_t v)
{
	put(a, &v, 1);
}

/* Little-endian, as every multi-byte AML and resource field is. */
static void put_le(struct aml *a, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		put8(a, (uint8_t)(v >> (8 * i)));
}

/* Room for a field whose encoded size is known only later. */
static size_t reserve(struct aml *a, size_t n)
{
	size_t at = a->len;

	for (size_t i = 0; i < n; i++)
		put8(a, 0);
	return at;
}

/* Replaces the reserved bytes [at, at + reserved) by enc[0..n), n <=
 * reserved, moving what follows down. */
static void fill_reserved(struct aml *a, size_t at, size_t reserved,
			  const uint8_t *enc, size_t n)
{
	memmove(a->buf + at + n, a->buf + at + reserved, a->len - at - reserved);
	memcpy(a->buf + at, enc, n);
	a->len -= reserved - n;
}

/* Integer in its shortest form (20.2.3: ComputationalData). */
static size_t encode_int(uint64_t v, uint8_t *out)
{
	int bytes;

	if (v <= 1) {
		out[0] = v ? AML_ONE : AML_ZERO;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		bytes = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		bytes = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		bytes = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		bytes = 8;
	}
	for (int i = 0; i < bytes; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + (size_t)bytes;
}

static void put_int(struct aml *a, uint64_t v)
{
	uint8_t enc[9];

	put(a, enc, encode_int(v, enc));
}

static bool seg_char_ok(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* NameString (20.2.2): RootChar?, then NameSeg, DualNamePrefix or
 * MultiNamePrefix with the segments. */
static void put_namestring(struct aml *a, const char *path)
{
	char segs[255][4];
	size_t n = 0;
	const char *p = path;
	bool root = *p == '\\';

	if (root) {
		put8(a, AML_ROOT_CHAR);
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ".");
		if (len < 1 || len > 4 || n == 255) {
			fail(a, "an AML name segment is not 1 to 4 characters");
			return;
		}
		for (size_t i = 0; i < 4; i++) {
			char c = i < len ? p[i] : '_';
			if (!seg_char_ok(c, i == 0)) {
				fail(a, "an AML name holds a character outside A-Z, 0-9, _");
				return;
			}
			segs[n][i] = c;
		}
		n++;
		p += len;
		if (*p == '.' && !*++p) {
			fail(a, "an AML name ends with '.'");
			return;
		}
	}
	if (n == 0) {
		if (!root)
			fail(a, "an AML name is empty");
		put8(a, AML_ZERO);           /* "\\" alone: the root, NullName */
		return;
	}
	if (n == 2) {
		put8(a, AML_DUAL_NAME);
	} else if (n > 2) {
		put8(a, AML_MULTI_NAME);
		put8(a, (uint8_t)n);
	}
	put(a, segs, 4 * n);
}

/* Opcode, PkgLength (reserved), NameString: how Scope and Device start. */
static size_t named_package(struct aml *a, const uint8_t *op, size_t op_len,
			    const char *path)
{
	put(a, op, op_len);
	size_t mark = reserve(a, PKG_MAX);
	put_namestring(a, path);
	return mark;
}

size_t aml_scope_open(struct aml *a, const char *path)
{
	static const uint8_t op[] = { AML_SCOPE };

	return named_package(a, op, sizeof(op), path);
}

size_t aml_device_open(struct aml *a, const char *path)
{
	static const uint8_t op[] = { AML_EXT_PREFIX, AML_EXT_DEVICE };

	return named_package(a, op, sizeof(op), path);
}

/* PkgLength counts its own bytes too: one byte holds up to 63; longer
 * forms give the count of following bytes in bits 7-6 and the low nibble
 * in bits 3-0 of the lead byte, the rest in the following bytes. */
void aml_close(struct aml *a, size_t mark)
{
	if (a->error)
		return;
	size_t body = a->len - mark - PKG_MAX;
	uint8_t enc[PKG_MAX];
	size_t n;

	if (body + 1 <= 0x3f) {
		enc[0] = (uint8_t)(body + 1);
		n = 1;
	} else {
		for (n = 2; n <= PKG_MAX && body + n >= (1ULL << (4 + 8 * (n - 1))); n++)
			;
		if (n > PKG_MAX) {
			fail(a, "an AML package is longer than PkgLength encodes");
			return;
		}
		size_t total = body + n;
		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	fill_reserved(a, mark, PKG_MAX, enc, n);
}

size_t aml_method_open(struct aml *a, const char *name, unsigned nargs)
{
	static const uint8_t op[] = { AML_METHOD };

	if (nargs > 7)
		fail(a, "an AML method takes 0 to 7 arguments");
	size_t mark = named_package(a, op, sizeof(op), name);
	put8(a, (uint8_t)(METHOD_SERIALIZED | (nargs & 7)));
	return mark;
}

size_t aml_if_arg_equal_open(struct aml *a, unsigned arg, uint64_t v)
{
	if (arg > 6)
		fail(a, "an AML method has Arg0 to Arg6");
	put8(a, AML_IF);
	size_t mark = reserve(a, PKG_MAX);
	put8(a, AML_LEQUAL);
	put8(a, (uint8_t)(AML_ARG0 + (arg & 7)));
	put_int(a, v);
	return mark;
}

void aml_notify(struct aml *a, const char *path, uint64_t v)
{
	put8(a, AML_NOTIFY);
	put_namestring(a, path);
	put_int(a, v);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	put8(a, AML_NAME);
	put_namestring(a, name);
	put_int(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	put8(a, AML_NAME);
	put_namestring(a, name);
	put8(a, AML_STRING_PREFIX);
	put(a, s, strlen(s) + 1);
}

void aml_name_package(struct aml *a, const char *name, const uint64_t *v, size_t n)
{
	if (n < 1 || n > 255) {
		fail(a, "an AML package of integers holds 1 to 255 of them");
		return;
	}
	put8(a, AML_NAME);
	put_namestring(a, name);
	put8(a, AML_PACKAGE);
	size_t mark = reserve(a, PKG_MAX);
	put8(a, (uint8_t)n);               /* NumElements */
	for (size_t i = 0; i < n; i++)
		put_int(a, v[i]);
	aml_close(a, mark);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		fail(a, "an EISA ID is not 7 characters");
		return;
	}
	/* Each letter in 5 bits ('A' is 1), then 16 bits of product ID;
	 * stored most significant byte first. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, "an EISA ID does not start with three capitals");
			return;
		}
		v |= (uint32_t)(id[i] - '@') << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);
		if (d < 0) {
			fail(a, "an EISA ID does not end with four hex digits");
			return;
		}
		v |= (uint32_t)d << (4 * (6 - i));
	}
	put8(a, AML_NAME);
	put_namestring(a, name);
	/* ASL's EISAID() is always a DWord constant. */
	put8(a, AML_DWORD_PREFIX);
	put_le(a, __builtin_bswap32(v), 4);
}

size_t aml_name_rt_open(struct aml *a, const char *name)
{
	put8(a, AML_NAME);
	put_namestring(a, name);
	put8(a, AML_BUFFER);
	size_t mark = reserve(a, PKG_MAX);
	reserve(a, INT_MAX_BYTES);
	return mark;
}

void aml_rt_close(struct aml *a, size_t mark)
{
	if (a->error)
		return;
	size_t start = mark + PKG_MAX + INT_MAX_BYTES;
	uint8_t sum = RD_END_TAG;

	for (size_t i = start; i < a->len; i++)
		sum = (uint8_t)(sum + a->buf[i]);
	put8(a, RD_END_TAG);
	put8(a, (uint8_t)-sum);
	if (a->error)
		return;
	uint8_t enc[9];
	size_t n = encode_int(a->len - start, enc);
	fill_reserved(a, mark + PKG_MAX, INT_MAX_BYTES, enc, n);
	aml_close(a, mark);
}

void aml_rd_io(struct aml *a, uint16_t base, uint8_t len)
{
	put8(a, RD_IO);
	put8(a, 0x01);                  /* Decode16 */
	put_le(a, base, 2);             /* _MIN */
	put_le(a, base, 2);             /* _MAX */
	put8(a, 1);                     /* _ALN */
	put8(a, len);                   /* _LEN */
}

void aml_rd_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	put8(a, RD_MEM32_FIXED);
	put_le(a, 9, 2);
	put8(a, MEM_READ_WRITE);
	put_le(a, base, 4);
	put_le(a, len, 4);
}

void aml_rd_interrupt(struct aml *a, uint32_t gsi, uint8_t mode)
{
	put8(a, RD_EXT_IRQ);
	put_le(a, 6, 2);
	put8(a, IRQ_CONSUMER | (mode & (AML_IRQ_EDGE | AML_IRQ_ACTIVE_LOW)));
	put8(a, 1);                     /* one interrupt, no resource source */
	put_le(a, gsi, 4);
}

/* Word (6.4.3.5.3) and DWord (6.4.3.5.2) address space descriptors share
 * one layout: type, flags, then granularity, _MIN, _MAX, translation and
 * _LEN, each of the descriptor's width. */
static void address_space(struct aml *a, uint8_t tag, int width, uint8_t type,
			  uint8_t type_flags, uint64_t min, uint64_t max)
{
	put8(a, tag);
	put_le(a, 3 + 5 * (uint64_t)width, 2);
	put8(a, type);
	put8(a, GEN_MIN_FIXED | GEN_MAX_FIXED);
	put8(a, type_flags);
	put_le(a, 0, width);            /* _GRA */
	put_le(a, min, width);
	put_le(a, max, width);
	put_le(a, 0, width);            /* _TRA */
	put_le(a, max - min + 1, width);
}

void aml_rd_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	address_space(a, RD_WORD_SPACE, 2, SPACE_BUS, 0, min, max);
}

void aml_rd_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	address_space(a, RD_WORD_SPACE, 2, SPACE_IO, IO_ENTIRE_RANGE, min, max);
}

void aml_rd_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	address_space(a, RD_DWORD_SPACE, 4, SPACE_MEMORY, MEM_READ_WRITE, min, max);
}
