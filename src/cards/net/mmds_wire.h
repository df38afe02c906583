/* MMDS's frames on the wire: reading what the guest sends to the MMDS
 * address (Ethernet, ARP, IPv4, TCP; every length and checksum checked)
 * and writing the answers. Pure functions, no state. */
#ifndef AZOTE_CARDS_NET_MMDS_WIRE_H
#define AZOTE_CARDS_NET_MMDS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Firecracker's MMDS MAC address (mmds/ns.rs, DEFAULT_MAC_ADDR). */
#define MMDS_MAC { 0x06, 0x01, 0x23, 0x45, 0x67, 0x01 }

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* The MSS MMDS announces: a full 1500-byte IPv4 packet, no options. */
#define MMDS_MSS 1460
/* The port MMDS listens on. */
#define MMDS_PORT 80

/* What a frame the guest sent turned out to be. */
enum mmds_rx {
	MMDS_RX_NOT_OURS,  /* for the TAP */
	MMDS_RX_DROP,      /* to the MMDS address but unusable: consumed */
	MMDS_RX_ARP,       /* an ARP request for the MMDS address */
	MMDS_RX_TCP,       /* a TCP segment to the MMDS address */
};

/* The guest's side of an exchange: an ARP request's sender, a segment. */
struct mmds_seg {
	uint8_t mac[6];
	uint32_t ip;            /* network byte order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t mss;           /* the SYN's MSS option, 0 if none */
	bool bad_options;       /* an option ran past the header */
	const uint8_t *data;
	size_t len;
};

/* Whether a frame is for the MMDS address: an ARP frame asking for it,
 * an IPv4 packet to it. Reads at most the first MMDS_HEAD_LEN bytes. */
bool mmds_wire_is_ours(const uint8_t *frame, size_t len, uint32_t ipv4);

/* Reads frame (len bytes; it must not change during the call). ipv4 is
 * the MMDS address. With check_l4 false the TCP checksum is not
 * verified: the guest left it to the device (VIRTIO_NET_HDR_F_NEEDS_CSUM),
 * so the field holds only the pseudo-header's sum. */
enum mmds_rx mmds_wire_parse(const uint8_t *frame, size_t len, uint32_t ipv4,
			     bool check_l4, struct mmds_seg *s);

/* A segment MMDS sends. */
struct mmds_tx {
	const uint8_t *mac;     /* the guest's */
	uint32_t ip;            /* the guest's, network byte order */
	uint16_t sport;         /* ours: 80, or where a refused segment went */
	uint16_t dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	bool mss_option;        /* announce MMDS_MSS (on a SYN-ACK) */
	const uint8_t *data;
	size_t len;             /* at most MMDS_MSS */
};

/* Writes the segment from ipv4 as an Ethernet frame into buf (room for
 * MMDS_FRAME_MAX); returns its length. id is the IPv4 identification. */
size_t mmds_wire_tcp(uint8_t *buf, uint32_t ipv4, uint16_t id,
		     const struct mmds_tx *t);

/* Writes the ARP reply "ipv4 is at MMDS_MAC" to the guest's mac and ip. */
size_t mmds_wire_arp_reply(uint8_t *buf, uint32_t ipv4, const uint8_t mac[6],
			   uint32_t ip);

#endif
