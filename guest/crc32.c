/* CRC-32 as zlib, gzip and Python's zlib.crc32 compute it (reflected
 * polynomial 0xedb88320, register and result inverted), so that a host
 * can name bytes it put somewhere with one number the probe checks. */
#include "lib.h"

#define CRC32_POLY 0xedb88320u

/* One entry per byte value: the register's change for that byte. Built
 * on first use (only the boot CPU computes CRCs). */
static u32 table[256];
static bool table_ready;

static void make_table(void)
{
	for (u32 i = 0; i < 256; i++) {
		u32 c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32_POLY & (0u - (c & 1)));
		table[i] = c;
	}
	table_ready = true;
}

u32 crc32(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	if (!table_ready)
		make_table();
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
