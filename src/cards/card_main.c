#include "cards/card_main.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cards/card.h"
#include "cards/page_relay.h"
#include "cards/vhost/server.h"
#include "common/log.h"
#include "common/uffd_pager.h"
#include "jail/confine.h"

/* What card_main carries from one step to the next. */
struct card_run {
	const struct card_kind *k;
	const struct card_opts *o;  /* the common options, inside the card's */
	struct card_stats *stats;   /* azote's counters page, or NULL */
	struct uffd_pager *pager;   /* a lazy restore's, or NULL */
	int listen_fd;              /* --socket's, or -1 */
	bool opened;                /* k->open succeeded: k->destroy closes it */
	bool created;               /* k->create was called: workers may run */
	sem_t control_running;      /* the control thread's start-up is over */
	struct azerr e;
};

/* The command line: -1 to go on, or the status to exit with at once. */
static int parse(struct card_run *r, int argc, char **argv)
{
	switch (r->k->parse(argc, argv, r->k->card, &r->o, &r->e)) {
	case CARD_OPTS_HELP:
		r->k->usage(stdout);
		return CARD_EXIT_OK;
	case CARD_OPTS_ERROR:
		/* One line naming the fault, as azote refuses: the whole usage
		 * after it would bury it in a log. */
		log_error("%s (see --help)", r->e.msg);
		return CARD_EXIT_USAGE;
	case CARD_OPTS_RUN:
		break;
	}
	log_set_level(r->o->log_level);
	return -1;
}

/* Everything the card needs from the filesystem, then confinement, so
 * that a confined card has no path left to open. */
static int prepare(struct card_run *r)
{
	const struct card_opts *o = r->o;

	if (card_start(o, &r->stats, &r->e))
		return -1;
	if (r->k->open && r->k->open(r->k->card, &r->e))
		return -1;
	r->opened = r->k->open != NULL;
	if (o->socket && (r->listen_fd = vu_server_listen(o->socket, &r->e)) < 0)
		return -1;
	/* Everything from the filesystem is open; the workers not started. */
	if (o->confine && jail_confine(&o->user, &r->e))
		return -1;
	return 0;
}

/* MEM_LOADED: the pager serving this card's faults from the memory file
 * ends, every page being in the memfd (uffd_pager_finish refuses a pager
 * fed by a page relay). */
static int mem_loaded(const struct card_run *r, struct azerr *e)
{
	if (!r->pager)
		return azerr_set(e, "guest RAM is not being loaded lazily here");
	return uffd_pager_finish(r->pager, e);
}

/* One control request: SET_LIMITS and MEM_LOADED for every card, the
 * rest the card's. */
static int control_one(const struct card_run *r, const struct card_ctl_req *req,
		       const int *fds, unsigned nr_fds, struct card_ctl_reply *rep,
		       struct azerr *e)
{
	const struct card_kind *k = r->k;
	struct rate_limiter rl[2];
	bool given[2];

	if (req->op != CARD_CTL_SET_LIMITS && req->op != CARD_CTL_MEM_LOADED && k->control)
		return k->control(k->card, req, fds, nr_fds, rep, e);
	for (unsigned i = 0; i < nr_fds; i++)
		close(fds[i]);
	if (req->op == CARD_CTL_MEM_LOADED)
		return nr_fds ? azerr_set(e, "MEM_LOADED with %u fds", nr_fds) : mem_loaded(r, e);
	if (req->op != CARD_CTL_SET_LIMITS)
		return azerr_set(e, "%s takes no control request %u", k->name, req->op);
	if (card_ctl_limits(req, k->nr_limiters, rl, given, e) < 0)
		return -1;
	for (unsigned i = 0; i < k->nr_limiters; i++)
		if (given[i])
			card_limiter_set(k->limiters[i], &rl[i]);
	log_info("rate limits replaced by azote");
	return 0;
}

/* The control thread: azote's requests, one at a time, each answered.
 * It ends when azote closes the channel (the vhost-user hang-up ends the
 * card) or when an answer cannot be sent. */
static void *control(void *arg)
{
	const struct card_run *r = arg;
	int fd = r->o->control_fd;

	pthread_setname_np(pthread_self(), "card-ctl");
	sem_post(&((struct card_run *)arg)->control_running);
	for (;;) {
		struct card_ctl_req req;
		struct card_ctl_reply rep = { 0 };
		int fds[CARD_CTL_MAX_FDS];
		unsigned nr_fds;
		struct azerr e;
		int got = card_ctl_recv(fd, &req, fds, &nr_fds, &e);

		if (got == 0)
			return NULL;
		if (got < 0 || control_one(r, &req, fds, nr_fds, &rep, &e) < 0) {
			rep.status = got < 0 ? EPROTO : EINVAL;
			snprintf(rep.msg, sizeof(rep.msg), "%.*s", (int)sizeof(rep.msg) - 1, e.msg);
			log_warn("control: %s", e.msg);
		}
		if (card_ctl_send_reply(fd, &rep) < 0)
			return NULL;
	}
}

/* Where a lazy restore's pages come from (common/uffd_pager.h): the
 * memory file, or azote's page relay. 1 when this is no lazy restore. */
static int page_source(const struct card_opts *o, struct uffd_source *src, struct azerr *e)
{
	struct stat st;
	int type;
	socklen_t len = sizeof(type);

	*src = (struct uffd_source){ .file_fd = o->lazy_mem_fd, .place = card_page_relay_place,
				     .arg = (void *)(intptr_t)o->page_relay_fd, .size = UINT64_MAX };
	if (o->page_relay_fd >= 0) {
		if (getsockopt(o->page_relay_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_SEQPACKET)
			return azerr_set(e, "--%s %d is not a SOCK_SEQPACKET socket",
					 CARD_OPT_PAGE_RELAY_FD, o->page_relay_fd);
		return 0;
	}
	if (o->lazy_mem_fd < 0)
		return 1;
	if (fstat(o->lazy_mem_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return azerr_set(e, "--%s %d is not a regular file", CARD_OPT_LAZY_MEM_FD,
				 o->lazy_mem_fd);
	src->size = (uint64_t)st.st_size;
	return 0;
}

/* On a lazy restore, the pager that serves this card's mapping of guest
 * RAM from the memory file or through azote (common/uffd_pager.h),
 * started before the filter like every other thread, and handed to the
 * vhost-user back-end, which registers each region it maps. Without it a
 * page the card touched before it was loaded would be a fresh page of
 * zeroes in the memfd, the guest's data lost: so a card that cannot make
 * a userfaultfd fails. */
static int start_pager(struct card_run *r, struct azerr *e)
{
	const struct card_opts *o = r->o;
	struct uffd_source src;
	int lazy = page_source(o, &src, e);
	int uffd = lazy ? -1 : uffd_open(o->uffd_dev_fd, 0, e);

	/* /dev/userfaultfd only opens the userfaultfd: not kept, lazy
	 * restore or not (the card holds only what it serves with). */
	if (o->uffd_dev_fd >= 0)
		close(o->uffd_dev_fd);
	if (lazy)
		return lazy < 0 ? -1 : 0;
	if (uffd < 0)
		return -1;
	if (!(r->pager = uffd_pager_start(uffd, &src, NULL, e)))
		return -1;
	vu_backend_set_pager(r->pager);
	log_info("guest RAM restored lazily: faults served %s", src.file_fd < 0 ?
		 "through azote's page relay" : "from the memory file");
	return 0;
}

/* What every card's filter adds to its own list:
 * - for a lazy restore (the pager above and the back-end's regions,
 *   common/uffd_pager.h): the pager reads the memory file and copies pages
 *   in or wakes a fault another process served, and unregisters every
 *   region once azote says all is loaded (CARD_CTL_MEM_LOADED); the
 *   vhost-user thread registers each region it maps (munmap unregisters);
 * - for the ring eventfds its front-end sends (vhost/backend.c,
 *   virtqueue.h): O_NONBLOCK set on each as it comes, and kicks read with
 *   RWF_NOWAIT. */
static const int card_wide_syscalls[] = { SYS_pread64, SYS_preadv2 };
static const struct jail_syscall_arg card_wide_args[] = {
	JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_REGISTER), JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_COPY),
	JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_WAKE), JAIL_ARG_EQ(SYS_ioctl, 1, UFFDIO_UNREGISTER),
	JAIL_ARG_EQ(SYS_fcntl, 1, F_GETFL), JAIL_ARG_EQ(SYS_fcntl, 1, F_SETFL),
};
static const struct jail_filter card_wide = {
	.syscalls = card_wide_syscalls,
	.nr_syscalls = sizeof(card_wide_syscalls) / sizeof(card_wide_syscalls[0]),
	.args = card_wide_args,
	.nr_args = sizeof(card_wide_args) / sizeof(card_wide_args[0]),
};

/* The workers, then one filter over every thread (TSYNC), and only then
 * the front-end: no vhost-user byte is read unfiltered. */
static int serve(struct card_run *r)
{
	const struct card_opts *o = r->o;
	const struct vu_device *dev;
	char what[1024]; /* as long as a log line's message: nothing more shows */
	unsigned rules;

	r->created = true;
	dev = r->k->create(r->k->card, r->stats, &r->e);
	if (!dev || start_pager(r, &r->e) < 0)
		return -1;
	/* Before the filter too, so that TSYNC covers it, and running: its
	 * start-up (rseq, its name) is over before the filter arrives. */
	if (o->control_fd >= 0) {
		pthread_t ctl;
		int err;

		sem_init(&r->control_running, 0, 0);
		if ((err = pthread_create(&ctl, NULL, control, r)))
			return azerr_set(&r->e, "cannot start the control thread: %s",
					 strerror(err));
		while (sem_wait(&r->control_running) < 0 && errno == EINTR)
			;
	}
	if (jail_seccomp_apply(o->seccomp, r->k->filter, &card_wide, &rules, &r->e))
		return -1;
	r->k->describe(r->k->card, what, sizeof(what));
	log_info("serving %s, seccomp: %u rules", what, rules);
	return vu_server_run(dev, o->fd, r->listen_fd, o->socket, &r->e);
}

/* Gives back what the card took. Once create was called, workers may be
 * counting into the stats page and serving from the resource: those stay
 * until the process ends, as the workers do. */
static void release(struct card_run *r)
{
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->created)
		return;
	if (r->opened)
		r->k->destroy(r->k->card);
	card_stop(r->stats);
}

int card_main(int argc, char **argv, const struct card_kind *k)
{
	struct card_run r = { .k = k, .listen_fd = -1 };
	int status;

	log_init(k->name, LOG_WARN);
	status = parse(&r, argc, argv);
	if (status >= 0)
		return status;
	if (prepare(&r) == 0 && serve(&r) == 0) {
		status = CARD_EXIT_OK;
	} else {
		log_error("%s", r.e.msg);
		status = CARD_EXIT_FAILED;
	}
	release(&r);
	return status;
}
