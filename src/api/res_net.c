/* network-interfaces/{iface_id}: Firecracker's NetworkInterface (PUT,
 * before boot) and PartialNetworkInterface (PATCH, after boot). Each
 * interface is a host TAP device served by azote's net card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_schema.h"
#include "api/res_internal.h"
#include "api/resources.h"

static const struct jfield net_fields[] = {
	{ "iface_id", JT_STRING, true, 0 },
	{ "host_dev_name", JT_STRING, true, 0 },
	{ "guest_mac", JT_STRING, false, 0 },
	{ "mtu", JT_UINT, false, 65535 },
	{ "rx_rate_limiter", JT_OBJECT, false, 0 },
	{ "tx_rate_limiter", JT_OBJECT, false, 0 },
};

static const struct jfield net_patch_fields[] = {
	{ "iface_id", JT_STRING, true, 0 },
	{ "rx_rate_limiter", JT_OBJECT, false, 0 },
	{ "tx_rate_limiter", JT_OBJECT, false, 0 },
};

/* "12:34:56:78:9a:bc": six pairs of hex digits separated by ':'. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	int end = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6 || end != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		/* sscanf's %x also takes a sign or a space: insist on hex. */
		if (!strchr("0123456789abcdefABCDEF", s[i * 3]) ||
		    !strchr("0123456789abcdefABCDEF", s[i * 3 + 1]))
			return -1;
		mac[i] = v[i];
	}
	return 0;
}

/* Linux's own rule for interface names (dev_valid_name). */
static int check_ifname(const char *s, struct azerr *e)
{
	size_t n = strlen(s);

	if (!n || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			goto bad;
	return 0;
bad:
	return azerr_set(e, "invalid value for field `host_dev_name`: `%.32s` "
			 "is not a network interface name (1 to 15 characters, "
			 "no '/', ':' or spaces)", s);
}

static int net_check(const json_t *body, struct azerr *e)
{
	const char *mac = jstr(body, "guest_mac");
	uint8_t m[6];

	if (jcheck(body, "", JFIELDS(net_fields), e) ||
	    res_check_id(jstr(body, "iface_id"), e) ||
	    check_ifname(jstr(body, "host_dev_name"), e) ||
	    res_rate_limiter_check(body, "rx_rate_limiter", e) ||
	    res_rate_limiter_check(body, "tx_rate_limiter", e))
		return -1;
	if (mac && parse_mac(mac, m))
		return azerr_set(e, "invalid value for field `guest_mac`: "
				 "`%.32s` is not a MAC address "
				 "(xx:xx:xx:xx:xx:xx)", mac);
	if (jhas(body, "mtu") && juint(body, "mtu", 0) < 68)
		return azerr_set(e, "invalid value for field `mtu`: %llu, "
				 "expected 68 to 65535",
				 (unsigned long long)juint(body, "mtu", 0));
	return 0;
}

/* Another interface must not use the same TAP device or guest MAC. */
static int check_conflicts(const struct vm_config *cfg, const char *id,
			   const char *tap, const uint8_t *mac,
			   struct azerr *e)
{
	for (unsigned i = 0; i < cfg->nr_nets; i++) {
		const struct net_config *o = &cfg->nets[i];

		if (!strcmp(o->id, id))
			continue;
		if (o->tap && !strcmp(o->tap, tap))
			return azerr_set(e, "The host device name %s is already "
					 "in use.", tap);
		if (mac && o->has_mac && !memcmp(o->mac, mac, 6))
			return azerr_set(e, "The guest MAC address "
					 "%02x:%02x:%02x:%02x:%02x:%02x is "
					 "already in use.", mac[0], mac[1],
					 mac[2], mac[3], mac[4], mac[5]);
	}
	return 0;
}

static int net_apply(struct vm_config *cfg, const json_t *body,
		     struct azerr *e)
{
	const char *id = jstr(body, "iface_id");
	const char *mac = jstr(body, "guest_mac");
	struct net_config n = { 0 };
	int idx = vm_config_find(cfg, &vm_nets, id);

	n.has_mac = mac && !parse_mac(mac, n.mac);
	if (check_conflicts(cfg, id, jstr(body, "host_dev_name"),
			    n.has_mac ? n.mac : NULL, e))
		return -1;
	if (idx < 0 && cfg->nr_nets == VM_MAX_NETS)
		return azerr_set(e, "Cannot add network interface `%s`: azote "
				 "supports at most %d", id, VM_MAX_NETS);
	strcpy(n.id, id);  /* length checked */
	n.mtu = juint(body, "mtu", 0);
	res_rate_limiter(body, "rx_rate_limiter", &n.rx_rate_limiter);
	res_rate_limiter(body, "tx_rate_limiter", &n.tx_rate_limiter);
	if (res_strdup(&n.tap, jstr(body, "host_dev_name"), e))
		return -1;
	if (idx >= 0)
		net_config_free(&cfg->nets[idx]);
	else
		idx = cfg->nr_nets++;
	cfg->nets[idx] = n;
	return 0;
}

const struct resource res_net = { "network-interfaces", net_check, net_apply };

int res_net_patch_check(const json_t *body, struct azerr *e)
{
	if (jcheck(body, "", JFIELDS(net_patch_fields), e) ||
	    res_check_id(jstr(body, "iface_id"), e) ||
	    res_rate_limiter_check(body, "rx_rate_limiter", e) ||
	    res_rate_limiter_check(body, "tx_rate_limiter", e))
		return -1;
	return 0;
}
