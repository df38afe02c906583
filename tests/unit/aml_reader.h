/* A reader for the AML azote writes, written from the ACPI 6.5
 * specification (chapter 20, section 6.4) apart from azote's writer, so
 * that test_acpi checks the byte code against the grammar rather than
 * against itself: Scope, Device and Name objects with integer, string,
 * buffer and package-of-integers values, and Methods whose body is If
 * (LEqual (ArgN, integer)) { Notify (name, integer) } blocks; anything
 * else is an error. */
#ifndef AZOTE_TESTS_AML_READER_H
#define AZOTE_TESTS_AML_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_READER_MAX 256

enum aml_value { AMLV_INT, AMLV_STRING, AMLV_BUFFER, AMLV_PACKAGE };

#define AML_READER_PACKAGE_MAX 8

/* One Name () found, with its absolute path ("\_SB_.COM1._HID"). */
struct aml_named {
	char path[64];
	enum aml_value kind;
	uint64_t integer;
	const char *string;
	const uint8_t *buffer;    /* the ByteList */
	size_t buffer_len;
	uint64_t package[AML_READER_PACKAGE_MAX];  /* a Package of integers */
	size_t package_len;
};

/* One Method () found, and what its body does: when Arg<arg> equals
 * equals, Notify (target, value). */
#define AML_READER_RULES 8
struct aml_method {
	char path[64];
	unsigned nargs;
	bool serialized;
	struct { unsigned arg; uint64_t equals; char target[64]; uint64_t value; }
		rules[AML_READER_RULES];
	size_t nr_rules;
};

#define AML_READER_METHODS 16

struct aml_tree {
	struct aml_named names[AML_READER_MAX];
	size_t nr;
	char devices[AML_READER_MAX][64];   /* every Device's path */
	size_t nr_devices;
	struct aml_method methods[AML_READER_METHODS];
	size_t nr_methods;
};

/* Parses a definition block (the bytes after the DSDT's header). Returns
 * NULL, or what is wrong and where. */
const char *aml_read(const uint8_t *aml, size_t len, struct aml_tree *t);

/* The Name at dev.name ("_HID"), or NULL. */
const struct aml_named *aml_find(const struct aml_tree *t, const char *dev,
				 const char *name);

/* The Method at dev.name ("_EVT"), or NULL. */
const struct aml_method *aml_find_method(const struct aml_tree *t, const char *dev,
					 const char *name);

/* One resource descriptor of a template (6.4): a small item's type
 * (bits 6-3 of its tag) or a large item's tag, and its body. */
struct aml_rd {
	uint8_t type;
	const uint8_t *body;
	size_t len;
};

/* Splits a ResourceTemplate buffer into at most max descriptors, End Tag
 * excluded. Returns the count, or -1 if the buffer is malformed, lacks
 * its End Tag, or its bytes do not sum to 0. */
int aml_resources(const uint8_t *buf, size_t len, struct aml_rd *out, int max);

#define RD_SMALL_IO          0x08
#define RD_LARGE_MEM32_FIXED 0x86
#define RD_LARGE_DWORD_SPACE 0x87
#define RD_LARGE_WORD_SPACE  0x88
#define RD_LARGE_EXT_IRQ     0x89

#endif
