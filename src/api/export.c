#include "api/export.h"

#include <stdio.h>

#include "api/json_schema.h"
#include "api/resources.h"

/* Strings may come from the command line, in any encoding. Optional ones
 * (s NULL) are left out. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, jstring_lossy(s));
}

json_t *export_machine_config(const struct vm_config *cfg)
{
	return json_pack("{s:I, s:I, s:b, s:b, s:s}",
			 "vcpu_count", (json_int_t)cfg->nr_cpus,
			 "mem_size_mib", (json_int_t)(cfg->mem_bytes >> 20),
			 "smt", cfg->smt,
			 "track_dirty_pages", cfg->track_dirty_pages,
			 "huge_pages", cfg->huge_pages ? "2M" : "None");
}

static json_t *bucket_json(const struct token_bucket *b)
{
	return json_pack("{s:I, s:I, s:I}",
			 "size", (json_int_t)b->size,
			 "one_time_burst", (json_int_t)b->one_time_burst,
			 "refill_time", (json_int_t)b->refill_time_ms);
}

static void set_limiter(json_t *o, const char *key,
			const struct rate_limiter *rl)
{
	json_t *r;

	if (!rl->has_bandwidth && !rl->has_ops)
		return;
	r = json_object();
	if (rl->has_bandwidth)
		json_object_set_new(r, "bandwidth", bucket_json(&rl->bandwidth));
	if (rl->has_ops)
		json_object_set_new(r, "ops", bucket_json(&rl->ops));
	json_object_set_new(o, key, r);
}

static json_t *drive_json(const struct drive_config *d)
{
	json_t *o = json_pack("{s:b, s:s}", "is_root_device", d->is_root_device,
			      "cache_type", res_cache_types[d->cache_type]);

	set_str(o, "drive_id", d->id);
	set_str(o, "partuuid", d->partuuid);
	if (d->socket) {
		set_str(o, "socket", d->socket);
		return o;
	}
	set_str(o, "path_on_host", d->path);
	json_object_set_new(o, "is_read_only", json_boolean(d->read_only));
	json_object_set_new(o, "io_engine",
			    json_string(res_io_engines[d->io_engine]));
	set_limiter(o, "rate_limiter", &d->rate_limiter);
	return o;
}

static json_t *net_json(const struct net_config *n)
{
	json_t *o = json_object();
	char mac[18];

	set_str(o, "iface_id", n->id);
	set_str(o, "host_dev_name", n->tap);
	set_str(o, "socket", n->socket);  /* vhost-user-net from the CLI */
	if (n->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
		json_object_set_new(o, "guest_mac", json_string(mac));
	}
	if (n->mtu)
		json_object_set_new(o, "mtu", json_integer(n->mtu));
	set_limiter(o, "rx_rate_limiter", &n->rx_rate_limiter);
	set_limiter(o, "tx_rate_limiter", &n->tx_rate_limiter);
	return o;
}

static json_t *pmem_json(const struct pmem_config *p)
{
	json_t *o = json_object();

	set_str(o, "id", p->id);
	set_str(o, "path_on_host", p->path);
	json_object_set_new(o, "root_device", json_boolean(p->root_device));
	json_object_set_new(o, "read_only", json_boolean(p->read_only));
	set_limiter(o, "rate_limiter", &p->rate_limiter);
	return o;
}

static json_t *logger_json(const struct logger_config *l)
{
	json_t *o;

	if (!l->configured)
		return json_null();
	o = json_pack("{s:b, s:b}", "show_level", l->show_level,
		      "show_log_origin", l->show_log_origin);
	set_str(o, "level", l->level ? l->level : "Info");
	set_str(o, "log_path", l->log_path);
	set_str(o, "module", l->module);
	return o;
}

/* Firecracker's mmds-config: null unless an interface answers MMDS (it
 * rebuilds the settings from its devices), the address always given. */
static json_t *mmds_json(const struct vm_config *cfg)
{
	json_t *ifaces = json_array();
	char ip[16];
	uint32_t a = cfg->mmds.ipv4;

	for (unsigned i = 0; i < cfg->nr_nets; i++)
		if (cfg->nets[i].mmds)
			json_array_append_new(ifaces, jstring_lossy(cfg->nets[i].id));
	if (!json_array_size(ifaces)) {
		json_decref(ifaces);
		return json_null();
	}
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
	return json_pack("{s:s, s:o, s:s, s:b}", "version", cfg->mmds.version == 2 ? "V2" : "V1",
			 "network_interfaces", ifaces, "ipv4_address", ip,
			 "imds_compat", cfg->mmds.imds_compat);
}

/* free_page_hinting always false: azote refuses it. */
json_t *export_balloon(const struct vm_config *cfg)
{
	const struct balloon_config *b = &cfg->balloons[0];

	if (!cfg->nr_balloons)
		return json_null();
	return json_pack("{s:I, s:b, s:I, s:b, s:b}", "amount_mib", (json_int_t)b->amount_mib,
			 "deflate_on_oom", b->deflate_on_oom, "stats_polling_interval_s",
			 (json_int_t)b->stats_polling_interval_s, "free_page_hinting", 0,
			 "free_page_reporting", b->free_page_reporting);
}

json_t *export_vm_config(const struct vm_config *cfg)
{
	json_t *root = json_object(), *drives = json_array(),
	       *nets = json_array(), *pmems = json_array(), *boot = json_null();

	if (cfg->kernel_path) {
		boot = json_object();
		set_str(boot, "kernel_image_path", cfg->kernel_path);
		set_str(boot, "initrd_path", cfg->initrd_path);
		set_str(boot, "boot_args", cfg->cmdline);
	}
	for (unsigned i = 0; i < cfg->nr_drives; i++)
		json_array_append_new(drives, drive_json(&cfg->drives[i]));
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		json_array_append_new(nets, net_json(&cfg->nets[i]));
	for (unsigned i = 0; i < cfg->nr_pmems; i++)
		json_array_append_new(pmems, pmem_json(&cfg->pmems[i]));
	json_object_set_new(root, "boot-source", boot);
	json_object_set_new(root, "drives", drives);
	json_object_set_new(root, "machine-config", export_machine_config(cfg));
	json_object_set_new(root, "network-interfaces", nets);
	json_object_set_new(root, "logger", logger_json(&cfg->logger));
	json_object_set_new(root, "mmds-config", mmds_json(cfg));
	/* Firecracker's GET /vm/config: null without one, and no vsock_id
	 * (deprecated) with one. */
	json_object_set_new(root, "vsock", json_null());
	if (cfg->nr_vsocks) {
		json_t *v = json_object();
		json_object_set_new(v, "guest_cid", json_integer(cfg->vsocks[0].guest_cid));
		set_str(v, "uds_path", cfg->vsocks[0].uds_path);
		json_object_set_new(root, "vsock", v);
	}
	/* Firecracker's: null without one. */
	json_object_set_new(root, "entropy", json_null());
	if (cfg->nr_rngs) {
		json_t *r = json_object();
		set_limiter(r, "rate_limiter", &cfg->rngs[0].rate_limiter);
		json_object_set_new(root, "entropy", r);
	}
	json_object_set_new(root, "balloon", export_balloon(cfg));
	json_object_set_new(root, "pmem", pmems);
	json_object_set_new(root, "metrics", json_null());
	if (cfg->metrics_path) {
		json_object_set_new(root, "metrics", json_object());
		set_str(json_object_get(root, "metrics"), "metrics_path",
			cfg->metrics_path);
	}
	return root;
}
