/* MMDS's HTTP: one request head in, one whole response out, as
 * Firecracker's MMDS answers (micro_http's request parser and response
 * writer, src/vmm/src/mmds/mod.rs and dumbo/tcp/endpoint.rs): the same
 * status codes, bodies and headers, HTTP/1.x keep-alive. Pure: the
 * caller owns the connection. */
#ifndef AZOTE_CARDS_NET_MMDS_HTTP_H
#define AZOTE_CARDS_NET_MMDS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "cards/net/mmds_store.h"

/* The length of the request at the start of buf, up to and including the
 * blank line that ends its head (Firecracker looks for "\n\n" or
 * "\n\r\n"); 0 while incomplete. */
size_t mmds_http_head_end(const uint8_t *buf, size_t len);

struct mmds_http_reply {
	char *buf;              /* malloc'd, the caller frees it */
	size_t len;
	/* Body bytes that follow the head and belong to this request: MMDS
	 * takes no body (Firecracker answers 400), the caller discards them
	 * rather than read them as a next request. */
	uint32_t body_skip;
};

/* Answers the request head req (len bytes, as mmds_http_head_end found
 * it) for an MMDS of version 1 or 2 at now_ms (a PUT may issue a token
 * into s). -1 on ENOMEM. */
int mmds_http_answer(struct mmds_store *s, unsigned version, const char *req,
		     size_t len, uint64_t now_ms, struct mmds_http_reply *r);

#endif
