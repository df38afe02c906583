/* libFuzzer target: MMDS's network stack (src/cards/net/mmds*.c) fed a
 * sequence of guest frames, as the net card feeds it, with its answers
 * drained in between and checked: every answer fits MMDS_FRAME_MAX,
 * carries valid IPv4 and TCP checksums, mmds_pending says truly whether
 * one waits, and draining ends.
 *
 * Input: one byte of configuration (bit 0: version 2, bit 1:
 * imds_compat), then records, each an operation byte and its operands:
 *   op % 4 == 0  a raw frame: 2-byte length, the bytes
 *   op % 4 == 1  a TCP segment from guest peer (op >> 2) % 4 with valid
 *                checksums: flags, sequence offset (signed byte), window
 *                (2 bytes), payload length, payload; with op bit 6 set it
 *                goes in as checksum-partial
 *   op % 4 == 2  drain up to (next byte) answers, which the peers track
 *   op % 4 == 3  advance the clock by (next byte) * 100 ms
 * Peers are 172.16.0.2 ports 40000-40003; ARP requests come as raw
 * frames. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cards/net/mmds.h"
#include "../tests/unit/mmds_peer.h"

#define PEERS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc[] =
	"{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1\",\"n\":[1,2]}},"
	"\"big\":\"" "0123456789012345678901234567890123456789012345678901234567890123"
	"0123456789012345678901234567890123456789012345678901234567890123"
	"0123456789012345678901234567890123456789012345678901234567890123" "\"}";

struct input {
	const uint8_t *p;
	size_t n;
};

static bool take(struct input *in, void *out, size_t len)
{
	if (in->n < len)
		return false;
	memcpy(out, in->p, len);
	in->p += len;
	in->n -= len;
	return true;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* One answer: checked, and the peer it is for learns its sequence. */
static void check_answer(struct peer *peers, const uint8_t *f, size_t n)
{
	struct peer_seg s;

	if (n >= 14 && get16(f + 12) == 0x0806) {
		if (n != 42)
			abort();
		return;
	}
	/* Every peer has the same addresses: any one checks the frame. */
	if (!peer_parse(&peers[0], f, n, &s, NULL))
		abort();
	for (unsigned i = 0; i < PEERS; i++)
		if (s.dport == peers[i].port)
			peers[i].ack = s.seq + (uint32_t)s.len +
				       !!(s.flags & 0x02) + !!(s.flags & 0x01);
}

static void drain(struct mmds *m, struct peer *peers, unsigned max)
{
	uint8_t f[MMDS_FRAME_MAX];

	for (unsigned k = 0; k < max; k++) {
		bool pending = mmds_pending(m);
		size_t n = mmds_reply_frame(m, f, sizeof(f), peers[0].now);

		if (pending != (n != 0))
			abort();
		if (!n)
			return;
		check_answer(peers, f, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct peer peers[PEERS];
	struct mmds *m = mmds_new();
	struct azerr e;
	uint8_t cfg, op;

	if (!m)
		abort();
	if (mmds_set_data(m, doc, sizeof(doc) - 1, &e))
		abort();
	if (take(&in, &cfg, 1)) {
		struct mmds_config c = { htonl(0xa9fea9fe), (cfg & 1) ? 2 : 1, cfg & 2 };

		if (mmds_configure(m, &c, &e))
			abort();
	}
	for (unsigned i = 0; i < PEERS; i++)
		peer_init(&peers[i], m, (uint16_t)(40000 + i));
	while (take(&in, &op, 1)) {
		uint8_t b[4], buf[4096];
		uint16_t len16;

		switch (op % 4) {
		case 0:
			if (!take(&in, b, 2))
				break;
			len16 = (uint16_t)(get16(b) % sizeof(buf));
			if (len16 > in.n)
				len16 = (uint16_t)in.n;
			take(&in, buf, len16);
			mmds_guest_frame(m, buf, len16, peers[0].now);
			break;
		case 1: {
			struct peer *p = &peers[(op >> 2) % PEERS];
			struct peer q;
			uint8_t payload[255], plen;
			size_t n;

			if (!take(&in, b, 4) || !take(&in, &plen, 1))
				break;
			if (plen > in.n)
				plen = (uint8_t)in.n;
			take(&in, payload, plen);
			q = *p;
			q.seq = p->seq + (uint32_t)(int8_t)b[1];
			q.win = get16(b + 2);
			n = peer_frame(&q, buf, b[0], payload, plen,
				       (b[0] & 0x02) ? 1460 : 0);
			if (op & 0x40)
				mmds_guest_frame_csum_partial(m, buf, n, p->now);
			else
				mmds_guest_frame(m, buf, n, p->now);
			if (b[1] == 0)
				p->seq += plen + !!(b[0] & 0x02) + !!(b[0] & 0x01);
			break;
		}
		case 2:
			if (take(&in, b, 1))
				drain(m, peers, b[0]);
			break;
		case 3:
			if (take(&in, b, 1))
				for (unsigned i = 0; i < PEERS; i++)
					peers[i].now += (uint64_t)b[0] * 100;
			break;
		}
	}
	/* Whatever came, the answers run out. */
	drain(m, peers, 1u << 20);
	if (mmds_pending(m))
		abort();
	mmds_free(m);
	return 0;
}
