#include "vmm/vm_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vm_config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nr_cpus = VM_DEFAULT_CPUS;
	c->mem_bytes = VM_DEFAULT_MEM;
	c->entry_pref = BOOT_ENTRY_AUTO;
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

void vm_config_free(struct vm_config *c)
{
	free(c->kernel_path);
	free(c->initrd_path);
	free(c->cmdline);
	for (unsigned i = 0; i < c->nr_drives; i++)
		drive_config_free(&c->drives[i]);
	for (unsigned i = 0; i < c->nr_nets; i++)
		net_config_free(&c->nets[i]);
	free(c->logger.log_path);
	free(c->logger.level);
	free(c->logger.module);
	free(c->metrics_path);
	free(c->cpu_template);
	vm_config_init(c);
}

int vm_config_find_drive(const struct vm_config *c, const char *id)
{
	for (unsigned i = 0; i < c->nr_drives; i++)
		if (!strcmp(c->drives[i].id, id))
			return (int)i;
	return -1;
}

int vm_config_find_net(const struct vm_config *c, const char *id)
{
	for (unsigned i = 0; i < c->nr_nets; i++)
		if (!strcmp(c->nets[i].id, id))
			return (int)i;
	return -1;
}

char *vm_config_boot_cmdline(const struct vm_config *c)
{
	const char *base = c->cmdline ? c->cmdline : "";
	const struct drive_config *root = NULL;
	char *s;
	int n;

	if (c->nr_drives && c->drives[0].is_root_device)
		root = &c->drives[0];
	if (!root)
		return strdup(base);
	if (root->partuuid)
		n = asprintf(&s, "%s%sroot=PARTUUID=%s %s", base,
			     *base ? " " : "", root->partuuid,
			     root->read_only ? "ro" : "rw");
	else
		n = asprintf(&s, "%s%sroot=/dev/vda %s", base, *base ? " " : "",
			     root->read_only ? "ro" : "rw");
	return n < 0 ? NULL : s;
}
