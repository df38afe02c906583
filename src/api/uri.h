/* The request target, as Firecracker's HTTP server (micro_http) takes it:
 * the bytes of the request line between the method and the version, as the
 * client sent them. Nothing is percent-decoded and a query is no separate
 * part: "/drives/root%66s" and "/drives/rootfs?x" name ids that fail the
 * id check, "/drives/rootfs%00" cannot act on "rootfs". */
#ifndef AZOTE_API_URI_H
#define AZOTE_API_URI_H

#include "common/err.h"

/* The path the API routes target on (micro_http's Uri::get_abs_path): an
 * origin form ("/a/b?q") is the path, whole; an absolute form's is what
 * follows "http://" and the authority ("" without one); any other target
 * is routed as "" (a GET of it answers GET /, as Firecracker's does). *path
 * points into target (its end for ""). Fails, with micro_http's reason ("Invalid URI: ..."),
 * for an empty target or one that is not UTF-8. */
int api_uri_path(const char *target, const char **path, struct azerr *e);

#endif
