/* virtio-net driver (virtio 1.2, 5.1) and the few protocols the network
 * tests speak (Ethernet, ARP, IPv4, ICMP echo, UDP). Polled from CPL 3. */
#ifndef PROBE_NET_H
#define PROBE_NET_H

#include "probe.h"
#include "virtio.h"

#define VIRTIO_NET_F_MTU      3
#define VIRTIO_NET_F_MAC      5
#define VIRTIO_NET_F_STATUS   16
#define NET_HDR_LEN           12     /* struct virtio_net_hdr_v1 */
#define NET_BUF               2048   /* >= 12 + 1514: no MRG_RXBUF, no GSO */
#define ETH_HLEN              14
#define IP_HLEN               20     /* we send and accept no options */
#define ETH_P_IP              0x0800
#define ETH_P_ARP             0x0806
#define IPPROTO_ICMP          1
#define IPPROTO_UDP           17

struct net {
	struct virtio_dev v;
	struct virtq rx, tx;
	u8 *rxbuf, *txbuf;          /* NET_BUF per descriptor index */
	u8 mac[6], peer_mac[6];
	u32 ip, peer, mask;         /* host byte order */
	u16 mtu;
	u64 rx_frames, tx_frames;
};

/* Finds virtio-net number probe.dev, starts it, fills the receive queue
 * and parses probe.ip / probe.peer. */
bool net_open(struct net *n, struct report *r);
void net_close(struct net *n);

/* Receives one frame: 1 with *frame and *len (valid until net_rx_done), 0
 * if none is waiting, -1 on a device error (n->v.why). */
int net_rx(struct net *n, u8 **frame, u32 *len, u16 *head);
void net_rx_done(struct net *n, u16 head);
/* Copies a frame into a free transmit buffer and queues it (published at
 * the next net_tx_kick). False if the ring is full after reclaiming. */
bool net_tx(struct net *n, const u8 *frame, u32 len);
void net_tx_kick(struct net *n);
/* Takes back transmitted buffers; -1 on a device error. */
int net_tx_reclaim(struct net *n);

/* ARP: answers requests for our address; learns the peer from replies.
 * Returns true if the frame was ARP (consumed). */
bool net_handle_arp(struct net *n, const u8 *f, u32 len);
bool net_resolve_peer(struct net *n, struct report *r);

/* Builders: write Ethernet+IPv4(+UDP/ICMP) headers for a packet to the
 * peer into f; return the header length. */
u32 net_ipv4_hdr(struct net *n, u8 *f, u8 proto, u32 payload_len, u16 id);
u32 net_udp_hdr(struct net *n, u8 *f, u16 sport, u16 dport, u32 payload_len);
u16 net_csum(const u8 *p, u32 len, u32 sum);

static inline u16 get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static inline u32 get32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static inline void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static inline void put32(u8 *p, u32 v) { put16(p, (u16)(v >> 16)); put16(p + 2, (u16)v); }

#endif
