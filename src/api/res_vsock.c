/* vsock: Firecracker's Vsock (PUT, before boot): the guest's CID and the
 * Unix socket on the host its connections go through, served by azote's
 * vsock card (src/cards/vsock). One device: a second PUT replaces the
 * first, as Firecracker's does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"
#include "iface/card.h"

static const struct jfield vsock_fields[] = {
	{ "vsock_id", JT_STRING, false, 0 },   /* deprecated, ignored */
	{ "guest_cid", JT_UINT, true, UINT32_MAX },
	{ "uds_path", JT_STRING, true, 0 },
};

static int vsock_check(const json_t *body, struct azerr *e)
{
	const char *uds = jstr(body, "uds_path");
	const char *why;
	struct stat st;

	if (jcheck(body, "", JFIELDS(vsock_fields), e) ||
	    res_check_path_string(uds, "uds_path", e))
		return -1;
	if (juint(body, "guest_cid", 0) < CARD_VSOCK_MIN_CID)
		return azerr_set(e, "invalid value for field `guest_cid`: %llu, expected %d to "
				 "4294967295 (0-2 are reserved)",
				 (unsigned long long)juint(body, "guest_cid", 0), CARD_VSOCK_MIN_CID);
	if ((why = card_vsock_uds_problem(uds)))
		return azerr_set(e, "invalid value for field `uds_path`: `%.200s` is %s", uds, why);
	/* Firecracker binds the socket here and fails when the path exists;
	 * azote's card binds it at InstanceStart, so the same case is refused
	 * now, with Firecracker's words. */
	if (lstat(uds, &st) == 0)
		return azerr_set(e, "Cannot create backend for vsock device: Error binding to the "
				 "host-side Unix socket: Address in use (os error %d)", EADDRINUSE);
	return 0;
}

static int vsock_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	struct vsock_config v = { .id = "vsock0" };

	v.guest_cid = (uint32_t)juint(body, "guest_cid", 0);
	if (res_strdup(&v.uds_path, jstr(body, "uds_path"), e))
		return -1;
	vm_device_set_only(cfg, &vm_vsocks, &v);
	return 0;
}

const struct resource res_vsock = { "vsock", vsock_check, vsock_apply };
