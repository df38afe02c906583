/* Snapshots to and from files: see snapshot.h. */
#include "vmm/snapshot.h"

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/e820.h"
#include "common/log.h"
#include "common/mem_file_id.h"
#include "vmm/atomic_file.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot_file.h"
#include "vmm/snapshot_mem.h"
#include "vmm/vm_genid.h"

/* Why a Diff snapshot of vm cannot be taken, or 0: it needs the record
 * of changed pages, and every back-end that wrote guest memory since the
 * last snapshot must have added its writes to it (a device its driver has
 * reset since counts too). */
static int diff_refused(const struct vm *vm, struct azerr *e)
{
	if (vm->dirty.fd < 0)
		return azerr_set(e, "Diff snapshots are not allowed on uVMs with dirty page "
				 "tracking disabled.");
	for (unsigned i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].wrote_unlogged)
			return azerr_set(e, "cannot take a Diff snapshot: %s's vhost-user back-end "
					 "does not log the guest memory it writes (VHOST_F_LOG_ALL "
					 "with LOG_SHMFD) and has run since the last snapshot: take "
					 "a Full snapshot", vm->devs[i].name);
	return 0;
}

/* Whether the page-fault handler a VM was loaded from (the Uffd backend)
 * is known to have ended: its process's pidfd (vmm/lazy_mem.h) polls
 * readable. */
static bool handler_gone(const struct lazy_mem *l)
{
	struct pollfd p = { .fd = l->handler_pidfd, .events = POLLIN };

	return l->handler_fd >= 0 && l->handler_pidfd >= 0 && poll(&p, 1, 0) > 0;
}

/* RAM to mem_path: all of it, or for a Diff what changed since the last
 * snapshot. With dirty pages tracked, KVM's log is read into vm->dirty
 * first, for either type: KVM clears it as it reads it, and the record
 * must start again from this snapshot (cleared by the caller once the
 * snapshot is written whole). */
static int save_memory(struct vm *vm, enum snapshot_type type, const uint8_t *id,
		       const char *mem_path, struct azerr *e)
{
	uint64_t pages = 0;

	if (vm->dirty.fd >= 0 && dirty_log_collect(&vm->dirty, vm->vm_fd, &vm->mem, e) < 0)
		return -1;
	/* A Full snapshot reads the pages not loaded yet through the mapping,
	 * for the handler to serve: with it gone, the first would block the
	 * main thread, and with it the VM and its API, for good. */
	if (type == SNAPSHOT_FULL && handler_gone(&vm->lazy))
		return azerr_set(e, "cannot write %s: the page-fault handler the VM was loaded "
				 "from has ended, and the guest pages it did not serve cannot be "
				 "read", mem_path);
	if (type == SNAPSHOT_FULL)
		return snapshot_mem_save(&vm->mem, &(struct mem_holes){
				.file_fd = vm->lazy.file_fd, .via_mapping = vm->lazy.handler_fd >= 0 },
			id, mem_path, e);
	if (snapshot_mem_save_diff(&vm->mem, &vm->dirty, id, mem_path, &pages, e) < 0)
		return -1;
	log_info("diff snapshot: %llu of %llu guest pages changed, written to %s",
		 (unsigned long long)pages,
		 (unsigned long long)(vm->mem.ram_size / DIRTY_LOG_PAGE), mem_path);
	return 0;
}

/* The two files, so that a failure leaves both paths as they were: the
 * previous snapshot's state file must never end up beside memory that is
 * not its own (the RAM size matches: a load would take the pair). So the
 * state file is written whole to its temporary file first, then RAM (a
 * temporary file renamed into place, or a Diff merged into the base's
 * file in place), and the state file renamed last, which names a complete
 * snapshot only once both are written. Whatever can fail about the state
 * file (its directory, its permissions, a full disk) has failed before
 * RAM touches anything; after RAM only the state file's rename is left.
 * A crash between the memory file's rename (or merge) and the state
 * file's still leaves the new memory beside the old state file: id, set
 * on the memory file and recorded in the state file, makes a load refuse
 * that pair (common/mem_file_id.h). */
static int write_files(struct vm *vm, enum snapshot_type type, const struct snapshot_header *h,
		       const struct state_set *s, const uint8_t *id, const char *snap_path,
		       const char *mem_path, struct azerr *e)
{
	struct atomic_file state;

	if (snapshot_file_prepare(snap_path, h, s, &state, e) < 0)
		return -1;
	if (save_memory(vm, type, id, mem_path, e) < 0) {
		atomic_file_abort(&state);
		return -1;
	}
	return atomic_file_rename(&state, e);
}

int snapshot_create(struct vm *vm, enum snapshot_type type, const char *config_json,
		    const char *snap_path, const char *mem_path, struct azerr *e)
{
	struct snapshot_header h;
	struct state_set s;
	uint8_t id_buf[MEM_FILE_ID_SIZE];
	int ret = -1;

	if (type == SNAPSHOT_DIFF && diff_refused(vm, e) < 0)
		return -1;
	state_set_init(&s);
	snapshot_header_init(&h, vm->nr_vcpus, &vm->mem);
	/* Not under --seccomp-filter: Firecracker's programs, which know no
	 * such tie, have no rule for setting the ID. */
	const uint8_t *id = vmm_sandbox_custom() ? NULL : id_buf;
	mem_file_id_new(id_buf);
	/* Everything is gathered before a file is touched; RAM is written
	 * after the parts (the cards complete into it until their rings
	 * stop). */
	if (state_put(&s, STATE_VM_CONFIG, 0, config_json, strlen(config_json), e) == 0 &&
	    state_put(&s, STATE_MACHINE, SNAPSHOT_MACHINE_MEM_PATH, mem_path, strlen(mem_path),
		      e) == 0 &&
	    (!id || state_put(&s, STATE_MACHINE, SNAPSHOT_MACHINE_MEM_ID, id, MEM_FILE_ID_SIZE,
			      e) == 0) &&
	    vm_snapshot_save(vm, &s, e) == 0) {
		ret = write_files(vm, type, &h, &s, id, snap_path, mem_path, e);
		/* The next Diff starts from this snapshot; after a failed
		 * one every page read stays recorded. The cards are still
		 * stopped: none is setting bits. */
		if (ret == 0) {
			dirty_log_clear(&vm->dirty);
			for (unsigned i = 0; i < vm->nr_devs; i++)
				vm->devs[i].wrote_unlogged = false;
		}
		/* The VM goes on either way: a failed resume is the
		 * request's error only when the snapshot was written. */
		struct azerr why;
		if (vm_snapshot_resume(vm, &why) < 0 && ret == 0)
			ret = azerr_set(e, "snapshot written, but %s", why.msg);
	}
	state_set_free(&s);
	return ret;
}

/* The snapshot, checked against this host and against the configuration
 * it recorded, before anything is built. */
static int open_checked(const struct snapshot_load_req *req, struct snapshot_header *h,
			struct state_set *s, struct vm_config *cfg, struct azerr *e)
{
	const char *name = req->snapshot_path;
	struct snapshot_host host;
	struct guest_mem layout;

	if (snapshot_file_read(name, h, s, e) < 0)
		return -1;
	snapshot_host_probe(&host);
	const struct state_section *c = state_find(s, STATE_VM_CONFIG, 0);
	if (snapshot_check_host(h, &host, name, e) < 0)
		return -1;
	if (!c)
		return azerr_set(e, "%s has no vm-config section", name);
	if (req->configure(req->arg, (const char *)c->data, c->len, name, cfg, e) < 0)
		return -1;
	e820_ram_layout(&layout, cfg->mem_bytes);
	return snapshot_check_machine(h, cfg->nr_cpus, &layout, name, e);
}

/* The request's memory file, else the one the snapshot was created with
 * (malloc'd). */
static char *recorded_mem_path(const struct snapshot_load_req *req, const struct state_set *s,
			       struct azerr *e)
{
	const struct state_section *p = state_find(s, STATE_MACHINE, SNAPSHOT_MACHINE_MEM_PATH);
	char *path;

	if (req->mem_path) {
		path = strdup(req->mem_path);
	} else if (p && p->len && p->len < PATH_MAX && !memchr(p->data, 0, p->len)) {
		path = strndup((const char *)p->data, p->len);
	} else {
		azerr_set(e, "%s names no guest memory file: give one (--restore-mem)",
			  req->snapshot_path);
		return NULL;
	}
	if (!path)
		azerr_set(e, "out of memory");
	return path;
}

/* The memory file at mem_path must be the one the state file was
 * written with (common/mem_file_id.h); with the Uffd backend the handler
 * has it, and azote no file to check. */
static int check_pair(const struct snapshot_load_req *req, const struct state_set *s,
		      const char *mem_path, struct azerr *e)
{
	const struct state_section *id = state_find(s, STATE_MACHINE, SNAPSHOT_MACHINE_MEM_ID);

	if (!id || req->mem_uffd)
		return 0;
	if (id->len != MEM_FILE_ID_SIZE)
		return azerr_set(e, "%s: its memory file ID section is %zu bytes, not %d",
				 req->snapshot_path, id->len, MEM_FILE_ID_SIZE);
	return snapshot_mem_check_id(mem_path, req->snapshot_path, id->data, e);
}

int snapshot_load(struct vm *vm, const struct snapshot_load_req *req, struct vm_config *cfg,
		  struct azerr *e)
{
	struct snapshot_header h;
	struct state_set s;

	if (open_checked(req, &h, &s, cfg, e) < 0) {
		state_set_free(&s);
		return -1;
	}
	char *mem_path = recorded_mem_path(req, &s, e);
	if (!mem_path || check_pair(req, &s, mem_path, e) < 0) {
		free(mem_path);
		state_set_free(&s);
		return -1;
	}
	/* vm_create_restored leaves nothing behind when it fails. */
	int ret = vm_create_restored(vm, cfg, mem_path, req->mem_uffd, e);
	free(mem_path);
	if (ret == 0) {
		vm->clock_realtime = req->clock_realtime;
		ret = vm_snapshot_restore(vm, &s, e);
		/* The guest, told by an interrupt, finds a new generation ID:
		 * a VM restored is a clone of the one saved. */
		if (ret == 0 && (ret = vm_genid_new(&vm->mem, e)) == 0)
			vm_genid_notify(vm->vm_fd);
		/* Parked from their first instruction, as Firecracker leaves
		 * a loaded microVM, until resumed. */
		if (ret == 0 && !req->resume)
			atomic_store(&vm->state, VM_PAUSED);
		if (ret == 0)
			ret = vm_start(vm, e);
		if (ret)
			vm_destroy(vm);
	}
	state_set_free(&s);
	return ret;
}

/* A section's bytes as text, anything but printable ASCII as '?': the
 * file is anyone's, and a terminal would act on escape sequences. */
static void print_text(FILE *out, const char *label, const struct state_section *sec)
{
	fprintf(out, "%s: ", label);
	for (size_t i = 0; i < sec->len; i++)
		fputc(sec->data[i] >= 0x20 && sec->data[i] < 0x7f ? sec->data[i] : '?', out);
	fputc('\n', out);
}

int snapshot_print(FILE *out, const char *path, struct azerr *e)
{
	struct snapshot_header h;
	struct state_set s;

	if (snapshot_file_read(path, &h, &s, e) < 0)
		return -1;
	snapshot_describe(out, path, &h, &s);
	const struct state_section *m = state_find(&s, STATE_MACHINE, SNAPSHOT_MACHINE_MEM_PATH);
	const struct state_section *c = state_find(&s, STATE_VM_CONFIG, 0);
	if (m)
		print_text(out, "memory file", m);
	if (c)
		print_text(out, "configuration", c);
	state_set_free(&s);
	return 0;
}
