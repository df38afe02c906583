/* Frames for the host-only net test driver: Ethernet, ARP, IPv4, ICMP,
 * UDP and TCP, built and recognised just well enough to talk to the
 * Linux stack on the other side of a TAP. Addresses are in network byte
 * order as they appear on the wire. */
#ifndef AZOTE_TESTS_HOST_PKT_H
#define AZOTE_TESTS_HOST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_ETH_HLEN 14
#define PKT_IP_HLEN  20
/* A private EtherType (IEEE 802 local experimental) for numbered test
 * frames, so that nothing else the kernel sends is mistaken for them. */
#define PKT_ETH_P_TEST 0x88b5

struct pkt_addr {
	uint8_t mac[6];
	uint32_t ip;                /* network order */
};

/* Internet checksum of len bytes, continuing from sum (0 to start). */
uint16_t pkt_csum(const void *data, size_t len, uint32_t sum);

size_t pkt_arp_request(uint8_t *f, const struct pkt_addr *src, uint32_t target_ip);
/* True if f is an ARP reply telling us (to) where ip is; fills mac. */
bool pkt_is_arp_reply(const uint8_t *f, size_t len, const struct pkt_addr *to,
		      uint32_t ip, uint8_t mac[6]);

/* If f is an ARP request for me->ip, builds the reply in out. */
bool pkt_arp_answer(const uint8_t *f, size_t len, const struct pkt_addr *me,
		    uint8_t *out, size_t *out_len);

/* ICMP echo request with payload_len bytes of a pattern made from seq.
 * partial: leave the ICMP checksum zero and return in *csum_start /
 * *csum_offset where a device must put it (checksum offload). */
size_t pkt_icmp_echo(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
		     uint16_t id, uint16_t seq, size_t payload_len, bool partial,
		     uint16_t *csum_start, uint16_t *csum_offset);
/* True if f is the echo reply to id/seq with the same payload. */
bool pkt_is_echo_reply(const uint8_t *f, size_t len, uint16_t id, uint16_t seq,
		       size_t payload_len);

/* A numbered test frame of len bytes (at least 20) from src to dst. */
size_t pkt_test_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
		      uint32_t seq, size_t len);
/* The number of a valid test frame (content checked), or -1. */
long pkt_test_seq(const uint8_t *f, size_t len);

/* A UDP datagram from src:sport to dst:dport with len payload bytes. */
size_t pkt_udp(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
	       uint16_t sport, uint16_t dport, size_t len);

/* A TCP segment too large for one frame, for segmentation offload: ACK
 * with payload_len bytes, checksum partial (pseudo-header only). Fills
 * csum_start/offset and hdr_len (headers' total) for the vnet header. */
size_t pkt_tcp_big(uint8_t *f, const struct pkt_addr *src, const struct pkt_addr *dst,
		   size_t payload_len, uint16_t *csum_start, uint16_t *csum_offset,
		   uint16_t *hdr_len);

#endif
