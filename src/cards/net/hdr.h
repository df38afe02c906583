/* The virtio-net header (virtio 1.2 §5.1.6) in front of every frame, both
 * ways, and the rules a frame must follow for the features the driver
 * negotiated. A frame the driver transmits is checked here before it
 * reaches the TAP; a frame from the TAP is made to fit what the driver
 * accepted before it reaches the guest. Pure functions: no I/O. */
#ifndef AZOTE_CARDS_NET_HDR_H
#define AZOTE_CARDS_NET_HDR_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* The header with num_buffers (VERSION_1 or MRG_RXBUF), and without. */
#define NET_HDR_LEN        12
#define NET_HDR_LEN_LEGACY 10
#define NET_ETH_HLEN       14
#define NET_VLAN_HLEN      4
/* Largest frame either way, header not included: a 64 KiB GSO packet with
 * its headers, what virtio-net drivers size their big buffers for. */
#define NET_MAX_FRAME      65550
/* The smallest segment a TSO frame the driver transmits may ask for:
 * Linux's TCP never sends less data per segment (tcp_min_snd_mss's 48
 * bytes are 40 of options and 8 of data). Finer segmentation is work the
 * host would do for the guest: a 64 KiB frame cut into 1-byte segments is
 * 65000 packets on the host. */
#define NET_MIN_GSO_SIZE   8
/* The least headers a TCP segment has (IPv4 and TCP without options):
 * what a segment of gso_size bytes needs on top of the Ethernet header. */
#define NET_MIN_TCP_HLEN   40
/* Where a TCP header's checksum field is. */
#define NET_TCP_CSUM_OFF   16
/* MTU limits (--mtu): IPv4's minimum to what the config field holds. */
#define NET_MIN_MTU        68
#define NET_MAX_MTU        65535

/* What the negotiated features mean for the data path. */
struct net_mode {
	unsigned hdr_len;           /* NET_HDR_LEN or NET_HDR_LEN_LEGACY */
	bool mrg_rxbuf;             /* a frame may span several RX buffers */
	bool host_csum, host_tso4, host_tso6;    /* what TX frames may ask */
	bool guest_csum, guest_tso4, guest_tso6; /* what RX frames may carry */
	uint32_t max_plain_tx;      /* largest non-GSO TX frame */
	uint32_t max_plain_rx;      /* largest non-GSO RX frame */
};

/* Derives the mode from the driver's features, the MTU the device
 * offered (0: none) and the MTU of the link behind the card (the TAP's,
 * 0: unknown). Plain frames are held to the negotiated MTU, else to the
 * link's: a frame the link could not carry is dropped here, as a NIC's
 * wire would, rather than handed to the host as if it had arrived.
 * Received plain frames are held to the negotiated MTU only (§5.1.4.2). */
void net_mode_init(struct net_mode *m, uint64_t features, unsigned mtu,
		   unsigned link_mtu);

/* Checks the header of a frame the driver transmits, frame_len bytes
 * after the header: flags, GSO type against the negotiated offloads,
 * checksum and header offsets inside the frame, length limits. -1 with
 * the reason in e when the frame must be dropped. */
int net_hdr_check_tx(const struct virtio_net_hdr_v1 *h, uint32_t frame_len,
		     const struct net_mode *m, struct azerr *e);

/* Makes a frame read from the TAP, header h and the frame_len bytes of
 * frame after it, what the driver may see: offsets checked, GSO only of a
 * negotiated kind, plain frames within a negotiated MTU; without
 * GUEST_CSUM, checksum flags cleared and a partial checksum completed in
 * frame. -1 with the reason in e if the frame cannot be given to this
 * driver. num_buffers is the caller's. */
int net_hdr_fix_rx(struct virtio_net_hdr_v1 *h, uint8_t *frame, uint32_t frame_len,
		   const struct net_mode *m, struct azerr *e);

#endif
