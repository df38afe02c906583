/* The snapshot state file: what a snapshot says about the machine it was
 * taken from, and the machine's state as a set of tagged sections
 * (base/state.h). Guest RAM is not in here: it goes to its own file
 * (vmm/snapshot_mem.h). docs/snapshot.md describes every byte.
 *
 *   header     magic "AZOTESNP", format version, this header's size, the
 *              azote version that wrote it, the host CPU it ran on, vCPU
 *              count, RAM size and layout, section count, file size
 *   table      one entry per section: tag, index, offset, length
 *   data       the sections' bytes, back to back in table order
 *   trailer    CRC-32 (zlib's) of every byte before it
 *
 * All integers are little-endian. The reader is a parser of user-supplied
 * files (PUT /snapshot/load, --restore, --describe-snapshot): every length
 * and offset is checked against the file's size and the limits below
 * before anything is copied, and the checksum before any of it is
 * trusted. */
#ifndef AZOTE_VMM_SNAPSHOT_FILE_H
#define AZOTE_VMM_SNAPSHOT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/guest_mem.h"
#include "base/state.h"
#include "common/err.h"
#include "vmm/atomic_file.h"

#define SNAPSHOT_MAGIC          "AZOTESNP"
/* Bumped whenever a reader of the previous version would misread a file
 * of the new one; a reader refuses every version but its own. */
#define SNAPSHOT_FORMAT_VERSION 2u
#define SNAPSHOT_HEADER_SIZE    200u
#define SNAPSHOT_ENTRY_SIZE     24u
/* Limits a file must respect: 254 vCPUs with a dozen sections each and a
 * few hundred devices fit many times over; a state file is a few MiB at
 * most (XSAVE areas are the biggest part). */
#define SNAPSHOT_MAX_SECTIONS   16384u
#define SNAPSHOT_MAX_FILE_SIZE  (256u << 20)
#define SNAPSHOT_VERSION_LEN    32   /* azote version string, NUL-padded */

/* The host CPU, as far as a restored guest can tell: the vendor and
 * family/model/stepping (CPUID 0 and 1) and the XSAVE state components the
 * CPU supports (CPUID 0xD.0: EDX:EAX) with the size of an XSAVE area
 * holding all of them (EBX... ECX). A guest's FPU/AVX state is only
 * meaningful on a CPU with the same components. */
struct snapshot_host {
	char vendor[13];
	uint32_t family, model, stepping;
	uint64_t xsave_features;   /* 0: no XSAVE */
	uint32_t xsave_size;
};

struct snapshot_region {
	uint64_t gpa, size, fd_offset;
};

struct snapshot_header {
	uint32_t version;          /* SNAPSHOT_FORMAT_VERSION when written */
	char azote_version[SNAPSHOT_VERSION_LEN + 1];
	struct snapshot_host host;
	uint32_t nr_vcpus;
	uint64_t mem_bytes;
	uint32_t nr_regions;       /* 1..GUEST_MEM_MAX_REGIONS */
	struct snapshot_region regions[GUEST_MEM_MAX_REGIONS];
	uint32_t nr_sections;      /* read: how many the file holds */
	uint64_t file_size;        /* read: the file's size */
};

/* This host's CPU (the CPUID instruction, as azote's process sees it). */
void snapshot_host_probe(struct snapshot_host *h);

/* A header for a machine of nr_vcpus and the RAM laid out as in m, taken
 * on this host by this azote. */
void snapshot_header_init(struct snapshot_header *h, unsigned nr_vcpus,
			  const struct guest_mem *m);

/* The file's bytes for h and s, malloc'd into *buf. */
int snapshot_encode(const struct snapshot_header *h, const struct state_set *s,
		    unsigned char **buf, size_t *len, struct azerr *e);

/* Parses len bytes; name stands for the file in messages. On success *h
 * and *s (initialised here; free s with state_set_free) hold the file's
 * contents; on failure s is empty and e says what is wrong, where. */
int snapshot_decode(const unsigned char *buf, size_t len, const char *name,
		    struct snapshot_header *h, struct state_set *s, struct azerr *e);

/* Writes the file at path atomically: a temporary file in the same
 * directory, fsync'ed, then renamed over path, so that path holds either
 * its old contents or the whole new file. Errors name the path and the
 * system's reason (a full disk: "No space left on device"). */
int snapshot_file_write(const char *path, const struct snapshot_header *h,
			const struct state_set *s, struct azerr *e);
/* snapshot_file_write but for the rename: the file encoded, written to
 * its temporary file *f and synced (vmm/atomic_file.h), path not touched
 * yet. The caller then puts it in place (atomic_file_rename) or drops it
 * (atomic_file_abort): create writes the memory file in between, so that
 * a state file that cannot be written fails the create before RAM
 * replaces anything. */
int snapshot_file_prepare(const char *path, const struct snapshot_header *h,
			  const struct state_set *s, struct atomic_file *f, struct azerr *e);

/* Reads and decodes the file at path (a regular file of at most
 * SNAPSHOT_MAX_FILE_SIZE bytes). */
int snapshot_file_read(const char *path, struct snapshot_header *h,
		       struct state_set *s, struct azerr *e);

/* Can a snapshot taken on h->host be restored on host? The same vendor,
 * family, model and stepping, and every XSAVE component the snapshot's
 * host had. name: the file, for the message. */
int snapshot_check_host(const struct snapshot_header *h, const struct snapshot_host *host,
			const char *name, struct azerr *e);

/* Does the snapshot describe a machine of nr_vcpus and this RAM layout (the
 * configuration it is restored into)? */
int snapshot_check_machine(const struct snapshot_header *h, unsigned nr_vcpus,
			   const struct guest_mem *layout, const char *name,
			   struct azerr *e);

/* Prints what the file holds, for --describe-snapshot. */
void snapshot_describe(FILE *out, const char *name, const struct snapshot_header *h,
		       const struct state_set *s);

#endif
