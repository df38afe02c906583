/* The main thread while the VM runs: the event loop (console, signals,
 * devices, the end of a lazy restore's prefetch) until the VM stops. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/uffd_pager.h"
#include "vmm/card_update.h"
#include "vmm/console.h"
#include "vmm/vm.h"

static void stop_ready(struct event_handler *h, uint32_t events)
{
	uint64_t cnt;

	(void)events;
	/* The loop condition sees the state; just drain the eventfd. */
	if (read(h->fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		log_debug("stop eventfd: %s", strerror(errno));
}

static void signal_ready(struct event_handler *h, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(h->fd, &si, sizeof(si)) != sizeof(si))
		return;
	log_info("stopping the VM on signal %u", si.ssi_signo);
	vm_request_stop(h->arg, 128 + (int)si.ssi_signo);
}

/* A lazy restore's prefetch (--prefetch-mem) has put all of guest RAM in
 * the memfd and azote's pager has ended: the cards' pagers have nothing
 * left to serve either, so each card is told to end its own. */
static void mem_loaded_ready(struct event_handler *h, uint32_t events)
{
	struct vm *vm = h->arg;
	uint64_t cnt;

	(void)events;
	(void)!read(h->fd, &cnt, sizeof(cnt));
	event_loop_del(&vm->loop, h);
	for (unsigned i = 0; i < vm->nr_devs; i++) {
		struct azerr why;
		if (card_update_mem_loaded(&vm->devs[i], &why) < 0)
			log_warn("%s (its pager stays, idle)", why.msg);
	}
}

int vm_serve(struct vm *vm, int in_fd, int sig_fd, struct azerr *e)
{
	struct event_handler stop = { .fd = vm->stop_evfd, .ready = stop_ready, .arg = vm };
	struct event_handler sig = { .fd = sig_fd, .ready = signal_ready, .arg = vm };
	struct event_handler loaded = { .fd = -1, .ready = mem_loaded_ready, .arg = vm };
	struct console con;
	int ret = -1;

	if (vm->lazy.pager)
		loaded.fd = uffd_pager_loaded_fd(vm->lazy.pager);
	if (event_loop_add(&vm->loop, &stop, EPOLLIN) < 0 ||
	    event_loop_add(&vm->loop, &sig, EPOLLIN) < 0 ||
	    (loaded.fd >= 0 && event_loop_add(&vm->loop, &loaded, EPOLLIN) < 0)) {
		azerr_set(e, "cannot watch the VM's control fds: %s", strerror(errno));
		goto out;
	}
	/* With its output in a file (PUT /serial) COM1 takes no input, as
	 * Firecracker's. */
	if (vm->serial.fd < 0 &&
	    console_start(&con, &vm->loop, &vm->uart, in_fd, vm->uart_space_evfd, e) < 0)
		goto out;
	ret = 0;
	while (atomic_load(&vm->state) != VM_STOPPING) {
		if (event_loop_run_once(&vm->loop, -1, e) < 0) {
			ret = -1;
			break;
		}
	}
	if (vm->serial.fd < 0)
		console_stop(&con);
out:
	if (loaded.fd >= 0)
		event_loop_del(&vm->loop, &loaded);
	event_loop_del(&vm->loop, &stop);
	event_loop_del(&vm->loop, &sig);
	return ret;
}
