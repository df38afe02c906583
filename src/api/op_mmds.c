/* MMDS, the API's side (Firecracker's api_server/request/mmds.rs and
 * rpc_interface.rs): PUT /mmds/config before boot; PUT, PATCH and GET
 * /mmds before and after. The document is kept in cfg->mmds.data as the
 * compact JSON with sorted keys that Firecracker's serde_json writes: its
 * length is what the data store limit counts, GET returns it, and after
 * boot the cards of the interfaces named in network_interfaces get it
 * (vmm_ops.update_mmds) before the change is kept. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/json_schema.h"
#include "api/res_internal.h"
#include "common/log.h"

#define MSG_NOT_INITIALIZED "MMDS error: The MMDS data store is not initialized."
#define MSG_LIMIT "MMDS limit exceeded error: The MMDS patch request doesn't fit."

/* Firecracker builds the data store before boot whenever it is used, but
 * after boot reaches it only through the interfaces that answer MMDS. */
static bool store_reachable(const struct api *api)
{
	return api->state == API_NOT_STARTED || vm_config_has_mmds(&api->cfg);
}

static int apply_config(struct api *api, const json_t *body, struct azerr *e)
{
	struct azerr why;

	if (res_mmds_config.apply(&api->cfg, body, &why))
		return azerr_set(e, "MMMDS config error: %s", why.msg);  /* sic: Firecracker's */
	if (api->cfg.mmds.version == 1)
		log_warn("PUT /mmds/config: V1 is deprecated. Use V2 instead.");
	return 0;
}

const struct body_op op_mmds_config = { .res = &res_mmds_config, .when = PRE_BOOT,
					.apply = apply_config, .boot_path = true };

/* Any JSON value is a document, as serde_json's Value takes it. */
static int any_json(const json_t *body, struct azerr *e)
{
	(void)body;
	(void)e;
	return 0;
}

/* doc becomes the document: within the limit, and after boot in the cards
 * first. */
static int store(struct api *api, const json_t *doc, struct azerr *e)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!text)
		return azerr_set(e, "out of memory");
	if (strlen(text) > api->p.mmds_size_limit) {
		free(text);
		azerr_set(e, MSG_LIMIT);
		return API_TOO_LARGE;
	}
	if (api->state != API_NOT_STARTED &&
	    api->p.ops->update_mmds(api->p.ctx, &api->cfg, text, e)) {
		free(text);
		return -1;
	}
	res_replace(&api->cfg.mmds.data, text);
	return 0;
}

static int apply_put(struct api *api, const json_t *body, struct azerr *e)
{
	if (!store_reachable(api))
		return azerr_set(e, MSG_NOT_INITIALIZED);
	return store(api, body, e);
}

/* RFC 7396: an object patch merges member by member (null removes one),
 * anything else replaces the target. Returns the new target (a new
 * reference), NULL when out of memory. */
static json_t *merge_patch(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_incref((json_t *)patch);
	target = json_is_object(target) ? json_incref(target) : json_object();
	json_object_foreach((json_t *)patch, key, v) {
		json_t *merged;

		if (json_is_null(v)) {
			json_object_del(target, key);
			continue;
		}
		merged = merge_patch(json_object_get(target, key), v);
		if (!merged || json_object_set_new(target, key, merged)) {
			json_decref(target);
			return NULL;
		}
	}
	return target;
}

static int apply_patch(struct api *api, const json_t *body, struct azerr *e)
{
	const char *cur = api->cfg.mmds.data;
	json_t *doc, *merged;
	int ret;

	if (!store_reachable(api) || !cur)
		return azerr_set(e, MSG_NOT_INITIALIZED);
	doc = jparse(cur, strlen(cur), e);  /* written by store: cannot fail */
	if (!doc)
		return -1;
	merged = merge_patch(doc, body);
	json_decref(doc);
	if (!merged)
		return azerr_set(e, "out of memory");
	ret = store(api, merged, e);
	json_decref(merged);
	return ret;
}

const struct body_op op_mmds_put = { .check = any_json, .when = ANYTIME,
				     .apply = apply_put };
const struct body_op op_mmds_patch = { .check = any_json, .when = ANYTIME,
				       .apply = apply_patch };

int api_mmds_put_locked(struct api *api, const char *json, size_t len, struct azerr *e)
{
	struct azerr why;
	json_t *doc = jparse(json, len, &why);
	int ret;

	if (!doc)
		return azerr_set(e, "MMDS error: metadata provided not valid json: %s", why.msg);
	ret = apply_put(api, doc, e);
	json_decref(doc);
	return ret < 0 ? -1 : 0;
}

/* GET /mmds: the document, "{}" for none (Firecracker answers null so). */
int api_mmds_get(struct api *api, char **body, struct azerr *e)
{
	const char *d = api->cfg.mmds.data;

	if (!store_reachable(api))
		return azerr_set(e, MSG_NOT_INITIALIZED);
	if (!d || !strcmp(d, "null"))
		d = "{}";
	if (!(*body = strdup(d)))
		return azerr_set(e, "out of memory");
	return 0;
}
