/* What a microVM is made of: the one configuration model that the command
 * line, the config file and the HTTP API all fill, and that the VMM boots
 * from. Strings are owned (malloc'd) by the config; vm_config_free releases
 * them. Field names follow Firecracker's API where one exists. */
#ifndef AZOTE_VMM_VM_CONFIG_H
#define AZOTE_VMM_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"

#define VM_MAX_DRIVES 16
#define VM_MAX_NETS   16
#define VM_ID_MAX     64   /* drive_id / iface_id, including the NUL */

struct drive_config {
	char id[VM_ID_MAX];
	char *path;          /* image for a card azote starts; NULL with socket */
	char *socket;        /* vhost-user socket someone else serves */
	bool read_only;
	bool is_root_device;
	bool direct;         /* O_DIRECT in the card */
	unsigned queues;     /* 0: card default */
};

struct net_config {
	char id[VM_ID_MAX];
	char *tap;           /* host TAP device name */
	char *socket;        /* vhost-user-net socket someone else serves */
	uint8_t mac[6];
	bool has_mac;
	unsigned queues;     /* queue pairs, 0: 1 */
};

struct vm_config {
	/* boot-source */
	char *kernel_path;
	char *initrd_path;
	char *cmdline;
	enum boot_entry_pref entry_pref;
	/* machine-config */
	unsigned nr_cpus;
	uint64_t mem_bytes;
	/* devices */
	struct drive_config drives[VM_MAX_DRIVES];
	unsigned nr_drives;
	struct net_config nets[VM_MAX_NETS];
	unsigned nr_nets;
};

#define VM_DEFAULT_CPUS 1
#define VM_DEFAULT_MEM  (128ULL << 20)

void vm_config_init(struct vm_config *c);
void vm_config_free(struct vm_config *c);

#endif
