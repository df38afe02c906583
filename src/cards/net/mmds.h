/* Firecracker's MMDS (microVM metadata service), the guest-facing half: a
 * tiny network stack inside the net card that answers ARP for the MMDS
 * IPv4 address and HTTP/1.1 over TCP port 80 to it, from a JSON document
 * (docs/mmds/mmds-user-guide.md in Firecracker). Pure: no I/O, no clock of
 * its own (the caller passes CLOCK_MONOTONIC in ms), no threads, no lock:
 * the caller serialises every call on one struct mmds. Keep one per card,
 * not one per queue pair: a session token issued on one connection must
 * work on the next, whichever queue the guest sends it on.
 *
 * Frames are Ethernet frames (no virtio-net header) both ways. The frames
 * the guest sends go through mmds_guest_frame first: those it returns true
 * for are MMDS's and must not reach the TAP. Its answers wait inside (a
 * bounded amount per connection) until the caller takes them with
 * mmds_reply_frame and gives them to the guest as if they came from the
 * TAP; no frame is ever dropped after it was produced, so the stack has no
 * retransmission timers. Nothing happens by time alone either: only these
 * calls change what mmds_pending says, so the caller polls it after each
 * mmds_guest_frame and whenever the guest gives receive buffers, and needs
 * no timer. Whatever the guest sends, memory stays bounded. */
#ifndef AZOTE_CARDS_NET_MMDS_H
#define AZOTE_CARDS_NET_MMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* The largest frame mmds_reply_frame produces: Ethernet header and a
 * 1500-byte IPv4 packet. */
#define MMDS_FRAME_MAX 1514

struct mmds_config {
	uint32_t ipv4;      /* network byte order */
	uint8_t version;    /* 1 or 2 */
	bool imds_compat;   /* IMDS-compatible answers (Firecracker's) */
};

struct mmds;

/* A new MMDS at 169.254.169.254, version 1, document {}; NULL on ENOMEM,
 * or (errno set) when getrandom fails: it draws its secret key there,
 * once, so the card creates it before its seccomp filter. */
struct mmds *mmds_new(void);
void mmds_free(struct mmds *m);

/* Sets the address, version and format. -1 with e (nothing changed) when
 * the address is not link-local as Firecracker has it (169.254.1.0 to
 * 169.254.254.255) or the version not 1 or 2. Open connections are dropped
 * if the address changes; tokens stay. */
int mmds_configure(struct mmds *m, const struct mmds_config *c,
		   struct azerr *e);

/* Replaces the document with json (len bytes, a JSON object of at most
 * 512 KiB, MMDS_DATA_MAX). -1 with e, the old document kept, otherwise. */
int mmds_set_data(struct mmds *m, const char *json, size_t len,
		  struct azerr *e);

/* Whether a frame the guest sends may be MMDS's: an ARP frame for the
 * MMDS address or an IPv4 packet to it. head holds the frame's first
 * MMDS_HEAD_LEN bytes (all of it if shorter), len is the frame's length.
 * Only such a frame need be copied out of guest memory for
 * mmds_guest_frame; any other is the TAP's. */
#define MMDS_HEAD_LEN 42
bool mmds_frame_is_ours(const struct mmds *m, const uint8_t *head, size_t len);

/* A frame the guest sent (Ethernet header first, no virtio-net header).
 * true: it was MMDS's (an ARP request for the MMDS address, an IPv4 packet
 * to it) and is consumed: the card must not send it to the TAP. The
 * frame must not change during the call: a copy, not guest memory the
 * guest may rewrite meanwhile. */
bool mmds_guest_frame(struct mmds *m, const uint8_t *frame, size_t len,
		      uint64_t now_ms);

/* The same for a frame whose virtio-net header has
 * VIRTIO_NET_HDR_F_NEEDS_CSUM (a GSO frame always has): the guest left
 * the TCP checksum to the device, the field holds only the pseudo-header's
 * sum, so it is not verified (the IPv4 header's still is). Such a frame
 * may be larger than MMDS_FRAME_MAX (TSO): any length is taken. */
bool mmds_guest_frame_csum_partial(struct mmds *m, const uint8_t *frame,
				   size_t len, uint64_t now_ms);

/* Whether a reply frame waits. */
bool mmds_pending(const struct mmds *m);

/* Copies the next reply frame into buf (cap >= MMDS_FRAME_MAX bytes) and
 * returns its length; 0 if none waits (or cap is too small). now_ms is
 * CLOCK_MONOTONIC in ms (tokens' TTL). */
size_t mmds_reply_frame(struct mmds *m, uint8_t *buf, size_t cap,
			uint64_t now_ms);

#endif
