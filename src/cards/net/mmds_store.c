/* The document and the tokens behind MMDS. Paths and formats follow
 * Firecracker's data_store.rs: a path is a JSON pointer (serde_json's
 * Value::pointer), objects' keys come sorted (serde_json's map is
 * ordered), and the IMDS format has only objects and strings. */
#include "cards/net/mmds_store.h"

#include <stdlib.h>
#include <string.h>

int mmds_store_init(struct mmds_store *s)
{
	memset(s, 0, sizeof(*s));
	if (mmds_rng_seed(&s->rng))
		return -1;
	mmds_rng_bytes(&s->rng, s->token_key, sizeof(s->token_key));
	s->doc = json_object();
	return s->doc ? 0 : -1;
}

void mmds_store_fini(struct mmds_store *s)
{
	json_decref(s->doc);
	s->doc = NULL;
}

int mmds_store_set(struct mmds_store *s, const char *json, size_t len,
		   struct azerr *e)
{
	json_error_t je;
	json_t *doc;

	if (len > MMDS_DATA_MAX)
		return azerr_set(e, "MMDS data: %zu bytes, more than the %u allowed",
				 len, MMDS_DATA_MAX);
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return azerr_set(e, "MMDS data: line %d column %d: %s", je.line,
				 je.column, je.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return azerr_set(e, "MMDS data: not a JSON object");
	}
	json_decref(s->doc);
	s->doc = doc;
	return 0;
}

/* One reference token of a pointer, unescaped as serde_json does: "~1"
 * to '/', then "~0" to '~'. Returns its length in out (room for n). */
static size_t unescape(const char *t, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '~' && i + 1 < n && t[i + 1] == '1') {
			out[o++] = '/';
			i++;
		} else {
			out[o++] = t[i];
		}
	}
	size_t m = 0;

	for (size_t i = 0; i < o; i++) {
		out[m++] = out[i];
		if (out[i] == '~' && i + 1 < o && out[i + 1] == '0')
			i++;
	}
	return m;
}

/* An array index as serde_json takes it: decimal digits, no '+', no
 * leading zero. */
static bool array_index(const char *t, size_t n, size_t *idx)
{
	size_t v = 0;

	if (n == 0 || (t[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(t[i] - '0');
	}
	*idx = v;
	return true;
}

static const json_t *lookup(const json_t *v, const char *p, size_t n,
			    char *scratch)
{
	if (n && p[n - 1] == '/')
		n--;
	if (n == 0)
		return v;
	if (p[0] != '/')
		return NULL;
	size_t i = 1;

	for (;;) {
		const char *end = memchr(p + i, '/', n - i);
		size_t tl = end ? (size_t)(end - (p + i)) : n - i;
		size_t kl = unescape(p + i, tl, scratch);
		size_t idx;

		if (json_is_object(v))
			v = json_object_getn(v, scratch, kl);
		else if (json_is_array(v) && array_index(scratch, kl, &idx))
			v = json_array_get(v, idx);
		else
			return NULL;
		if (!v || !end)
			return v;
		i += tl + 1;
	}
}

struct key {
	const char *k;
	size_t len;
	bool obj;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* An object's keys, sorted, one a line (no final newline), an object's
 * with a trailing '/'. */
static char *imds_keys(const json_t *obj, size_t *out_len)
{
	size_t n = json_object_size(obj), total = 0, i = 0;
	struct key *keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	size_t kl;
	json_t *val;
	char *out;

	if (!keys)
		return NULL;
	json_object_keylen_foreach((json_t *)obj, k, kl, val) {
		keys[i] = (struct key){ k, kl, json_is_object(val) };
		total += kl + 2;
		i++;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = malloc(total + 1);
	if (out) {
		size_t o = 0;

		for (i = 0; i < n; i++) {
			if (i)
				out[o++] = '\n';
			memcpy(out + o, keys[i].k, keys[i].len);
			o += keys[i].len;
			if (keys[i].obj)
				out[o++] = '/';
		}
		out[o] = '\0';
		*out_len = o;
	}
	free(keys);
	return out;
}

enum mmds_get mmds_store_get(const struct mmds_store *s, const char *path,
			     size_t len, bool json, char **out, size_t *out_len)
{
	char *scratch = malloc(len + 1);
	const json_t *v;

	if (!scratch)
		return MMDS_GET_NOMEM;
	v = lookup(s->doc, path, len, scratch);
	free(scratch);
	if (!v)
		return MMDS_GET_NOT_FOUND;
	/* EC2's IMDS ignores Accept, and so does imds_compat. */
	if (json && !s->imds_compat) {
		*out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!*out)
			return MMDS_GET_NOMEM;
		*out_len = strlen(*out);
		return MMDS_GET_OK;
	}
	if (json_is_object(v)) {
		*out = imds_keys(v, out_len);
		return *out ? MMDS_GET_OK : MMDS_GET_NOMEM;
	}
	if (!json_is_string(v))
		return MMDS_GET_UNSUPPORTED;
	*out_len = json_string_length(v);
	*out = malloc(*out_len + 1);
	if (!*out)
		return MMDS_GET_NOMEM;
	memcpy(*out, json_string_value(v), *out_len + 1);
	return MMDS_GET_OK;
}

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void base64url(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64url[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* The n bytes base64url's text of len characters encodes; false unless
 * it is exactly that many, in the one way base64url writes them (the
 * bits left over are zero). */
static bool base64url_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		const char *c = text[i] ? strchr(b64url, text[i]) : NULL;
		if (!c)
			return false;
		acc = (acc << 6) | (uint32_t)(c - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == n)
				return false;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == n && !(acc & ((1u << bits) - 1));
}

/* A token's raw bytes: expiry and nonce, then their tag. */
enum { TOKEN_EXPIRY = 0, TOKEN_NONCE = 8, TOKEN_TAG = 16, TOKEN_RAW = 32 };

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The tag of raw's first 16 bytes under the store's key: the ChaCha20
 * block whose counter and nonce are those bytes, its first 16 bytes. */
static void token_tag(const struct mmds_store *s, const uint8_t raw[TOKEN_TAG],
		      uint8_t tag[16])
{
	const uint32_t nonce[3] = { le32_at(raw + 4), le32_at(raw + 8), le32_at(raw + 12) };
	uint8_t block[64];

	mmds_chacha20_block(s->token_key, le32_at(raw), nonce, block);
	memcpy(tag, block, 16);
}

void mmds_store_new_token(struct mmds_store *s, uint32_t ttl_s,
			  uint64_t now_ms, char out[MMDS_TOKEN_LEN + 1])
{
	uint64_t expiry = now_ms + (uint64_t)ttl_s * 1000;
	uint8_t raw[TOKEN_RAW];

	for (int i = 0; i < 8; i++)
		raw[TOKEN_EXPIRY + i] = (uint8_t)(expiry >> (8 * i));
	mmds_rng_bytes(&s->rng, raw + TOKEN_NONCE, TOKEN_TAG - TOKEN_NONCE);
	token_tag(s, raw, raw + TOKEN_TAG);
	base64url(raw, sizeof(raw), out);
}

bool mmds_store_token_valid(const struct mmds_store *s, const char *token,
			    size_t len, uint64_t now_ms)
{
	uint8_t raw[TOKEN_RAW], tag[16];
	uint64_t expiry = 0;
	unsigned diff = 0;

	if (len != MMDS_TOKEN_LEN || !base64url_decode(token, len, raw, sizeof(raw)))
		return false;
	token_tag(s, raw, tag);
	/* Every byte compared: the time taken tells nothing. */
	for (int i = 0; i < 16; i++)
		diff |= (unsigned)(tag[i] ^ raw[TOKEN_TAG + i]);
	for (int i = 0; i < 8; i++)
		expiry |= (uint64_t)raw[TOKEN_EXPIRY + i] << (8 * i);
	return diff == 0 && expiry > now_ms;
}
