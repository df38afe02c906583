/* A small AML (ACPI Machine Language) byte-code writer: enough to declare
 * devices with named data objects and resource templates, and the one
 * kind of method a Generic Event Device needs (_EVT: if Arg0 is this
 * interrupt, notify that device).
 * Encodings from the ACPI 6.5 specification, chapter 20 (AML grammar) and
 * section 6.4 (resource data types).
 *
 * Writes go into a caller's buffer. A write that does not fit, or a name
 * that is not a valid NameString, marks the writer failed (a->error says
 * why) and later writes do nothing, so a builder checks once at the end. */
#ifndef AZOTE_ARCH_X86_AML_H
#define AZOTE_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	const char *error;   /* NULL while every write succeeded */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Scope (path) { ... } and Device (path) { ... }: _open returns a mark for
 * aml_close, which ends the object and writes its PkgLength. Paths are
 * NameStrings: an optional leading '\', then segments of 1-4 characters
 * (A-Z, 0-9, '_', not starting with a digit) separated by '.'; short
 * segments are padded with '_' as ASL does. */
size_t aml_scope_open(struct aml *a, const char *path);
size_t aml_device_open(struct aml *a, const char *path);
void aml_close(struct aml *a, size_t mark);

/* Name (name, value) for the data kinds the tables use. */
void aml_name_int(struct aml *a, const char *name, uint64_t v);
void aml_name_string(struct aml *a, const char *name, const char *s);
/* Name(name, Package() { v[0], ... }): n (1..255) integers. */
void aml_name_package(struct aml *a, const char *name, const uint64_t *v, size_t n);
/* EISAID ("PNP0501"): three capitals and four hex digits, compressed into
 * a 32-bit integer (ACPI 6.5, 19.6.35). */
void aml_name_eisaid(struct aml *a, const char *name, const char *id);

/* Method (name, nargs, Serialized) { ... }, closed by aml_close (20.2.5.2;
 * nargs 0..7). */
size_t aml_method_open(struct aml *a, const char *name, unsigned nargs);
/* If (LEqual (Arg<arg>, v)) { ... }, closed by aml_close (20.2.5.3). */
size_t aml_if_arg_equal_open(struct aml *a, unsigned arg, uint64_t v);
/* Notify (path, v) (20.2.5.3): the OS's handler for that device runs. */
void aml_notify(struct aml *a, const char *path, uint64_t v);

/* Name (name, ResourceTemplate () { ... }): a Buffer holding resource
 * descriptors. aml_rt_close appends the End Tag with a checksum that makes
 * the template's bytes sum to zero (6.4.2.9), then sizes the buffer. */
size_t aml_name_rt_open(struct aml *a, const char *name);
void aml_rt_close(struct aml *a, size_t mark);

/* Resource descriptors, inside a template. */
/* IO (Decode16, base, base, 1, len): a fixed range of len ports (6.4.2.5). */
void aml_rd_io(struct aml *a, uint16_t base, uint8_t len);
/* Memory32Fixed (ReadWrite, base, len) (6.4.3.4). */
void aml_rd_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);

/* Interrupt (ResourceConsumer, trigger, polarity, Exclusive) { gsi }, the
 * Extended Interrupt Descriptor (6.4.3.6). */
#define AML_IRQ_EDGE       0x02   /* else level-triggered */
#define AML_IRQ_ACTIVE_LOW 0x04   /* else active high */
void aml_rd_interrupt(struct aml *a, uint32_t gsi, uint8_t mode);

/* Address space descriptors a bridge produces (ResourceProducer, MinFixed,
 * MaxFixed, PosDecode), the window [min, max] (6.4.3.5): WordBusNumber,
 * WordIO (EntireRange), DWordMemory (NonCacheable, ReadWrite). */
void aml_rd_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_rd_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_rd_dword_mem(struct aml *a, uint32_t min, uint32_t max);

#endif
