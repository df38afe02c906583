/* ChaCha20 as RFC 8439 describes it, used as a keystream generator: the
 * key is secret and random, so the output cannot be predicted from the
 * tokens and sequence numbers a guest has already seen. */
#include "cards/net/mmds_rng.h"

#include <string.h>
#include <sys/random.h>

static uint32_t rotl(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void quarter(uint32_t *s, int a, int b, int c, int d)
{
	s[a] += s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 16);
	s[c] += s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 12);
	s[a] += s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 8);
	s[c] += s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 7);
}

void mmds_chacha20_block(const uint32_t key[8], uint32_t counter,
			 const uint32_t nonce[3], uint8_t out[64])
{
	uint32_t init[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	uint32_t s[16];

	memcpy(&init[4], key, 8 * sizeof(uint32_t));
	init[12] = counter;
	memcpy(&init[13], nonce, 3 * sizeof(uint32_t));
	memcpy(s, init, sizeof(s));
	for (int i = 0; i < 10; i++) {
		quarter(s, 0, 4, 8, 12);
		quarter(s, 1, 5, 9, 13);
		quarter(s, 2, 6, 10, 14);
		quarter(s, 3, 7, 11, 15);
		quarter(s, 0, 5, 10, 15);
		quarter(s, 1, 6, 11, 12);
		quarter(s, 2, 7, 8, 13);
		quarter(s, 3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = s[i] + init[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

int mmds_rng_seed(struct mmds_rng *r)
{
	memset(r, 0, sizeof(*r));
	if (getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key))
		return -1;
	r->used = sizeof(r->block);
	return 0;
}

void mmds_rng_bytes(struct mmds_rng *r, void *out, size_t len)
{
	uint8_t *p = out;

	while (len) {
		if (r->used == sizeof(r->block)) {
			/* 2^32 blocks under one nonce, then the next nonce:
			 * a key stream never repeats within a card's life. */
			mmds_chacha20_block(r->key, r->counter, r->nonce, r->block);
			if (++r->counter == 0)
				r->nonce[0]++;
			r->used = 0;
		}
		size_t n = sizeof(r->block) - r->used;

		if (n > len)
			n = len;
		memcpy(p, r->block + r->used, n);
		r->used += (unsigned)n;
		p += n;
		len -= n;
	}
}
