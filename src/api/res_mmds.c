/* mmds/config: Firecracker's MmdsConfig (PUT /mmds/config before boot, the
 * config file's mmds-config): which network interfaces answer the guest's
 * MMDS requests, at which link-local address, with which version of the
 * protocol. Firecracker's checks and messages (vmm_config/mmds.rs), in its
 * order: the address, an empty list, an unknown interface. */
#include <arpa/inet.h>
#include <string.h>

#include "api/json_schema.h"
#include "api/resources.h"

static const struct jfield mmds_fields[] = {
	{ "version", JT_STRING, false, 0 },
	{ "network_interfaces", JT_ARRAY, true, 0 },
	{ "ipv4_address", JT_STRING, false, 0 },
	{ "imds_compat", JT_BOOL, false, 0 },
};

static const char *const versions[] = { "V1", "V2" };

/* The address as Rust's Ipv4Addr parses it (inet_pton: four decimal
 * parts, no leading zeros), host order. */
static int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int mmds_check(const json_t *body, struct azerr *e)
{
	const json_t *ifaces = json_object_get(body, "network_interfaces"), *v;
	const char *ip = jstr(body, "ipv4_address");
	uint32_t addr;
	size_t i;

	if (jcheck(body, "", JFIELDS(mmds_fields), e) ||
	    jenum(body, "", "version", JFIELDS(versions), false, 0, e) < 0)
		return -1;
	json_array_foreach(ifaces, i, v)
		if (!json_is_string(v))
			return azerr_set(e, "invalid type for field `network_interfaces[%zu]`: "
					 "expected a string", i);
	if (ip && parse_ipv4(ip, &addr))
		return azerr_set(e, "invalid value for field `ipv4_address`: `%.64s` is not "
				 "an IPv4 address", ip);
	return 0;
}

/* Firecracker's is_link_local_valid: 169.254.0.0/16 without its first
 * and last /24, which RFC 3927 reserves. */
static bool link_local_valid(uint32_t a)
{
	return (a >> 16) == 0xa9fe && ((a >> 8) & 0xff) != 0 && ((a >> 8) & 0xff) != 0xff;
}

static int mmds_apply(struct vm_config *cfg, const json_t *body, struct azerr *e)
{
	const json_t *ifaces = json_object_get(body, "network_interfaces"), *v;
	const char *ip = jstr(body, "ipv4_address");
	uint32_t addr = VM_MMDS_DEFAULT_IPV4;
	bool named[VM_MAX_NETS] = { false };
	size_t i;

	if (ip)
		parse_ipv4(ip, &addr);  /* checked */
	if (!link_local_valid(addr))
		return azerr_set(e, "The MMDS IPv4 address is not link local.");
	if (!json_array_size(ifaces))
		return azerr_set(e, "The list of network interface IDs that allow forwarding "
				 "MMDS requests is empty.");
	json_array_foreach(ifaces, i, v) {
		int n = vm_config_find(cfg, &vm_nets, json_string_value(v));

		if (n < 0)
			return azerr_set(e, "The list of network interface IDs provided contains "
					 "at least one ID that does not correspond to any "
					 "existing network interface.");
		/* Only azote's own net card has the MMDS stack. */
		if (cfg->nets[n].socket)
			return azerr_set(e, "The requested operation is not supported: network "
					 "interface `%s` is served over vhost-user, by a back-end "
					 "without MMDS", cfg->nets[n].id);
		named[n] = true;
	}
	for (unsigned n = 0; n < cfg->nr_nets; n++)
		cfg->nets[n].mmds = named[n];
	cfg->mmds.version = (uint8_t)(jenum(body, "", "version", JFIELDS(versions), false, 0,
					    NULL) + 1);
	cfg->mmds.imds_compat = jbool(body, "imds_compat", false);
	cfg->mmds.ipv4 = addr;
	return 0;
}

const struct resource res_mmds_config = { "mmds-config", mmds_check, mmds_apply };
