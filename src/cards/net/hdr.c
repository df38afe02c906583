#include "cards/net/hdr.h"

#include <endian.h>

#include "cards/net/csum.h"
#include "virtio/virtio.h"

static bool has(uint64_t features, unsigned bit)
{
	return features & VIRTIO_BIT(bit);
}

void net_mode_init(struct net_mode *m, uint64_t f, unsigned mtu, unsigned link_mtu)
{
	unsigned limit = mtu && has(f, VIRTIO_NET_F_MTU) ? mtu : link_mtu;

	/* §5.1.6.1: num_buffers is there with VERSION_1 even without
	 * MRG_RXBUF; a legacy driver without MRG_RXBUF has the short one. */
	m->hdr_len = has(f, VIRTIO_F_VERSION_1) || has(f, VIRTIO_NET_F_MRG_RXBUF)
		     ? NET_HDR_LEN : NET_HDR_LEN_LEGACY;
	m->mrg_rxbuf = has(f, VIRTIO_NET_F_MRG_RXBUF);
	m->host_csum = has(f, VIRTIO_NET_F_CSUM);
	/* §5.1.3.1: segmentation offloads depend on checksum offload. */
	m->host_tso4 = m->host_csum && has(f, VIRTIO_NET_F_HOST_TSO4);
	m->host_tso6 = m->host_csum && has(f, VIRTIO_NET_F_HOST_TSO6);
	m->guest_csum = has(f, VIRTIO_NET_F_GUEST_CSUM);
	m->guest_tso4 = m->guest_csum && has(f, VIRTIO_NET_F_GUEST_TSO4);
	m->guest_tso6 = m->guest_csum && has(f, VIRTIO_NET_F_GUEST_TSO6);
	/* §5.1.6.2.1: with MTU negotiated, plain frames stay within it;
	 * without, within the link's (a VLAN tag on top, as on a wire). */
	m->max_plain_tx = limit && limit + NET_ETH_HLEN + NET_VLAN_HLEN < NET_MAX_FRAME
			  ? limit + NET_ETH_HLEN + NET_VLAN_HLEN : NET_MAX_FRAME;
	/* §5.1.4.2: with MTU negotiated, received plain frames stay within
	 * it too; without, the driver sized its buffers for an MTU of its
	 * own choosing, which the link's says nothing about. */
	m->max_plain_rx = mtu && has(f, VIRTIO_NET_F_MTU) ? m->max_plain_tx : NET_MAX_FRAME;
}

/* Rules both directions share: frame size, checksum offsets, GSO fields.
 * tso4/tso6 say which GSO kinds this direction negotiated, max_plain how
 * large a frame without GSO may be. */
static int check_common(const struct virtio_net_hdr_v1 *h, uint32_t frame_len,
			bool tso4, bool tso6, uint32_t max_plain, const char *dir,
			struct azerr *e)
{
	uint16_t csum_start = le16toh(h->csum_start);
	uint16_t csum_offset = le16toh(h->csum_offset);
	uint8_t gso = h->gso_type;

	if (frame_len < NET_ETH_HLEN || frame_len > NET_MAX_FRAME)
		return azerr_set(e, "%s frame of %u bytes (must be %d..%d)", dir,
				 frame_len, NET_ETH_HLEN, NET_MAX_FRAME);
	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (uint32_t)csum_start + csum_offset + 2 > frame_len)
		return azerr_set(e, "%s checksum at %u+%u outside the %u-byte frame",
				 dir, csum_start, csum_offset, frame_len);
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (frame_len > max_plain)
			return azerr_set(e, "%s frame of %u bytes without GSO exceeds the "
					 "MTU (at most %u)", dir, frame_len, max_plain);
		return 0;
	}
	if (!((gso == VIRTIO_NET_HDR_GSO_TCPV4 && tso4) ||
	      (gso == VIRTIO_NET_HDR_GSO_TCPV6 && tso6)))
		return azerr_set(e, "%s GSO type 0x%x not negotiated", dir, gso);
	/* §5.1.6.2: segmentation needs a partial checksum and an MSS. */
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !le16toh(h->gso_size))
		return azerr_set(e, "%s GSO frame without NEEDS_CSUM or with a zero "
				 "gso_size", dir);
	if (le16toh(h->hdr_len) > frame_len)
		return azerr_set(e, "%s GSO hdr_len %u beyond the %u-byte frame", dir,
				 le16toh(h->hdr_len), frame_len);
	return 0;
}

/* What the host does with a TSO frame the driver transmits: the TAP
 * takes gso_size as it comes and the host cuts the frame into segments of
 * that many bytes when it forwards it (or hands it on whole where the
 * payload fits in one). So gso_size is held to a segment Linux itself
 * would send (NET_MIN_GSO_SIZE) and to one the link carries with the
 * least TCP headers, as plain frames are held to the link's MTU: a larger
 * one would put frames over the MTU on the host, and a frame whose payload
 * fits in one such "segment" goes out as a plain frame past the MTU
 * check. The kernel refuses (EINVAL) a TCP checksum anywhere but the TCP
 * header's field; refused here first, with the reason. */
static int check_tx_gso(const struct virtio_net_hdr_v1 *h, const struct net_mode *m,
			struct azerr *e)
{
	uint16_t gso_size = le16toh(h->gso_size);
	/* max_plain_tx is at least NET_MIN_MTU's frame, above the headers. */
	uint32_t max_seg = m->max_plain_tx > NET_ETH_HLEN + NET_MIN_TCP_HLEN
			   ? m->max_plain_tx - NET_ETH_HLEN - NET_MIN_TCP_HLEN : 0;

	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (gso_size < NET_MIN_GSO_SIZE)
		return azerr_set(e, "TX GSO segments of %u bytes (at least %d)", gso_size,
				 NET_MIN_GSO_SIZE);
	if (gso_size > max_seg)
		return azerr_set(e, "TX GSO segments of %u bytes exceed the MTU (at most "
				 "%u)", gso_size, max_seg);
	if (le16toh(h->csum_offset) != NET_TCP_CSUM_OFF)
		return azerr_set(e, "TX GSO checksum at offset %u of its TCP header, not "
				 "%d", le16toh(h->csum_offset), NET_TCP_CSUM_OFF);
	return 0;
}

int net_hdr_check_tx(const struct virtio_net_hdr_v1 *h, uint32_t frame_len,
		     const struct net_mode *m, struct azerr *e)
{
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return azerr_set(e, "TX header flags 0x%x (only NEEDS_CSUM is allowed)",
				 h->flags);
	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !m->host_csum)
		return azerr_set(e, "TX frame asks for a checksum, CSUM not negotiated");
	if (check_common(h, frame_len, m->host_tso4, m->host_tso6, m->max_plain_tx,
			 "TX", e))
		return -1;
	return check_tx_gso(h, m, e);
}

/* Completes the partial checksum of frame[0..len) as a NIC that offloads
 * it does: the ones' complement sum of the bytes from start on (the field
 * at start + offset holds the pseudo-header's sum), complemented into
 * that field. The caller checked that the field lies in the frame. */
static void complete_csum(uint8_t *frame, uint32_t len, uint32_t start, uint32_t offset)
{
	/* A sum of zero goes out as 0xffff, the same number in ones'
	 * complement: to UDP a zero checksum means none. */
	uint16_t csum = (uint16_t)~net_csum_fold(net_csum_add(0, frame + start, len - start));

	if (!csum)
		csum = 0xffff;
	frame[start + offset] = (uint8_t)(csum >> 8);
	frame[start + offset + 1] = (uint8_t)csum;
}

int net_hdr_fix_rx(struct virtio_net_hdr_v1 *h, uint8_t *frame, uint32_t frame_len,
		   const struct net_mode *m, struct azerr *e)
{
	if (check_common(h, frame_len, m->guest_tso4, m->guest_tso6, m->max_plain_rx,
			 "RX", e))
		return -1;
	/* §5.1.6.4: without GUEST_CSUM the flags are zero and the frame fully
	 * checksummed. The TAP computes the checksum then (no TUN_F_CSUM),
	 * but frames it queued before the TUNSETOFFLOAD that took TUN_F_CSUM
	 * away (a driver renegotiating) still come partial: completed here. */
	if (!m->guest_csum && (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		complete_csum(frame, frame_len, le16toh(h->csum_start), le16toh(h->csum_offset));
	h->flags &= m->guest_csum ? VIRTIO_NET_HDR_F_NEEDS_CSUM |
				    VIRTIO_NET_HDR_F_DATA_VALID : 0;
	return 0;
}
