/* Helpers shared by the resource files (resources.c, res_drive.c,
 * res_net.c) and api.c; not part of the API. */
#ifndef AZOTE_API_RES_INTERNAL_H
#define AZOTE_API_RES_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "common/err.h"

/* A path string: not empty, shorter than PATH_MAX. */
int res_check_path_string(const char *path, const char *field,
			  struct azerr *e);
/* path exists, passes access(access_mode) and is a regular file (or a
 * block device when allow_blkdev). what names it in the message. */
int res_check_file(const char *path, int access_mode, bool allow_blkdev,
		   const char *what, struct azerr *e);
/* The token bucket member `name` of body, when present, has the shape of
 * Firecracker's TokenBucket (where: the path its messages name body by). */
int res_bucket_check(const json_t *body, const char *where, const char *name,
		     struct azerr *e);
/* The rate limiter member `name` of body, when present, has the shape of
 * Firecracker's RateLimiter. */
int res_rate_limiter_check(const json_t *body, const char *name,
			   struct azerr *e);
/* *dst = strdup(s), NULL for NULL; -1 when out of memory. */
int res_strdup(char **dst, const char *s, struct azerr *e);
/* free(*dst), then *dst = s. */
void res_replace(char **dst, char *s);

#endif
