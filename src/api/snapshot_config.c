/* The configuration a snapshot records (its vm-config section), so that a
 * restore needs nothing but the snapshot, as with Firecracker, whose
 * snapshot carries every device's configuration: GET /vm/config's JSON
 * (export.c) for what Firecracker's API describes, plus an "azote" object
 * for what only azote's command line sets (the transport, the cards'
 * queues and polling), read back through the same resource code as the
 * API's bodies and the config file. Logger and metrics are the process's,
 * not the machine's: they are neither recorded nor restored. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "api/json_schema.h"
#include "api/resources.h"
#include "iface/blk_uring.h"
#include "iface/card.h"

static const char *const transports[] = { "pci", "mmio" };

static json_t *drive_extras(const struct drive_config *d)
{
	json_t *o = json_pack("{s:s, s:b, s:I}", "drive_id", d->id, "direct", d->direct,
			      "queues", (json_int_t)d->queues);

	if (o && d->has_poll_us)
		json_object_set_new(o, "poll_us", json_integer(d->poll_us));
	if (o && d->uring != BLK_URING_DEFAULT)
		json_object_set_new(o, "uring", json_string(blk_uring_mode_name(d->uring)));
	return o;
}

static json_t *extras(const struct vm_config *cfg)
{
	json_t *drives = json_array(), *nets = json_array();

	for (unsigned i = 0; i < cfg->nr_drives; i++)
		json_array_append_new(drives, drive_extras(&cfg->drives[i]));
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		json_array_append_new(nets, json_pack("{s:s, s:I}", "iface_id", cfg->nets[i].id,
						      "queues", (json_int_t)cfg->nets[i].queues));
	return json_pack("{s:s, s:I, s:o, s:o}", "transport", transports[cfg->transport],
			 "boot_entry", (json_int_t)cfg->entry_pref, "drives", drives,
			 "network-interfaces", nets);
}

char *api_snapshot_config_json(const struct vm_config *cfg, struct azerr *e)
{
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		if (cfg->nets[i].socket) {
			azerr_set(e, "network interface %s is served over vhost-user "
				  "(--vhost-user-net): azote cannot snapshot it yet",
				  cfg->nets[i].id);
			return NULL;
		}
	json_t *root = export_vm_config(cfg);
	char *s = NULL;

	if (root) {
		/* Absent rather than null without one: the configuration of a
		 * snapshot without a vsock, an entropy device or a balloon is what it
		 * always was. (A vsock's connections are host sockets no
		 * snapshot holds: the restored card resets them, as
		 * Firecracker's device does; docs/card-vsock.md.) */
		if (!cfg->nr_vsocks)
			json_object_del(root, "vsock");
		if (!cfg->nr_rngs)
			json_object_del(root, "entropy");
		if (!cfg->nr_balloons)
			json_object_del(root, "balloon");
		if (!cfg->nr_pmems)
			json_object_del(root, "pmem");
		json_object_del(root, "logger");
		json_object_del(root, "metrics");
		json_object_set_new(root, "azote", extras(cfg));
		s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(root);
	}
	if (!s)
		azerr_set(e, "out of memory for the snapshot's configuration");
	return s;
}

static const struct jfield top_fields[] = {
	{ "boot-source", JT_OBJECT, false, 0 },
	{ "drives", JT_ARRAY, true, 0 },
	{ "machine-config", JT_OBJECT, true, 0 },
	{ "network-interfaces", JT_ARRAY, true, 0 },
	{ "mmds-config", JT_OBJECT, false, 0 },
	{ "entropy", JT_OBJECT, false, 0 },
	{ "balloon", JT_OBJECT, false, 0 },
	{ "pmem", JT_ARRAY, false, 0 },
	{ "vsock", JT_OBJECT, false, 0 },
	{ "azote", JT_OBJECT, true, 0 },
};

static const struct jfield extra_fields[] = {
	{ "transport", JT_STRING, true, 0 },
	{ "boot_entry", JT_UINT, true, BOOT_ENTRY_LINUX64 },
	{ "drives", JT_ARRAY, true, 0 },
	{ "network-interfaces", JT_ARRAY, true, 0 },
};

static const struct jfield drive_extra_fields[] = {
	{ "drive_id", JT_STRING, true, 0 },
	{ "direct", JT_BOOL, true, 0 },
	{ "queues", JT_UINT, true, CARD_BLK_MAX_QUEUES },     /* 0: the card's default */
	{ "poll_us", JT_UINT, false, CARD_BLK_MAX_POLL_US },
	{ "uring", JT_STRING, false, 0 },
};

static const struct jfield net_extra_fields[] = {
	{ "iface_id", JT_STRING, true, 0 },
	{ "queues", JT_UINT, true, CARD_NET_MAX_PAIRS },
};

/* One resource body, or each of a list's, as the API would take it. */
static int apply_each(const json_t *v, const struct resource *res, const char *key,
		      struct vm_config *cfg, struct azerr *e)
{
	const json_t *item;
	struct azerr why;
	size_t i;

	if (!json_is_array(v))
		return res->check(v, &why) || res->apply(cfg, v, &why) ?
			azerr_set(e, "%s: %s", key, why.msg) : 0;
	json_array_foreach(v, i, item)
		if (res->check(item, &why) || res->apply(cfg, item, &why))
			return azerr_set(e, "%s[%zu]: %s", key, i, why.msg);
	return 0;
}

/* A section a snapshot may leave out: MMDS's settings (the machine's; its
 * document is not: Firecracker keeps the version, address and interfaces
 * across a snapshot, and the data store starts empty, its
 * mmds-user-guide.md, "Snapshotting considerations"), the pmem devices
 * (their files, not in the snapshot, hold what the guest wrote there),
 * the vsock, the entropy device and the balloon (its target as last set: PATCH /balloon
 * changes the configuration; what the driver holds is in the device's
 * configuration, a card-config section of the machine state). */
static int take_optional(const json_t *v, const struct resource *res, const char *key,
			 struct vm_config *cfg, struct azerr *e)
{
	return v && !json_is_null(v) ? apply_each(v, res, key, cfg, e) : 0;
}

/* The boot source is kept for GET /vm/config only: a restored guest does
 * not boot, so its kernel need not exist any more. */
static int take_boot_source(const json_t *b, struct vm_config *cfg, struct azerr *e)
{
	struct azerr why;

	if (!b || json_is_null(b))
		return 0;
	if (res_boot_source.check(b, &why))
		return azerr_set(e, "boot-source: %s", why.msg);
	free(cfg->kernel_path);
	free(cfg->initrd_path);
	free(cfg->cmdline);
	cfg->kernel_path = strdup(jstr(b, "kernel_image_path"));
	cfg->initrd_path = jstr(b, "initrd_path") ? strdup(jstr(b, "initrd_path")) : NULL;
	cfg->cmdline = jstr(b, "boot_args") ? strdup(jstr(b, "boot_args")) : NULL;
	return cfg->kernel_path ? 0 : azerr_set(e, "out of memory");
}

/* The azote object: list i describes the i-th device of cfg's list. */
static int take_extras(const json_t *x, struct vm_config *cfg, struct azerr *e)
{
	const json_t *drives = json_object_get(x, "drives"), *nets =
		json_object_get(x, "network-interfaces"), *item;
	struct azerr why;
	int t;
	size_t i;

	if (jcheck(x, "azote", JFIELDS(extra_fields), e) ||
	    (t = jenum(x, "azote", "transport", JFIELDS(transports), false, 0, e)) < 0)
		return -1;
	cfg->transport = (enum vm_transport)t;
	cfg->entry_pref = (enum boot_entry_pref)juint(x, "boot_entry", 0);
	if (json_array_size(drives) != cfg->nr_drives ||
	    json_array_size(nets) != cfg->nr_nets)
		return azerr_set(e, "azote: %zu drives and %zu interfaces, the configuration "
				 "has %u and %u", json_array_size(drives),
				 json_array_size(nets), cfg->nr_drives, cfg->nr_nets);
	json_array_foreach(drives, i, item) {
		struct drive_config *d = &cfg->drives[i];
		if (jcheck(item, "azote.drives[]", JFIELDS(drive_extra_fields), &why))
			return azerr_set(e, "%s", why.msg);
		if (strcmp(jstr(item, "drive_id"), d->id))
			return azerr_set(e, "azote.drives[%zu] is `%s`, drives[%zu] `%s`", i,
					 jstr(item, "drive_id"), i, d->id);
		d->direct = jbool(item, "direct", false);
		d->queues = (unsigned)juint(item, "queues", 0);
		d->has_poll_us = jhas(item, "poll_us");
		d->poll_us = (unsigned)juint(item, "poll_us", 0);
		if (jhas(item, "uring") && blk_uring_mode_parse(jstr(item, "uring"), &d->uring) < 0)
			return azerr_set(e, "azote.drives[%zu].uring `%s`: expected %s", i,
					 jstr(item, "uring"), BLK_URING_MODES);
	}
	json_array_foreach(nets, i, item) {
		if (jcheck(item, "azote.network-interfaces[]", JFIELDS(net_extra_fields), &why))
			return azerr_set(e, "%s", why.msg);
		if (strcmp(jstr(item, "iface_id"), cfg->nets[i].id))
			return azerr_set(e, "azote.network-interfaces[%zu] is `%s`, "
					 "network-interfaces[%zu] `%s`", i, jstr(item, "iface_id"),
					 i, cfg->nets[i].id);
		cfg->nets[i].queues = (unsigned)juint(item, "queues", 0);
	}
	return 0;
}

/* Firecracker's vsock_override: the recorded vsock with another socket,
 * which is then checked as a PUT /vsock's would be (the recorded path may
 * still be the old process's). */
static int override_vsock(json_t *root, const char *uds, struct azerr *e)
{
	json_t *v = json_object_get(root, "vsock");

	if (!uds)
		return 0;
	if (!json_is_object(v))
		return azerr_set(e, "vsock_override: the snapshot has no vsock device");
	return json_object_set_new(v, "uds_path", json_string(uds)) ?
		azerr_set(e, "out of memory") : 0;
}

int api_snapshot_config_parse(const char *json, size_t len, const char *name,
			      const char *vsock_uds, struct vm_config *cfg, struct azerr *e)
{
	struct azerr why;
	json_t *root;
	int ret = -1;

	/* Before jansson sees it: its heap grows ~80 times the input. */
	if (len > API_SNAPSHOT_CONFIG_MAX)
		return azerr_set(e, "%s: its configuration is %zu bytes, at most %u", name, len,
				 API_SNAPSHOT_CONFIG_MAX);
	root = jparse(json, len, &why);
	if (!root)
		return azerr_set(e, "%s: its configuration is not JSON: %s", name, why.msg);
	if (jcheck(root, "", JFIELDS(top_fields), &why))
		azerr_set(e, "%s: its configuration: %s", name, why.msg);
	else if (override_vsock(root, vsock_uds, &why))
		azerr_set(e, "%s: %s", name, why.msg);
	else if (apply_each(json_object_get(root, "machine-config"), &res_machine_config,
			    "machine-config", cfg, &why) ||
		 apply_each(json_object_get(root, "drives"), &res_drive, "drives", cfg, &why) ||
		 apply_each(json_object_get(root, "network-interfaces"), &res_net,
			    "network-interfaces", cfg, &why) ||
		 take_optional(json_object_get(root, "pmem"), &res_pmem, "pmem", cfg, &why) ||
		 take_optional(json_object_get(root, "mmds-config"), &res_mmds_config,
			       "mmds-config", cfg, &why) ||
		 take_optional(json_object_get(root, "entropy"), &res_entropy, "entropy", cfg,
			       &why) ||
		 take_optional(json_object_get(root, "balloon"), &res_balloon, "balloon", cfg,
			       &why) ||
		 take_optional(json_object_get(root, "vsock"), &res_vsock, "vsock", cfg, &why) ||
		 take_boot_source(json_object_get(root, "boot-source"), cfg, &why) ||
		 take_extras(json_object_get(root, "azote"), cfg, &why))
		azerr_set(e, "%s: its configuration: %s", name, why.msg);
	else
		ret = 0;
	json_decref(root);
	return ret;
}
