/* virtio-net: set-up, receive and transmit queues. No offloads are
 * negotiated, so every frame carries a zero virtio_net_hdr_v1 and fits in
 * one 2 KiB buffer. */
#include "io.h"
#include "lib.h"
#include "net.h"

#define CFG_MAC       0
#define CFG_STATUS    6
#define CFG_MTU       10
#define LINK_UP       1

static bool parse_ip(const char *s, u32 *ip, u32 *prefix)
{
	u32 v = 0;
	u64 part;

	for (int i = 0; i < 4; i++) {
		const char *e = s;

		while (*e >= '0' && *e <= '9')
			e++;
		if (!parse_u64(s, (size_t)(e - s), &part) || part > 255)
			return false;
		v = v << 8 | (u32)part;
		if (i < 3 && *e != '.')
			return false;
		s = i < 3 ? e + 1 : e;
	}
	if (prefix) {
		if (*s != '/' || !parse_u64(s + 1, strlen(s + 1), &part) ||
		    part < 1 || part > 30)
			return false;
		*prefix = (u32)part;
	} else if (*s) {
		return false;
	}
	*ip = v;
	return true;
}

static void rx_add(struct net *n)
{
	u16 head = n->rx.free_head;
	struct vq_seg s = { n->rxbuf + (u64)head * NET_BUF, NET_BUF, true };

	vq_add(&n->rx, &s, 1);
}

bool net_open(struct net *n, struct report *r)
{
	u64 qmax = param_u64("qsize", 256, 2, VIRTQ_MAX_SIZE);
	u64 want = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_MTU |
		   1ULL << VIRTIO_NET_F_STATUS;
	u32 prefix = 0;
	u16 st = LINK_UP;
	bool ok;

	memset(n, 0, sizeof(*n));
	if (param_u64("event_idx", 0, 0, 1))
		want |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
	if (!parse_ip(param_str("ip", ""), &n->ip, &prefix) ||
	    !parse_ip(param_str("peer", ""), &n->peer, NULL)) {
		rep_fail(r, "param_error=need probe.ip=A.B.C.D/NN probe.peer=A.B.C.D");
		return false;
	}
	n->mask = ~0u << (32 - prefix);
	if ((n->ip & n->mask) != (n->peer & n->mask) || n->ip == n->peer) {
		rep_fail(r, "param_error=peer_not_on_our_subnet");
		return false;
	}
	n->mtu = 1500;
	ok = virtio_open(&n->v, VIRTIO_ID_NET, want, r);
	if (ok && !virtio_has(&n->v, VIRTIO_NET_F_MAC)) {
		n->v.why = "reason=device_offers_no_mac";
		ok = false;
	}
	ok = ok && virtio_cfg_read(&n->v, CFG_MAC, n->mac, 6, 1) &&
	     (!virtio_has(&n->v, VIRTIO_NET_F_STATUS) ||
	      virtio_cfg_read(&n->v, CFG_STATUS, &st, 2, 2)) &&
	     (!virtio_has(&n->v, VIRTIO_NET_F_MTU) ||
	      virtio_cfg_read(&n->v, CFG_MTU, &n->mtu, 2, 2)) &&
	     virtio_queue(&n->v, &n->rx, 0, (u16)qmax) &&
	     virtio_queue(&n->v, &n->tx, 1, (u16)qmax);
	if (ok) {
		n->rxbuf = alloc_pages((u64)n->rx.size * NET_BUF);
		n->txbuf = alloc_pages((u64)n->tx.size * NET_BUF);
		if (!n->rxbuf || !n->txbuf) {
			n->v.why = "reason=out_of_memory";
			ok = false;
		}
	}
	if (ok) {
		while (n->rx.num_free)
			rx_add(n);
		ok = virtio_driver_ok(&n->v);
		vq_kick(&n->rx);
	}
	if (!ok) {
		rep_fail(r, "%s", n->v.why);
		virtio_reset(&n->v);
		return false;
	}
	/* The MTU bounds frames we send: 68 is IPv4's minimum, and our
	 * buffers hold at most 1500 bytes of IP. */
	if (n->mtu < 68 || n->mtu > 1500) {
		rep_fail(r, "reason=unsupported_mtu mtu=%u", n->mtu);
		return false;
	}
	rep_kv(r, "mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u", n->mac[0],
	       n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5], n->mtu);
	if (!(st & LINK_UP)) {
		rep_fail(r, "reason=link_down");
		return false;
	}
	return true;
}

void net_close(struct net *n)
{
	virtio_reset(&n->v);
}

int net_rx(struct net *n, u8 **frame, u32 *len, u16 *head)
{
	u32 l;
	int got = vq_poll(&n->rx, head, &l);

	if (got == 0)
		vq_kick(&n->rx);   /* caught up: publish recycled buffers */
	if (got <= 0)
		return got;
	if (l < NET_HDR_LEN + ETH_HLEN) {
		/* a runt: give the buffer back and report nothing */
		net_rx_done(n, *head);
		return 0;
	}
	*frame = n->rxbuf + (u64)*head * NET_BUF + NET_HDR_LEN;
	*len = l - NET_HDR_LEN;
	n->rx_frames++;
	return 1;
}

void net_rx_done(struct net *n, u16 head)
{
	(void)head;   /* the freed head is the one rx_add reuses */
	rx_add(n);
}

int net_tx_reclaim(struct net *n)
{
	u16 head;
	u32 len;
	int got, count = 0;

	while ((got = vq_poll(&n->tx, &head, &len)) > 0)
		count++;
	return got < 0 ? -1 : count;
}

bool net_tx(struct net *n, const u8 *frame, u32 len)
{
	u16 head;
	u8 *buf;
	struct vq_seg s;

	if (!n->tx.num_free && net_tx_reclaim(n) <= 0)
		return false;
	if (len > NET_BUF - NET_HDR_LEN)
		return false;
	head = n->tx.free_head;
	buf = n->txbuf + (u64)head * NET_BUF;
	memset(buf, 0, NET_HDR_LEN);
	memcpy(buf + NET_HDR_LEN, frame, len);
	s = (struct vq_seg){ buf, NET_HDR_LEN + len, false };
	vq_add(&n->tx, &s, 1);
	n->tx_frames++;
	return true;
}

void net_tx_kick(struct net *n)
{
	vq_kick(&n->tx);
}
