/* The machine's parts, saved and restored in turn: see snapshot.h. */
#include "vmm/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vmm/vhost_devs_state.h"
#include "vmm/vm_state.h"

/* A part of the machine that saves and restores itself. resume, if any,
 * undoes what save did to the running VM (the card rings stop to be
 * saved), once the snapshot is written or has failed. */
struct snapshot_part {
	const char *name;
	int (*save)(struct vm *vm, struct state_set *s, struct azerr *e);
	int (*load)(struct vm *vm, const struct state_set *s, struct azerr *e);
	int (*resume)(struct vm *vm, struct azerr *e);
};

static int machine_save(struct vm *vm, struct state_set *s, struct azerr *e);
static int machine_load(struct vm *vm, const struct state_set *s, struct azerr *e);

/* In restore order; the index is the part's bit in the machine section's
 * `parts`, so entries are only ever added at the end. */
static const struct snapshot_part parts[] = {
	{ "machine", machine_save, machine_load, NULL },
	{ "vm-state", vm_state_save, vm_state_load, NULL },
	{ "card-rings", vhost_devs_save, vhost_devs_restore, vhost_devs_resume },
};
#define NR_PARTS (sizeof(parts) / sizeof(parts[0]))
_Static_assert(NR_PARTS <= 32, "a bit per part in machine_state.parts");

/* Save order, by index into parts[]. The cards' rings stop before the
 * vCPUs, the irqchip and the MSI-X tables are saved: a card completes
 * requests until its rings stop, and a completion after them would be
 * in the snapshot's RAM (written last) without its interrupt (an IRR bit
 * of a LAPIC, an IOAPIC line or a pending bit already saved), so that
 * the restored guest would wait for it forever. Restore keeps the
 * table's order: the rings start last, once the interrupts they raise
 * have somewhere to go. */
static const unsigned save_order[] = { 0, 2, 1 };
_Static_assert(sizeof(save_order) / sizeof(save_order[0]) == NR_PARTS,
	       "every part has its place in save_order");

/* The machine section (STATE_MACHINE #0): little-endian, fixed size, then
 * one machine_dev per virtio device in bus order. */
#define MACHINE_LAYOUT 1u
struct machine_state {
	uint32_t layout;          /* MACHINE_LAYOUT */
	uint32_t nr_vcpus;
	uint64_t mem_bytes;
	uint32_t transport;       /* enum vm_transport */
	uint32_t nr_devs;
	uint32_t parts;           /* bit i: parts[i] saved its state */
	uint32_t reserved;
};
struct machine_dev {
	uint32_t virtio_id;
	char name[96];            /* "virtio-blk drive0" */
};
_Static_assert(sizeof(struct machine_state) == 32 && sizeof(struct machine_dev) == 100,
	       "no padding in the machine section");

/* The parts this build saves: bit i set when parts[i] has a saver. */
static uint32_t saved_parts(void)
{
	uint32_t bits = 0;

	for (unsigned i = 0; i < NR_PARTS; i++)
		if (parts[i].save)
			bits |= 1u << i;
	return bits;
}

static int machine_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	size_t len = sizeof(struct machine_state) + vm->nr_devs * sizeof(struct machine_dev);
	unsigned char *buf = calloc(1, len);

	if (!buf)
		return azerr_set(e, "out of memory for the machine section");
	struct machine_state m = {
		.layout = MACHINE_LAYOUT, .nr_vcpus = vm->nr_vcpus,
		.mem_bytes = vm->mem.ram_size,
		.transport = vm->nr_devs ? (uint32_t)vm->devs[0].transport : 0,
		.nr_devs = vm->nr_devs, .parts = saved_parts(),
	};
	memcpy(buf, &m, sizeof(m));
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct machine_dev d = { .virtio_id = vm->devs[i].kind->virtio_id };
		snprintf(d.name, sizeof(d.name), "%s", vm->devs[i].name);
		memcpy(buf + sizeof(m) + i * sizeof(d), &d, sizeof(d));
	}
	int ret = state_put(s, STATE_MACHINE, 0, buf, len, e);
	free(buf);
	return ret;
}

/* The VM built from the snapshot's configuration must be the machine the
 * snapshot describes, and every part must have been saved and be
 * restorable by this build. */
static int machine_load(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	const struct state_section *sec = state_find(s, STATE_MACHINE, 0);
	struct machine_state m;

	if (!sec || sec->len < sizeof(m))
		return azerr_set(e, "no machine section of at least %zu bytes", sizeof(m));
	memcpy(&m, sec->data, sizeof(m));
	if (m.layout != MACHINE_LAYOUT)
		return azerr_set(e, "machine section layout %u, this azote reads %u", m.layout,
				 MACHINE_LAYOUT);
	/* Zero as written, as the file header's reserved bytes are checked:
	 * a later layout may give it a meaning this azote would ignore. */
	if (m.reserved)
		return azerr_set(e, "machine section reserved field is 0x%x, not 0",
				 m.reserved);
	if (m.nr_devs != vm->nr_devs ||
	    sec->len != sizeof(m) + (size_t)m.nr_devs * sizeof(struct machine_dev))
		return azerr_set(e, "the snapshot's machine has %u devices, its configuration %u",
				 m.nr_devs, vm->nr_devs);
	if (m.nr_vcpus != vm->nr_vcpus || m.mem_bytes != vm->mem.ram_size)
		return azerr_set(e, "the snapshot's machine has %u vCPUs and %llu bytes of RAM, "
				 "its configuration %u and %llu", m.nr_vcpus,
				 (unsigned long long)m.mem_bytes, vm->nr_vcpus,
				 (unsigned long long)vm->mem.ram_size);
	for (unsigned i = 0; i < m.nr_devs; i++) {
		struct machine_dev d;
		memcpy(&d, sec->data + sizeof(m) + i * sizeof(d), sizeof(d));
		d.name[sizeof(d.name) - 1] = '\0';
		if (d.virtio_id != vm->devs[i].kind->virtio_id || strcmp(d.name, vm->devs[i].name) ||
		    m.transport != (uint32_t)vm->devs[i].transport)
			return azerr_set(e, "device %u is %s in the snapshot's machine, %s in its "
					 "configuration", i, d.name, vm->devs[i].name);
	}
	for (unsigned i = 0; i < NR_PARTS; i++) {
		if (!(m.parts & (1u << i)))
			return azerr_set(e, "the snapshot lacks its %s part (the azote that took "
					 "it could not save it)", parts[i].name);
		if (!parts[i].load)
			return azerr_set(e, "this azote cannot restore a snapshot's %s part yet",
					 parts[i].name);
	}
	if (m.parts >> NR_PARTS)
		return azerr_set(e, "the snapshot holds state this azote does not know "
				 "(parts 0x%x)", m.parts);
	return 0;
}

/* Resumes the first n parts saved, in reverse save order; the first
 * failure is kept in e (when e is not NULL), the others only logged. */
static int resume_parts(struct vm *vm, unsigned n, struct azerr *e)
{
	int ret = 0;

	while (n--) {
		const struct snapshot_part *p = &parts[save_order[n]];
		struct azerr why;
		if (!p->resume || !p->save || p->resume(vm, &why) == 0)
			continue;
		log_error("snapshot: resuming the %s part: %s", p->name, why.msg);
		if (!ret && e)
			azerr_set(e, "resuming the %s part: %s", p->name, why.msg);
		ret = -1;
	}
	return ret;
}

int vm_snapshot_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	for (unsigned n = 0; n < NR_PARTS; n++) {
		unsigned i = save_order[n];
		struct azerr why;
		if (!parts[i].save) {
			log_warn("snapshot: this azote cannot save the %s part yet: the "
				 "snapshot cannot be restored", parts[i].name);
			continue;
		}
		if (parts[i].save(vm, s, &why) < 0) {
			/* A part that failed undid its own work. */
			resume_parts(vm, n, NULL);
			return azerr_set(e, "saving the %s part: %s", parts[i].name, why.msg);
		}
	}
	return 0;
}

int vm_snapshot_resume(struct vm *vm, struct azerr *e)
{
	return resume_parts(vm, NR_PARTS, e);
}

int vm_snapshot_restore(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	/* machine_load first: it refuses a snapshot some part cannot take
	 * before any part has changed the VM. */
	for (unsigned i = 0; i < NR_PARTS; i++) {
		struct azerr why;
		if (parts[i].load(vm, s, &why) < 0)
			return azerr_set(e, "restoring the %s part: %s", parts[i].name, why.msg);
	}
	return 0;
}
