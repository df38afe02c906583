/* balloon: Firecracker's Balloon device (PUT before boot; PATCH of its
 * target and statistics interval after): a virtio-balloon served by
 * azote's balloon card (src/cards/balloon). One device: a second PUT
 * replaces the first, as Firecracker's does. The bodies' shapes are
 * Firecracker's (deny_unknown_fields); its free page hinting, a developer
 * preview, is refused by name. */
#include <stdio.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"
#include "iface/card.h"

static const struct jfield balloon_fields[] = {
	{ "amount_mib", JT_UINT, true, UINT32_MAX },
	{ "deflate_on_oom", JT_BOOL, true, 0 },
	{ "stats_polling_interval_s", JT_UINT, false, CARD_BALLOON_MAX_STATS_INTERVAL },
	{ "free_page_hinting", JT_BOOL, false, 0 },
	{ "free_page_reporting", JT_BOOL, false, 0 },
};

static int balloon_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(balloon_fields), e);
}

int res_balloon_fits(uint32_t amount_mib, uint64_t mem_bytes, const char *what,
		     struct azerr *e)
{
	char why[160];

	if (!vm_balloon_too_large(amount_mib, mem_bytes, "balloon.amount_mib", why, sizeof(why)))
		return 0;
	return azerr_set(e, "%s (%s)", what, why);
}

static int balloon_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct balloon_config b = {
		.id = "balloon0",
		.amount_mib = (uint32_t)juint(body, "amount_mib", 0),
		.deflate_on_oom = jbool(body, "deflate_on_oom", false),
		.stats_polling_interval_s = (uint16_t)juint(body, "stats_polling_interval_s", 0),
		.free_page_reporting = jbool(body, "free_page_reporting", false),
	};

	if (jbool(body, "free_page_hinting", false))
		return azerr_set(e, RES_BALLOON_NO_HINTING " (balloon.free_page_hinting: true)");
	if (res_balloon_fits(b.amount_mib, cfg->mem_bytes, RES_BALLOON_TOO_MANY_PAGES, e))
		return -1;
	vm_device_set_only(cfg, &vm_balloons, &b);
	return 0;
}

const struct resource res_balloon = { "balloon", balloon_check, balloon_apply };

/* PATCH /balloon: Firecracker's BalloonUpdate. */
static const struct jfield balloon_update_fields[] = {
	{ "amount_mib", JT_UINT, true, UINT32_MAX },
};

int res_balloon_patch_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(balloon_update_fields), e);
}

/* PATCH /balloon/statistics: Firecracker's BalloonStatsUpdate. */
static const struct jfield balloon_stats_update_fields[] = {
	{ "stats_polling_interval_s", JT_UINT, true, CARD_BALLOON_MAX_STATS_INTERVAL },
};

int res_balloon_stats_patch_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(balloon_stats_update_fields), e);
}
