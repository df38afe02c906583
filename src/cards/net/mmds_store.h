/* What MMDS answers from: the JSON document and the V2 session tokens,
 * with Firecracker's rules for reading the one and issuing the other
 * (src/vmm/src/mmds/data_store.rs and token.rs in Firecracker). Pure but
 * for the random numbers (mmds_rng.h). */
#ifndef AZOTE_CARDS_NET_MMDS_STORE_H
#define AZOTE_CARDS_NET_MMDS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cards/net/mmds_rng.h"
#include "common/err.h"

/* The largest document (as JSON text) the store takes: every connection
 * may hold one answer built from it, so this bounds their memory. Ten
 * times Firecracker's default --mmds-size-limit (51200). */
#define MMDS_DATA_MAX      (512 * 1024)
/* Token lifetimes Firecracker allows, in seconds. */
#define MMDS_TTL_MIN       1
#define MMDS_TTL_MAX       21600
/* A token: 32 bytes in unpadded base64url, its expiry sealed in it as
 * Firecracker's are, so that the store remembers none and any number
 * stay valid for their whole life: the expiry (ms, little-endian), 8
 * random bytes that make each token unique, and a 16-byte tag over
 * both, the ChaCha20 block (mmds_rng.h) of a key drawn at start-up,
 * used as a keyed function of those 16 bytes. A guest cannot make one
 * without the key, nor move a token's expiry. */
#define MMDS_TOKEN_LEN     43

struct mmds_store {
	json_t *doc;
	bool imds_compat;
	uint32_t token_key[8];
	struct mmds_rng rng;
};

/* An empty document {}, a seeded generator. -1 (errno set) otherwise. */
int mmds_store_init(struct mmds_store *s);
void mmds_store_fini(struct mmds_store *s);

/* Replaces the document with json, which must be a JSON object of at most
 * MMDS_DATA_MAX bytes. -1 with e, the old one kept, otherwise. */
int mmds_store_set(struct mmds_store *s, const char *json, size_t len,
		   struct azerr *e);

/* The outcome of reading a path. */
enum mmds_get {
	MMDS_GET_OK,
	MMDS_GET_NOT_FOUND,
	MMDS_GET_UNSUPPORTED,   /* IMDS format of something not a string or object */
	MMDS_GET_NOMEM,
};

/* The value at path (a JSON pointer, RFC 6901, of len bytes; a trailing
 * '/' ignored) as JSON (compact, keys sorted) or in IMDS text format
 * (object: its keys one a line, objects' with a trailing '/'; string: its
 * value). On MMDS_GET_OK, *out (malloc'd, NUL-terminated) and *out_len. */
enum mmds_get mmds_store_get(const struct mmds_store *s, const char *path,
			     size_t len, bool json, char **out, size_t *out_len);

/* Issues a token living ttl_s seconds from now_ms into out. */
void mmds_store_new_token(struct mmds_store *s, uint32_t ttl_s,
			  uint64_t now_ms, char out[MMDS_TOKEN_LEN + 1]);

/* Whether token (len bytes) was issued by this store and has not expired
 * at now_ms. */
bool mmds_store_token_valid(const struct mmds_store *s, const char *token,
			    size_t len, uint64_t now_ms);

#endif
