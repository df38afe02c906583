#include "vmm/vm_config.h"

#include <stdlib.h>
#include <string.h>

void vm_config_init(struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nr_cpus = VM_DEFAULT_CPUS;
	c->mem_bytes = VM_DEFAULT_MEM;
	c->entry_pref = BOOT_ENTRY_AUTO;
}

void vm_config_free(struct vm_config *c)
{
	free(c->kernel_path);
	free(c->initrd_path);
	free(c->cmdline);
	for (unsigned i = 0; i < c->nr_drives; i++) {
		free(c->drives[i].path);
		free(c->drives[i].socket);
	}
	for (unsigned i = 0; i < c->nr_nets; i++) {
		free(c->nets[i].tap);
		free(c->nets[i].socket);
	}
	vm_config_init(c);
}
