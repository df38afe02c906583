/* The Internet checksum (RFC 1071), for the frames the net card builds or
 * completes: MMDS's IPv4 and TCP headers, and a received frame's partial
 * checksum (hdr.c). */
#ifndef AZOTE_CARDS_NET_CSUM_H
#define AZOTE_CARDS_NET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* The sum of n bytes (big-endian 16-bit words, an odd last byte padded),
 * folded, not inverted, starting from sum. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t net_csum_fold(uint32_t sum);

#endif
