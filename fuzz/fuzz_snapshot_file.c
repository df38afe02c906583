/* libFuzzer target: the snapshot state file parser (vmm/snapshot_file.c),
 * the input of PUT /snapshot/load, --restore and --describe-snapshot.
 * Every accepted file must round-trip: encoded again, it decodes to the
 * same header and sections. The checksum would stop nearly every mutation
 * at the door, so inputs whose first byte is odd get a correct checksum
 * first, to reach the structure checks behind it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vmm/snapshot_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reseal(unsigned char *p, size_t len)
{
	uint32_t crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)(len - 4));

	for (int i = 0; i < 4; i++)
		p[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot_header h, h2;
	struct state_set s, s2;
	struct azerr e;
	unsigned char *copy = malloc(size ? size : 1), *again;
	size_t len;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size >= 4 && (data[0] & 1)) {
		/* Make the magic, version and file size right too. */
		if (size >= 168) {
			memcpy(copy, SNAPSHOT_MAGIC, 8);
			copy[8] = SNAPSHOT_FORMAT_VERSION;
			copy[9] = copy[10] = copy[11] = 0;
			for (int i = 0; i < 8; i++)
				copy[160 + i] = (unsigned char)((uint64_t)size >> (8 * i));
		}
		reseal(copy, size);
	}
	if (snapshot_decode(copy, size, "fuzz", &h, &s, &e) == 0) {
		if (snapshot_encode(&h, &s, &again, &len, &e) != 0 || len != size ||
		    memcmp(again, copy, size))
			abort();
		if (snapshot_decode(again, len, "fuzz", &h2, &s2, &e) != 0 || s2.n != s.n)
			abort();
		state_set_free(&s2);
		free(again);
		state_set_free(&s);
	}
	free(copy);
	return 0;
}
