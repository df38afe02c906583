#include "vmm/vm_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vm_config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nr_cpus = VM_DEFAULT_CPUS;
	c->mem_bytes = VM_DEFAULT_MEM;
	c->entry_pref = BOOT_ENTRY_AUTO;
	c->mmds.version = 1;
	c->mmds.ipv4 = VM_MMDS_DEFAULT_IPV4;
}

bool vm_config_has_mmds(const struct vm_config *c)
{
	for (unsigned i = 0; i < c->nr_nets; i++)
		if (c->nets[i].mmds)
			return true;
	return false;
}

void drive_config_free(struct drive_config *d)
{
	free(d->path);
	free(d->socket);
	free(d->partuuid);
	memset(d, 0, sizeof(*d));
}

void net_config_free(struct net_config *n)
{
	free(n->tap);
	free(n->socket);
	memset(n, 0, sizeof(*n));
}

void vsock_config_free(struct vsock_config *v)
{
	free(v->uds_path);
	free(v->socket);
	memset(v, 0, sizeof(*v));
}

void rng_config_free(struct rng_config *r)
{
	free(r->socket);
	memset(r, 0, sizeof(*r));
}

void balloon_config_free(struct balloon_config *b)
{
	free(b->socket);
	memset(b, 0, sizeof(*b));
}

void pmem_config_free(struct pmem_config *p)
{
	free(p->path);
	free(p->socket);
	memset(p, 0, sizeof(*p));
}

static void drive_free(void *dev)
{
	drive_config_free(dev);
}

static void net_free(void *dev)
{
	net_config_free(dev);
}

static void vsock_free(void *dev)
{
	vsock_config_free(dev);
}

const struct vm_device_list vm_drives = {
	.noun = "drive", .id_prefix = "drive", .max = VM_MAX_DRIVES,
	.list = offsetof(struct vm_config, drives),
	.count = offsetof(struct vm_config, nr_drives),
	.size = sizeof(struct drive_config),
	.id = offsetof(struct drive_config, id),
	.socket = offsetof(struct drive_config, socket),
	.free = drive_free,
};

const struct vm_device_list vm_nets = {
	.noun = "NIC", .id_prefix = "net", .max = VM_MAX_NETS,
	.list = offsetof(struct vm_config, nets),
	.count = offsetof(struct vm_config, nr_nets),
	.size = sizeof(struct net_config),
	.id = offsetof(struct net_config, id),
	.socket = offsetof(struct net_config, socket),
	.free = net_free,
};

const struct vm_device_list vm_vsocks = {
	.noun = "vsock device", .id_prefix = "vsock", .max = VM_MAX_VSOCKS,
	.list = offsetof(struct vm_config, vsocks),
	.count = offsetof(struct vm_config, nr_vsocks),
	.size = sizeof(struct vsock_config),
	.id = offsetof(struct vsock_config, id),
	.socket = offsetof(struct vsock_config, socket),
	.free = vsock_free,
};

static void rng_free(void *dev)
{
	rng_config_free(dev);
}

const struct vm_device_list vm_rngs = {
	.noun = "entropy device", .id_prefix = "rng", .max = VM_MAX_RNGS,
	.list = offsetof(struct vm_config, rngs),
	.count = offsetof(struct vm_config, nr_rngs),
	.size = sizeof(struct rng_config),
	.id = offsetof(struct rng_config, id),
	.socket = offsetof(struct rng_config, socket),
	.free = rng_free,
};

static void balloon_free(void *dev)
{
	balloon_config_free(dev);
}

const struct vm_device_list vm_balloons = {
	.noun = "balloon device", .id_prefix = "balloon", .max = VM_MAX_BALLOONS,
	.list = offsetof(struct vm_config, balloons),
	.count = offsetof(struct vm_config, nr_balloons),
	.size = sizeof(struct balloon_config),
	.id = offsetof(struct balloon_config, id),
	.socket = offsetof(struct balloon_config, socket),
	.free = balloon_free,
};

static void pmem_free(void *dev)
{
	pmem_config_free(dev);
}

const struct vm_device_list vm_pmems = {
	.noun = "pmem device", .id_prefix = "pmem", .max = VM_MAX_PMEMS,
	.list = offsetof(struct vm_config, pmems),
	.count = offsetof(struct vm_config, nr_pmems),
	.size = sizeof(struct pmem_config),
	.id = offsetof(struct pmem_config, id),
	.socket = offsetof(struct pmem_config, socket),
	.free = pmem_free,
};

/* Firecracker's rule (its TooManyPagesRequested): the target cannot be
 * more than the guest's memory. */
const char *vm_balloon_too_large(uint32_t amount_mib, uint64_t mem_bytes, const char *field,
				 char *buf, size_t len)
{
	if (amount_mib <= mem_bytes >> 20)
		return NULL;
	snprintf(buf, len, "%s: %u MiB is more than the guest's %llu MiB", field, amount_mib,
		 (unsigned long long)(mem_bytes >> 20));
	return buf;
}

unsigned vm_device_count(const struct vm_config *c, const struct vm_device_list *l)
{
	return *(const unsigned *)((const char *)c + l->count);
}

void *vm_device(struct vm_config *c, const struct vm_device_list *l, unsigned i)
{
	return (char *)c + l->list + i * l->size;
}

const void *vm_device_const(const struct vm_config *c, const struct vm_device_list *l,
			    unsigned i)
{
	return (const char *)c + l->list + i * l->size;
}

void vm_device_set_only(struct vm_config *c, const struct vm_device_list *l, const void *dev)
{
	void *slot = vm_device(c, l, 0);

	for (unsigned i = 0; i < vm_device_count(c, l); i++)
		l->free(vm_device(c, l, i));
	memcpy(slot, dev, l->size);
	*(unsigned *)((char *)c + l->count) = 1;
}

void vm_device_added(struct vm_config *c, const struct vm_device_list *l)
{
	(*(unsigned *)((char *)c + l->count))++;
}

const char *vm_device_id(const struct vm_device_list *l, const void *dev)
{
	return (const char *)dev + l->id;
}

const char *vm_device_socket(const struct vm_device_list *l, const void *dev)
{
	return *(char *const *)((const char *)dev + l->socket);
}

int vm_config_find(const struct vm_config *c, const struct vm_device_list *l,
		   const char *id)
{
	for (unsigned i = 0; i < vm_device_count(c, l); i++)
		if (!strcmp(vm_device_id(l, vm_device_const(c, l, i)), id))
			return (int)i;
	return -1;
}

void vm_config_free(struct vm_config *c)
{
	free(c->kernel_path);
	free(c->initrd_path);
	free(c->cmdline);
	for (const struct vm_device_list *const *l = (const struct vm_device_list *const[]){
		     &vm_drives, &vm_nets, &vm_vsocks, &vm_rngs, &vm_balloons, &vm_pmems, NULL }; *l; l++)
		for (unsigned i = 0; i < vm_device_count(c, *l); i++)
			(*l)->free(vm_device(c, *l, i));
	free(c->logger.log_path);
	free(c->logger.level);
	free(c->logger.module);
	free(c->metrics_path);
	free(c->serial.out_path);
	free(c->cpu_template);
	free(c->mmds.data);
	vm_config_init(c);
}

/* Where a "--" token starts in s (everything after it is init's), or the
 * end of s. */
static size_t kernel_part_end(const char *s)
{
	for (const char *p = s; (p = strstr(p, "--")); p += 2)
		if ((p == s || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\0'))
			return (size_t)(p - s);
	return strlen(s);
}

char *cmdline_add(const char *cmdline, const char *args)
{
	size_t at = kernel_part_end(cmdline);
	bool space_before = at && cmdline[at - 1] != ' ';
	char *s;
	int n = asprintf(&s, "%.*s%s%s%s%s", (int)at, cmdline, space_before ? " " : "", args,
			 cmdline[at] ? " " : "", cmdline + at);

	return n < 0 ? NULL : s;
}

bool vm_config_has_pmem_root(const struct vm_config *c)
{
	for (unsigned i = 0; i < c->nr_pmems; i++)
		if (c->pmems[i].root_device)
			return true;
	return false;
}

/* Firecracker's PmemConfigError texts. */
const char *vm_pmem_root_conflict(const struct vm_config *c, const struct pmem_config *p)
{
	if (!p->root_device)
		return NULL;
	if (c->nr_drives && c->drives[0].is_root_device)
		return "Attempt to add pmem as a root device while the root device defined as a "
		       "block device";
	for (unsigned i = 0; i < c->nr_pmems; i++)
		if (c->pmems[i].root_device && strcmp(c->pmems[i].id, p->id))
			return "A root pmem device already exist";
	return NULL;
}

/* "root=/dev/pmemN rw|ro" for the root pmem device, or NULL with *n 0. */
static char *pmem_root_args(const struct vm_config *c, int *n)
{
	char *args = NULL;

	*n = 0;
	for (unsigned i = 0; i < c->nr_pmems; i++)
		if (c->pmems[i].root_device)
			*n = asprintf(&args, "root=/dev/pmem%u %s", i,
				      c->pmems[i].read_only ? "ro" : "rw");
	return *n < 0 ? NULL : args;
}

char *vm_config_boot_cmdline(const struct vm_config *c)
{
	const char *base = c->cmdline ? c->cmdline : "";
	const struct drive_config *root = NULL;
	char *s, *args;
	int n;

	if (c->nr_drives && c->drives[0].is_root_device)
		root = &c->drives[0];
	if (!root) {
		args = pmem_root_args(c, &n);
		if (n < 0)
			return NULL;
		if (!args)
			return strdup(base);
	} else if (root->partuuid)
		n = asprintf(&args, "root=PARTUUID=%s %s", root->partuuid,
			     root->read_only ? "ro" : "rw");
	else
		n = asprintf(&args, "root=/dev/vda %s", root->read_only ? "ro" : "rw");
	if (n < 0)
		return NULL;
	s = cmdline_add(base, args);
	free(args);
	return s;
}
