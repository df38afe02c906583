/* entropy: Firecracker's Entropy device (PUT, before boot): a virtio-rng
 * device served by azote's rng card (src/cards/rng), with an optional
 * rate_limiter. One device: a second PUT replaces the first, as
 * Firecracker's does. */
#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"

static const struct jfield entropy_fields[] = {
	{ "rate_limiter", JT_OBJECT, false, 0 },
};

static int entropy_check(const json_t *body, struct azerr *e)
{
	return jcheck(body, "", JFIELDS(entropy_fields), e) ||
	       res_rate_limiter_check(body, "rate_limiter", e) ? -1 : 0;
}

static int entropy_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct rng_config r = { .id = "rng0" };

	(void)e;
	res_rate_limiter(body, "rate_limiter", &r.rate_limiter);
	vm_device_set_only(cfg, &vm_rngs, &r);
	return 0;
}

const struct resource res_entropy = { "entropy", entropy_check, entropy_apply };
