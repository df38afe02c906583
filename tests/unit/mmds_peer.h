/* A guest's side of MMDS for tests and the fuzz target: builds the frames
 * a guest's stack would send (with its own checksum code, so that a
 * mistake in src/cards/net/mmds_wire.c is not mirrored) and reads the
 * frames MMDS answers with, checking their headers and checksums. */
#ifndef AZOTE_TESTS_MMDS_PEER_H
#define AZOTE_TESTS_MMDS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cards/net/mmds.h"

struct peer {
	struct mmds *m;
	uint8_t mac[6];
	uint32_t ip;            /* network byte order */
	uint32_t mmds_ip;       /* network byte order */
	uint16_t port;          /* the guest's */
	uint16_t dport;         /* MMDS's, 80 */
	uint32_t seq;           /* next sequence number to send */
	uint32_t ack;           /* next one expected from MMDS */
	uint16_t win;
	uint64_t now;
};

/* A segment MMDS sent. */
struct peer_seg {
	uint8_t dst_mac[6], src_mac[6];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, mss;
	uint8_t data[MMDS_FRAME_MAX];
	size_t len;
};

void peer_init(struct peer *p, struct mmds *m, uint16_t port);

/* The frame for a segment from p with these flags and data (an MSS
 * option with mss != 0); returns its length. */
size_t peer_frame(const struct peer *p, uint8_t *buf, uint8_t flags,
		  const void *data, size_t len, uint16_t mss);
/* Recomputes the IPv4 header checksum of a frame after a change. */
void peer_fix_ip_csum(uint8_t *frame);
size_t peer_arp_request(const struct peer *p, uint8_t *buf, uint32_t target);

/* Sends a segment (mmds_guest_frame's answer returned) and advances
 * p->seq by what it occupies. */
bool peer_send(struct peer *p, uint8_t flags, const void *data, size_t len);

/* Takes MMDS's next frame as a TCP segment: false if none, or if it is
 * not a well-formed one from the MMDS address to p (then *bad says why).
 * Checksums are verified. */
bool peer_recv(struct peer *p, struct peer_seg *s, const char **bad);

/* The same checks on frame f (n bytes) MMDS produced. */
bool peer_parse(const struct peer *p, const uint8_t *f, size_t n,
		struct peer_seg *s, const char **bad);

/* SYN, SYN-ACK, ACK; false if MMDS did not answer as it should. */
bool peer_connect(struct peer *p);

/* Sends req, reads segments and acknowledges them until a whole response
 * (head and Content-Length body) has come; returns it (malloc'd) or NULL. */
char *peer_http(struct peer *p, const char *req, size_t *len);

#endif
