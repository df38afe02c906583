/* vmm/snapshot.c: the parts of a machine saved and restored in their
 * order, the machine section checked against the VM a snapshot is
 * restored into, and a snapshot missing a part refused before any part
 * touches the VM. The vm-state and card-rings parts are this file's
 * stand-ins (the test links snapshot.c without vm_state.c and
 * vhost_devs_state.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/snapshot.h"

static char calls[128];
static const char *fail_part;

static int stand_in(const char *name, struct azerr *e)
{
	strcat(calls, name);
	strcat(calls, " ");
	if (fail_part && !strcmp(fail_part, name))
		return azerr_set(e, "%s failed", name);
	return 0;
}

int vm_state_save(struct vm *vm, struct state_set *s, struct azerr *e);
int vm_state_load(struct vm *vm, const struct state_set *s, struct azerr *e);
int vhost_devs_save(struct vm *vm, struct state_set *s, struct azerr *e);
int vhost_devs_restore(struct vm *vm, const struct state_set *s, struct azerr *e);
int vhost_devs_resume(struct vm *vm, struct azerr *e);

int vhost_devs_resume(struct vm *vm, struct azerr *e)
{
	(void)vm;
	return stand_in("rings-resume", e);
}

int vm_state_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	uint64_t regs = 0x1234;

	(void)vm;
	return stand_in("vm-save", e) ? -1 : state_put(s, STATE_VCPU_REGS, 0, &regs,
						       sizeof(regs), e);
}

int vm_state_load(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	(void)vm;
	return stand_in("vm-load", e) || !state_get(s, STATE_VCPU_REGS, 0, 8, e) ? -1 : 0;
}

int vhost_devs_save(struct vm *vm, struct state_set *s, struct azerr *e)
{
	(void)vm;
	(void)s;
	return stand_in("rings-save", e);
}

int vhost_devs_restore(struct vm *vm, const struct state_set *s, struct azerr *e)
{
	(void)vm;
	(void)s;
	return stand_in("rings-load", e);
}

static const struct device_kind blk = { .name = "blk", .virtio_id = 2 };
static struct vhost_dev devs[2];

/* A VM as the parts see it: 2 vCPUs, 256 MiB, two virtio-mmio disks. */
static void make_vm(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->nr_vcpus = 2;
	vm->mem.ram_size = 256 << 20;
	for (unsigned i = 0; i < 2; i++) {
		devs[i] = (struct vhost_dev){ .kind = &blk, .transport = VM_TRANSPORT_MMIO };
		snprintf(devs[i].name, sizeof(devs[i].name), "virtio-blk drive%u", i);
	}
	vm->devs = devs;
	vm->nr_devs = 2;
	calls[0] = '\0';
	fail_part = NULL;
}

static void saved(struct vm *vm, struct state_set *s)
{
	struct azerr e = { "" };

	make_vm(vm);
	state_set_init(s);
	assert_int_equal(vm_snapshot_save(vm, s, &e), 0);
	calls[0] = '\0';
}

/* Restoring s into vm fails with a message containing want, and no part
 * but the machine's ran. */
static void refused(struct vm *vm, const struct state_set *s, const char *want)
{
	struct azerr e = { "" };

	calls[0] = '\0';
	assert_int_equal(vm_snapshot_restore(vm, s, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("'%s' not in '%s'", want, e.msg);
	assert_string_equal(calls, "");
}

static void test_save_and_restore_in_order(void **st)
{
	(void)st;
	struct vm vm;
	struct state_set s;
	struct azerr e = { "" };

	make_vm(&vm);
	state_set_init(&s);
	/* The rings stop first: no completion comes after the interrupt
	 * state is saved. Restore starts them last. */
	assert_int_equal(vm_snapshot_save(&vm, &s, &e), 0);
	assert_string_equal(calls, "rings-save vm-save ");
	assert_int_equal(vm_snapshot_resume(&vm, &e), 0);
	assert_string_equal(calls, "rings-save vm-save rings-resume ");
	const struct state_section *m = state_find(&s, STATE_MACHINE, 0);
	assert_non_null(m);
	assert_int_equal(m->len, 32 + 2 * 100);
	uint32_t parts;
	memcpy(&parts, m->data + 24, 4);
	assert_int_equal(parts, 7);          /* machine, vm-state, card-rings */
	assert_non_null(state_find(&s, STATE_VCPU_REGS, 0));
	calls[0] = '\0';
	assert_int_equal(vm_snapshot_restore(&vm, &s, &e), 0);
	assert_string_equal(calls, "vm-load rings-load ");
	state_set_free(&s);
}

/* The VM built from the configuration is not the snapshot's machine, or
 * the snapshot lacks a part: no part is restored into it. */
static void test_refused(void **st)
{
	(void)st;
	struct vm vm;
	struct state_set s;

	saved(&vm, &s);
	vm.nr_vcpus = 3;
	refused(&vm, &s, "restoring the machine part: the snapshot's machine has 2 vCPUs and "
		"268435456 bytes of RAM, its configuration 3 and 268435456");
	vm.nr_vcpus = 2;
	snprintf(devs[1].name, sizeof(devs[1].name), "virtio-blk other");
	refused(&vm, &s, "restoring the machine part: device 1 is virtio-blk drive1 in the "
		"snapshot's machine, virtio-blk other in its configuration");
	vm.nr_devs = 1;
	refused(&vm, &s, "has 2 devices, its configuration 1");
	make_vm(&vm);
	devs[0].transport = VM_TRANSPORT_PCI;
	refused(&vm, &s, "device 0 is virtio-blk drive0");

	/* A snapshot whose azote could not save a part (its bit clear), or
	 * with parts this azote does not know, or no machine section. */
	make_vm(&vm);
	struct state_section *m = (struct state_section *)state_find(&s, STATE_MACHINE, 0);
	uint32_t parts = 1 | 4;
	memcpy(m->data + 24, &parts, 4);
	refused(&vm, &s, "restoring the machine part: the snapshot lacks its vm-state part "
		"(the azote that took it could not save it)");
	parts = 0xf;
	memcpy(m->data + 24, &parts, 4);
	refused(&vm, &s, "state this azote does not know (parts 0xf)");
	m->len = 31;
	refused(&vm, &s, "no machine section of at least 32 bytes");
	m->len = 32 + 2 * 100;
	m->data[0] = 2;                      /* another layout */
	refused(&vm, &s, "machine section layout 2, this azote reads 1");
	m->data[0] = 1;
	parts = 7;
	memcpy(m->data + 24, &parts, 4);
	m->data[28] = 4;                     /* reserved */
	refused(&vm, &s, "machine section reserved field is 0x4, not 0");
	state_set_free(&s);
}

static void test_part_failures_named(void **st)
{
	(void)st;
	struct vm vm;
	struct state_set s;
	struct azerr e = { "" };

	make_vm(&vm);
	state_set_init(&s);
	fail_part = "rings-save";
	assert_int_equal(vm_snapshot_save(&vm, &s, &e), -1);
	assert_string_equal(e.msg, "saving the card-rings part: rings-save failed");
	/* The part that failed undid itself: nothing is resumed. */
	assert_string_equal(calls, "rings-save ");
	state_set_free(&s);
	/* A part after the rings failed: they are resumed. */
	make_vm(&vm);
	state_set_init(&s);
	fail_part = "vm-save";
	assert_int_equal(vm_snapshot_save(&vm, &s, &e), -1);
	assert_string_equal(e.msg, "saving the vm-state part: vm-save failed");
	assert_string_equal(calls, "rings-save vm-save rings-resume ");
	state_set_free(&s);
	make_vm(&vm);
	state_set_init(&s);
	assert_int_equal(vm_snapshot_save(&vm, &s, &e), 0);
	fail_part = "rings-resume";
	assert_int_equal(vm_snapshot_resume(&vm, &e), -1);
	assert_string_equal(e.msg, "resuming the card-rings part: rings-resume failed");
	state_set_free(&s);
	saved(&vm, &s);
	fail_part = "vm-load";
	assert_int_equal(vm_snapshot_restore(&vm, &s, &e), -1);
	assert_string_equal(e.msg, "restoring the vm-state part: vm-load failed");
	assert_string_equal(calls, "vm-load ");
	state_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_and_restore_in_order),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_part_failures_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
