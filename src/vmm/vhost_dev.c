#include "vmm/vhost_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "iface/card_control.h"
#include "vmm/card_spawn.h"
#include "vmm/kvm_host.h"
#include "vmm/page_relay.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

#define VHOST_TIMEOUT_MS   5000
/* What one start, stop or reset of a device (a dozen requests and more,
 * under its lock, while a pause or the VM's end may wait for it) may take
 * in all (vu_fe_begin): a card slow on each answer gets a few seconds, not
 * one timeout per request. */
#define VHOST_SEQUENCE_MS  (2 * VHOST_TIMEOUT_MS)
#define QUEUE_MAX_SIZE     256
_Static_assert(VIRTIO_MAX_QUEUES <= 32, "rings_on has a bit per queue");
_Static_assert(JAIL_CARD_FD == CARD_SOCKET_FD && JAIL_EXTRA_FD == CARD_STATS_FD &&
	       JAIL_EXTRA_FD + 1 == CARD_CONTROL_FD && JAIL_EXTRA_FD + 2 == CARD_LAZY_MEM_FD &&
	       JAIL_EXTRA_FD + 3 == CARD_UFFD_DEV_FD,
	       "jail_spawn_card puts the socket, the stats page and the control channel "
	       "where cards look");


/* The "front-end virtual addresses" of vhost-user (the memory table's and
 * the rings'): the back-end only translates them through the table, so
 * any one-to-one map of guest memory serves. Guest physical addresses
 * moved by a constant, not where azote mapped guest RAM: a compromised
 * card learns nothing of azote's address space from them. */
#define CARD_UVA_BASE (1ULL << 46)

/* Where the guest placed ring part [gpa, gpa+len), as the back-end names
 * it (CARD_UVA_BASE); it must lie in RAM. */
static int ring_uva(struct vhost_dev *d, unsigned q, const char *part,
		    uint64_t gpa, uint64_t len, uint64_t *uva, struct azerr *e)
{
	if (!guest_mem_ptr(&d->vm->mem, gpa, len))
		return azerr_set(e, "%s: queue %u %s ring at 0x%llx (+%llu) is not in RAM",
				 d->name, q, part, (unsigned long long)gpa,
				 (unsigned long long)len);
	*uva = CARD_UVA_BASE + gpa;
	return 0;
}

static int send_mem_table(struct vhost_dev *d, struct azerr *e)
{
	const struct guest_mem *m = &d->vm->mem;
	struct vu_fe_region r[GUEST_MEM_MAX_REGIONS];

	for (int i = 0; i < m->nr_regions; i++)
		r[i] = (struct vu_fe_region){
			.gpa = m->regions[i].gpa, .size = m->regions[i].size,
			.uva = CARD_UVA_BASE + m->regions[i].gpa, .fd = m->fd,
			.fd_offset = m->regions[i].fd_offset,
		};
	return vu_fe_set_mem_table(&d->fe, r, (unsigned)m->nr_regions, e);
}

/* The protocol features azote asks of a back-end: LOG_SHMFD only when the
 * VM tracks changed pages, so that an untracked VM's back-ends are not
 * asked for what it never uses. */
static uint64_t wanted_protocol_features(const struct vhost_dev *d)
{
	uint64_t pf = VU_FE_PROTOCOL_FEATURES;

	if (d->vm->dirty.fd >= 0)
		pf |= 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	return pf;
}

/* Whether the back-end is to log its writes into the VM's dirty log: the
 * VM tracks changed pages and the back-end offers both halves. */
static bool can_log(const struct vhost_dev *d)
{
	return d->vm->dirty.fd >= 0 && d->fe.can_log &&
	       (d->fe.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD));
}

static int start_rings(struct vhost_dev *d, uint64_t features, const struct virtio_queue *q,
		       const uint16_t *base, struct azerr *e)
{
	unsigned nr_queues = d->vd->p.nr_queues;
	bool log = can_log(d);

	if (__atomic_load_n(&d->dead, __ATOMIC_ACQUIRE))
		return azerr_set(e, "%s: the back-end is gone", d->name);
	/* Every start sends the log again: a reset made the back-end forget
	 * it, and a snapshot's resume or a restore comes here too. A
	 * back-end without it may write from now on, unrecorded. */
	d->wrote_unlogged |= !log;
	features &= ~d->own_features;
	if (log)
		features |= 1ULL << VHOST_F_LOG_ALL;
	if (vu_fe_set_features(&d->fe, features, e) < 0 || send_mem_table(d, e) < 0 ||
	    (log && vu_fe_set_log_base(&d->fe, d->vm->dirty.fd, d->vm->dirty.bytes, e) < 0))
		return -1;
	for (unsigned i = 0; i < nr_queues; i++) {
		if (!q[i].enabled)
			continue;
		uint64_t n = q[i].size;
		struct vu_fe_vring v = {
			.num = q[i].size, .base = base ? base[i] : 0,
			/* The transport's eventfds, not q's: a restored ring
			 * comes from a snapshot, the fds from this VM. */
			.kickfd = d->vd->queues[i].kick_fd,
			.callfd = d->vd->queues[i].call_fd,
			/* The used ring is the one part the back-end writes. */
			.log = log, .log_gpa = q[i].device,
		};
		/* Split ring sizes (§2.7): 16-byte descriptors, avail and used
		 * rings with their headers and event fields. */
		if (ring_uva(d, i, "descriptor", q[i].desc, 16 * n, &v.desc, e) < 0 ||
		    ring_uva(d, i, "available", q[i].driver, 6 + 2 * n, &v.avail, e) < 0 ||
		    ring_uva(d, i, "used", q[i].device, 6 + 8 * n, &v.used, e) < 0 ||
		    vu_fe_vring_start(&d->fe, i, &v, e) < 0) {
			/* The rings that did start are stopped with the rest
			 * on the next reset or snapshot. */
			d->started = d->rings_on != 0;
			return -1;
		}
		d->rings_on |= 1u << i;
	}
	d->started = true;
	return 0;
}

int vhost_dev_start_rings(struct vhost_dev *d, uint64_t features,
			  const struct virtio_queue *q, const uint16_t *base,
			  struct azerr *e)
{
	vu_fe_begin(&d->fe, VHOST_SEQUENCE_MS);
	int r = start_rings(d, features, q, base, e);
	vu_fe_end(&d->fe);
	return r;
}

int vhost_dev_stop_rings(struct vhost_dev *d, uint16_t *base, struct azerr *e)
{
	int r = 0;

	vu_fe_begin(&d->fe, VHOST_SEQUENCE_MS);

	for (unsigned i = 0; i < d->vd->p.nr_queues; i++) {
		if (!(d->rings_on & (1u << i)))
			continue;
		d->rings_on &= ~(1u << i);
		uint16_t b = 0;
		if (vu_fe_vring_stop(&d->fe, i, &b, e) < 0)
			r = -1;
		else if (base)
			base[i] = b;
	}
	vu_fe_end(&d->fe);
	d->started = false;
	return r;
}

static int vd_start(void *ctx, uint64_t features, struct virtio_queue *q,
		    unsigned nr_queues, struct azerr *e)
{
	struct vhost_dev *d = ctx;

	(void)nr_queues;  /* the transport's own count, d->vd->p.nr_queues */
	/* A fresh start, every ring from avail index 0; or a restore's
	 * (vhost_devs_restore), from where the snapshot's card stopped. */
	const uint16_t *base = d->restored_base;

	d->restored_base = NULL;
	d->parked = false;
	return vhost_dev_start_rings(d, features, q, base, e);
}

static void vd_stop(void *ctx)
{
	struct vhost_dev *d = ctx;
	struct azerr e;

	/* Rings a snapshot stopped are not to be restarted by a resume once
	 * the driver reset the device. */
	d->parked = false;
	if (!d->started)
		return;
	if (__atomic_load_n(&d->dead, __ATOMIC_ACQUIRE)) {
		d->rings_on = 0;
		d->started = false;
		return;
	}
	if (vhost_dev_stop_rings(d, NULL, &e) < 0)
		log_warn("%s", e.msg);
	/* The back-end forgets the driver's features; offer ours again for
	 * the next driver. */
	vu_fe_begin(&d->fe, VHOST_SEQUENCE_MS);
	if (vu_fe_reset(&d->fe, &e) < 0 ||
	    vu_fe_negotiate(&d->fe, wanted_protocol_features(d), &e) < 0)
		log_warn("%s", e.msg);
	vu_fe_end(&d->fe);
}

static void vd_config_read(void *ctx, unsigned off, void *data, unsigned len)
{
	struct vhost_dev *d = ctx;

	memcpy(data, d->config + off, len);
}

static void vd_config_write(void *ctx, unsigned off, const void *data, unsigned len)
{
	struct vhost_dev *d = ctx;
	struct azerr e;

	if (vu_fe_set_config(&d->fe, off, data, len, &e) < 0) {
		log_warn("%s", e.msg);
		return;
	}
	memcpy(d->config + off, data, len);
}

static const struct virtio_backend_ops vhost_ops = {
	.start = vd_start, .stop = vd_stop,
	.config_read = vd_config_read, .config_write = vd_config_write,
};

/* How a card that closed its socket ended, waiting briefly for it to be
 * reaped: "exited with status 1", "was killed by signal 9", or "closed its
 * connection" if it is still there. */
static const char *card_end(struct vhost_dev *d, char *buf, size_t len)
{
	int status;

	for (int i = 0; i < 50; i++) {
		if (waitpid(d->card_pid, &status, WNOHANG) == d->card_pid) {
			d->card_pid = 0;
			if (WIFSIGNALED(status))
				snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
			else
				snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
			return buf;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
	}
	return "closed its connection";
}

/* Ends a card that outlived its socket: SIGTERM, a second to go, then
 * SIGKILL; always reaped. */
static void reap_card(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void hangup_ready(struct event_handler *h, uint32_t events)
{
	struct vhost_dev *d = h->arg;

	(void)events;
	event_loop_del(&d->vm->loop, h);
	h->fd = -1;
	__atomic_store_n(&d->dead, true, __ATOMIC_RELEASE);
	char how[64];
	if (d->card_pid)
		log_error("%s: the card %s", d->name, card_end(d, how, sizeof(how)));
	else
		log_error("%s: vhost-user back-end hung up", d->name);
	log_error("%s: device marked as needing reset; the guest's I/O on it fails, "
		  "the VM keeps running", d->name);
	virtio_dev_set_needs_reset(d->vd);
}

/* The page a card azote starts keeps its counters in (iface/card_stats.h):
 * azote maps it read-only. Returns the memfd to hand over, or -1. */
static int create_stats(struct vhost_dev *d, struct azerr *e)
{
	int fd = memfd_create("azote-card-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct card_stats *s;

	if (fd < 0 || ftruncate(fd, CARD_STATS_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	s = mmap(NULL, CARD_STATS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		goto fail;
	s->magic = CARD_STATS_MAGIC;
	/* From now on only the card writes; azote only reads. */
	if (mprotect(s, CARD_STATS_SIZE, PROT_READ) < 0) {
		munmap(s, CARD_STATS_SIZE);
		goto fail;
	}
	d->stats = s;
	return fd;
fail:
	azerr_set(e, "%s: cannot create the card's stats page: %s", d->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The card programs live next to azote's own executable. Without /proc
 * (azote-jailer's chroot has none) the path azote was started by says
 * where that is. */
static int card_path(const char *kind, char *buf, size_t len, struct azerr *e)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0 && errno == ENOENT && strchr(program_invocation_name, '/'))
		n = snprintf(self, sizeof(self), "%s", program_invocation_name);
	if (n < 0 || (size_t)n >= sizeof(self))
		return azerr_set(e, "cannot find azote's own path: %s", strerror(errno));
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/azote-card-%s", self, kind) >= len)
		return azerr_set(e, "card path for azote-card-%s is too long", kind);
	if (access(buf, X_OK) < 0)
		return azerr_set(e, "card program %s: %s", buf, strerror(errno));
	return 0;
}

/* The card's command line: its program, its own options (the kind's
 * card_args), then those every card takes (cards/card_opts.h). */
static int card_command(struct vhost_dev *d, const void *dev, struct card_argv *a,
			struct azerr *e)
{
	const struct jail_identity *user = vmm_sandbox_card_user();
	char path[4200], userbuf[JAIL_IDENTITY_STR_LEN];

	if (card_path(d->kind->name, path, sizeof(path), e) < 0)
		return -1;
	card_argv_init(a);
	card_argv_add(a, path);
	d->kind->card_args(dev, a);
	/* azote's --seccomp / --no-seccomp holds for its cards too, and its
	 * log level (--log-level, --level, PUT /logger) when not the cards'
	 * default, so that what a user asks azote to say its cards say. */
	card_argv_opt(a, CARD_OPT_SECCOMP, jail_seccomp_name(vmm_sandbox_mode()));
	if (log_get_level() != CARD_LOG_LEVEL)
		card_argv_opt(a, CARD_OPT_LOG_LEVEL, log_level_name(log_get_level()));
	if (user)
		card_argv_opt(a, CARD_OPT_USER, jail_identity_format(user, userbuf));
	card_argv_opt_u(a, CARD_OPT_FD, CARD_SOCKET_FD);
	card_argv_opt_u(a, CARD_OPT_STATS_FD, CARD_STATS_FD);
	card_argv_opt_u(a, CARD_OPT_CONTROL_FD, CARD_CONTROL_FD);
	/* A lazy restore: the card serves the faults on its own mapping of
	 * guest RAM from the memory file, or through azote from the
	 * page-fault handler (vmm/lazy_mem.h). */
	bool lazy = d->vm->lazy.file_fd >= 0 || d->vm->lazy.handler_fd >= 0;
	if (lazy)
		card_argv_opt_u(a, d->vm->lazy.file_fd >= 0 ? CARD_OPT_LAZY_MEM_FD :
				CARD_OPT_PAGE_RELAY_FD, CARD_LAZY_MEM_FD);
	if (lazy && d->vm->lazy.uffd_dev_fd >= 0)
		card_argv_opt_u(a, CARD_OPT_UFFD_DEV_FD, CARD_UFFD_DEV_FD);
	return card_argv_done(a, e);
}

static int enter_relay_sandbox(struct azerr *e)
{
	return vmm_sandbox_enter(VMM_ROLE_RELAY, NULL, e);
}

/* On a restore from a page-fault handler (vmm/lazy_mem.h), the card's end
 * of its page relay, azote's end served from now on (d->relay); -1 with
 * e. */
static int start_relay(struct vhost_dev *d, struct azerr *e)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return azerr_set(e, "%s: page relay socketpair: %s", d->name, strerror(errno));
	d->relay = page_relay_start(&d->vm->mem, sv[0], d->vm->lazy.handler_pidfd,
				    enter_relay_sandbox, e);
	if (!d->relay) {
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* Starts the card for dev, serving the other end of a socketpair, with its
 * stats page, its control channel (iface/card_control.h) and, on a lazy
 * restore, the memory file or its page relay. */
static int start_card(struct vhost_dev *d, const void *dev, struct azerr *e)
{
	struct card_argv *a = malloc(sizeof(*a));
	int sock, extra[4] = { -1, -1, d->vm->lazy.file_fd, d->vm->lazy.uffd_dev_fd };
	int ctl[2] = { -1, -1 }, relay = -1;
	pid_t pid = -1;

	if (!a)
		return azerr_set(e, "%s: out of memory", d->name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		azerr_set(e, "%s: control socketpair: %s", d->name, strerror(errno));
	else if (card_command(d, dev, a, e) == 0 && (extra[0] = create_stats(d, e)) >= 0 &&
		 (d->vm->lazy.handler_fd < 0 || (extra[2] = relay = start_relay(d, e)) >= 0)) {
		extra[1] = ctl[1];
		pid = jail_spawn_card(a->argv, extra, 4, &sock, e);
	}
	if (extra[0] >= 0)
		close(extra[0]);
	if (ctl[1] >= 0)
		close(ctl[1]);
	if (relay >= 0)
		close(relay);
	free(a);
	if (pid < 0) {
		if (ctl[0] >= 0)
			close(ctl[0]);
		return -1;
	}
	d->ctl_fd = ctl[0];
	d->card_pid = pid;
	return vu_fe_attach(&d->fe, sock, d->name, VHOST_TIMEOUT_MS, e);
}

/* Puts the device on the guest's bus through its transport. */
static int place(struct vhost_dev *d, const struct virtio_dev_params *dp,
		 const struct vhost_dev_place *at, struct azerr *e)
{
	d->transport = at->transport;
	if (at->transport == VM_TRANSPORT_MMIO) {
		struct virtio_mmio_params mp = {
			.dev = *dp, .bus = &d->vm->mmio, .base = at->mmio_base, .gsi = at->gsi,
			.host = &kvm_virtio_mmio_host_ops, .host_ctx = d->vm,
		};
		if (virtio_mmio_init(&d->t.mmio, &mp, e) < 0)
			return -1;
		d->vd = &d->t.mmio.vd;
		return 0;
	}
	struct virtio_pci_params pp = {
		.dev = *dp, .class_code = d->kind->pci_class,
		.host = &kvm_virtio_pci_host_ops, .msix_host = &kvm_msix_host_ops,
		.host_ctx = d->vm,
	};
	if (virtio_pci_init(&d->t.pci, &pp, e) < 0)
		return -1;
	d->vd = &d->t.pci.vd;
	return pci_register(&d->vm->pci, &d->t.pci.pci, -1, e);
}

int vhost_dev_create(struct vhost_dev *d, struct vm *vm, const struct device_kind *k,
		     const void *dev, const struct vhost_dev_place *at, struct azerr *e)
{
	const char *socket = vm_device_socket(k->list, dev);
	unsigned nr_queues;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->kind = k;
	d->fe.sock = -1;
	d->ctl_fd = -1;
	d->hangup.fd = -1;  /* not watched yet: destroy must not unwatch fd 0 */
	snprintf(d->name, sizeof(d->name), "virtio-%s %s", k->name, vm_device_id(k->list, dev));
	if (socket) {
		if (vu_fe_connect(&d->fe, socket, VHOST_TIMEOUT_MS, e) < 0)
			return -1;
	} else if (start_card(d, dev, e) < 0) {
		goto fail;
	}
	if (vu_fe_negotiate(&d->fe, wanted_protocol_features(d), e) < 0 ||
	    vu_fe_get_queue_num(&d->fe, &nr_queues, e) < 0) {
		/* A card that cannot start says why on stderr and exits;
		 * that, not the broken socket, is the news. */
		char how[64];
		if (d->card_pid && strcmp(card_end(d, how, sizeof(how)), "closed its connection"))
			azerr_set(e, "%s: the card %s at start-up (its message is above)",
				  d->name, how);
		goto fail;
	}
	/* A kind without a configuration space (virtio-rng) asks for none. */
	d->config_size = k->config_size;
	if (d->config_size &&
	    !(d->fe.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))) {
		azerr_set(e, "%s: the back-end does not offer its configuration space "
			  "(VHOST_USER_PROTOCOL_F_CONFIG)", d->name);
		goto fail;
	}
	if (d->config_size && vu_fe_get_config(&d->fe, 0, d->config, d->config_size, e) < 0)
		goto fail;
	uint64_t features = d->fe.features;
	nr_queues = k->layout(d, dev, nr_queues, &features);
	if (nr_queues > VIRTIO_MAX_QUEUES)
		nr_queues = VIRTIO_MAX_QUEUES;
	struct virtio_dev_params dp = {
		.name = d->name, .device_id = k->virtio_id, .device_features = features,
		.nr_queues = nr_queues, .queue_max_size = QUEUE_MAX_SIZE,
		.config_size = d->config_size, .ops = &vhost_ops, .ops_ctx = d,
	};
	if (place(d, &dp, at, e) < 0)
		goto fail;
	d->hangup = (struct event_handler){
		.fd = vu_fe_fd(&d->fe), .ready = hangup_ready, .arg = d,
	};
	if (event_loop_add(&vm->loop, &d->hangup, EPOLLRDHUP) < 0) {
		d->hangup.fd = -1;
		azerr_set(e, "%s: cannot watch the back-end: %s", d->name, strerror(errno));
		goto fail;
	}
	log_info("%s: %u queue(s), features 0x%llx", d->name, nr_queues,
		 (unsigned long long)features);
	/* The VM runs all the same; only a Diff snapshot is refused once
	 * this device's rings have run (wrote_unlogged). */
	if (vm->dirty.fd >= 0 && !can_log(d))
		log_warn("%s: its vhost-user back-end cannot log the guest memory it "
			 "writes (VHOST_F_LOG_ALL with the LOG_SHMFD protocol feature): "
			 "no Diff snapshot of this VM once the device has run", d->name);
	return 0;
fail:
	vhost_dev_destroy(d);
	return -1;
}

void vhost_dev_destroy(struct vhost_dev *d)
{
	if (d->vd && d->transport == VM_TRANSPORT_MMIO)
		virtio_mmio_destroy(&d->t.mmio);
	else if (d->vd)
		virtio_pci_destroy(&d->t.pci);
	d->vd = NULL;
	if (d->hangup.fd >= 0)
		event_loop_del(&d->vm->loop, &d->hangup);
	d->hangup.fd = -1;
	if (d->fe.sock >= 0)
		vu_fe_close(&d->fe);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	d->ctl_fd = -1;
	if (d->card_pid > 0)
		reap_card(d->card_pid);
	d->card_pid = 0;
	/* The card is gone: its relay reads the end of the stream. */
	if (d->relay)
		log_info("%s: %llu pages relayed to the page-fault handler", d->name,
			 (unsigned long long)page_relay_stop(d->relay));
	d->relay = NULL;
	if (d->stats)
		munmap((void *)d->stats, CARD_STATS_SIZE);
	d->stats = NULL;
}
