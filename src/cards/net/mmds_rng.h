/* Unguessable numbers for MMDS: session tokens and TCP initial sequence
 * numbers. A ChaCha20 keystream (RFC 8439, §2.3) under a key drawn once
 * from getrandom when the generator is seeded: the net card seeds it
 * before its seccomp filter, whose lists have no getrandom, and never
 * needs the kernel again. */
#ifndef AZOTE_CARDS_NET_MMDS_RNG_H
#define AZOTE_CARDS_NET_MMDS_RNG_H

#include <stddef.h>
#include <stdint.h>

struct mmds_rng {
	uint32_t key[8];
	uint32_t nonce[3];
	uint32_t counter;
	uint8_t block[64];
	unsigned used;          /* bytes of block already handed out */
};

/* Draws the key from getrandom. -1 (errno set) if the kernel gives none. */
int mmds_rng_seed(struct mmds_rng *r);

/* Fills out with len bytes of the keystream. */
void mmds_rng_bytes(struct mmds_rng *r, void *out, size_t len);

/* The ChaCha20 block function: 64 bytes for key, counter and nonce
 * (RFC 8439, §2.3). Exposed for the RFC's test vector. */
void mmds_chacha20_block(const uint32_t key[8], uint32_t counter,
			 const uint32_t nonce[3], uint8_t out[64]);

#endif
