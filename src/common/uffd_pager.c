/* Lazy loading with userfaultfd: see uffd_pager.h. */
#include "common/uffd_pager.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/log.h"

int uffd_ranges_add(struct uffd_ranges *t, uint64_t start, uint64_t len, uint64_t off,
		    uint64_t file_size, uint64_t page, struct azerr *e)
{
	if (!page || page & (page - 1) || page > UFFD_PAGER_MAX_PAGE)
		return azerr_set(e, "mapping 0x%llx: a page of %llu bytes", (unsigned long long)start,
				 (unsigned long long)page);
	if (!len || (start | len | off) & (page - 1))
		return azerr_set(e, "mapping 0x%llx+0x%llx at offset 0x%llx: empty or not "
				 "page-aligned", (unsigned long long)start,
				 (unsigned long long)len, (unsigned long long)off);
	if (start + len < start || off + len < off || off + len > file_size)
		return azerr_set(e, "mapping 0x%llx+0x%llx at offset 0x%llx: outside the "
				 "0x%llx bytes of guest RAM", (unsigned long long)start,
				 (unsigned long long)len, (unsigned long long)off,
				 (unsigned long long)file_size);
	for (unsigned i = 0; i < t->nr; i++)
		if (start < t->r[i].start + t->r[i].len && t->r[i].start < start + len)
			return azerr_set(e, "mapping 0x%llx+0x%llx overlaps one registered "
					 "before", (unsigned long long)start,
					 (unsigned long long)len);
	if (t->nr == UFFD_PAGER_MAX_RANGES)
		return azerr_set(e, "more than %d mappings to serve", UFFD_PAGER_MAX_RANGES);
	t->r[t->nr++] = (struct uffd_range){ .start = start, .len = len, .off = off, .page = page };
	return 0;
}

bool uffd_ranges_remove(struct uffd_ranges *t, uint64_t start)
{
	for (unsigned i = 0; i < t->nr; i++)
		if (t->r[i].start == start) {
			t->r[i] = t->r[--t->nr];
			return true;
		}
	return false;
}

const struct uffd_range *uffd_ranges_find(const struct uffd_ranges *t, uint64_t addr,
					  uint64_t *page_addr, uint64_t *off)
{
	for (unsigned i = 0; i < t->nr; i++) {
		const struct uffd_range *r = &t->r[i];
		if (addr < r->start || addr - r->start >= r->len)
			continue;
		uint64_t at = (addr - r->start) & ~(r->page - 1);
		*page_addr = r->start + at;
		*off = r->off + at;
		return r;
	}
	return NULL;
}

int uffd_open(int dev_fd, uint64_t features, struct azerr *e)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	int fd = dev_fd >= 0 ? ioctl(dev_fd, USERFAULTFD_IOC_NEW, flags)
			     : (int)syscall(SYS_userfaultfd, flags);

	if (fd < 0)
		return azerr_set(e, "userfaultfd: %s", strerror(errno));
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return azerr_set(e, "UFFDIO_API (features 0x%llx): %s",
				 (unsigned long long)features, strerror(err));
	}
	if (!(api.features & UFFD_FEATURE_MISSING_SHMEM)) {
		close(fd);
		errno = ENOSYS;
		return azerr_set(e, "this kernel's userfaultfd cannot serve shared memory");
	}
	return fd;
}

/* What a prefetch copies in one go between two looks at the faults: small
 * enough that a fault waits little behind it. */
#define PREFETCH_CHUNK (256u << 10)
/* The prefetch's buffer: a chunk, or one page where pages are larger. */
#define PREFETCH_BUF UFFD_PAGER_MAX_PAGE
_Static_assert(PREFETCH_BUF >= PREFETCH_CHUNK, "a chunk fits the prefetch's buffer");

struct uffd_pager {
	int uffd;
	int wake_fd;                /* eventfd: prefetch, finish or stop asked for */
	int loaded_fd;              /* eventfd: written once loaded */
	atomic_bool stopping, prefetch_asked, finish_asked, loaded;
	struct uffd_source src;
	uint64_t host_page;         /* the host's normal page size */
	int (*on_start)(struct azerr *e);
	pthread_t thread;
	sem_t running;              /* posted once the thread runs its own code */
	/* ranges and their registration: the pager reads them, the owner
	 * changes them; once loaded is set under it nothing is registered */
	pthread_mutex_t lock;
	struct uffd_ranges ranges;
	atomic_uint_least64_t copied;
	uint8_t *buf;               /* one page (of the largest size), read from the file */
	/* The prefetch, the thread's own: where it stands (range index, offset
	 * in that range), its buffer, and the pages it copied. */
	unsigned pf_range;
	uint64_t pf_pos, prefetched;
	uint8_t *chunk;
};

/* Wakes whatever faulted on [addr, addr+len): the page is there. */
static void wake(const struct uffd_pager *p, uint64_t addr, uint64_t len)
{
	struct uffdio_range r = { .start = addr, .len = len };

	if (ioctl(p->uffd, UFFDIO_WAKE, &r) < 0)
		log_warn("userfaultfd: UFFDIO_WAKE at 0x%llx: %s",
			 (unsigned long long)addr, strerror(errno));
}

/* The source's hook could not put the page at memfd offset off in place
 * (azote's relay refused it or hung up, the page-fault handler behind it
 * being gone or broken): nothing ever will. Leaving the fault pending
 * would block the thread that touched the page for good, and with it
 * whatever waits for that thread (a card's ring worker, which the
 * vhost-user GET_VRING_BASE of the next snapshot or reset waits for);
 * waking it would only fault again, and a page of zeroes in its place
 * would be a wrong guest. So the process ends at once, saying why: the
 * one who started it sees that (azote: the card's socket hangs up, the
 * device needs a reset, a stop fails at once instead of hanging). */
static _Noreturn void place_failed(uint64_t off)
{
	log_error("userfaultfd pager: the page at 0x%llx of guest RAM cannot be put in place "
		  "(above): this process cannot go on without it and ends",
		  (unsigned long long)off);
	_exit(UFFD_PAGER_EXIT_LOST_PAGE);
}

/* One missing page at addr: from the file into the memfd, or placed by
 * the source's hook, then woken. */
static void serve(struct uffd_pager *p, uint64_t addr)
{
	uint64_t at, off;

	pthread_mutex_lock(&p->lock);
	const struct uffd_range *r = uffd_ranges_find(&p->ranges, addr, &at, &off);
	uint64_t page = r ? r->page : p->host_page;
	pthread_mutex_unlock(&p->lock);
	if (!r) {
		/* A mapping forgotten while a fault on it was pending: it is
		 * being unmapped, the faulting thread will find it gone. */
		wake(p, addr & ~(page - 1), page);
		return;
	}
	if (p->src.file_fd < 0) {
		if (p->src.place(p->src.arg, off) < 0)
			place_failed(off);
		wake(p, at, page);
		atomic_fetch_add(&p->copied, 1);
		return;
	}
	ssize_t n = pread_full(p->src.file_fd, p->buf, (size_t)page, (off_t)off);
	if (n != (ssize_t)page) {
		/* The file was checked at its size; one that shrank since
		 * reads as zeroes past its end rather than hang the guest. */
		log_warn("guest memory file: read at 0x%llx: %s", (unsigned long long)off,
			 n < 0 ? strerror(errno) : "the file shrank");
		size_t got = n > 0 ? (size_t)n : 0;
		memset(p->buf + got, 0, (size_t)page - got);
	}
	struct uffdio_copy c = { .dst = at, .src = (uintptr_t)p->buf, .len = page };
	while (ioctl(p->uffd, UFFDIO_COPY, &c) < 0) {
		if (errno == EEXIST) {
			wake(p, at, page);
			return;
		}
		if (errno != EAGAIN) {
			log_warn("userfaultfd: UFFDIO_COPY at 0x%llx: %s",
				 (unsigned long long)at, strerror(errno));
			return;
		}
		c.copy = 0;
	}
	atomic_fetch_add(&p->copied, 1);
}

/* Copies [off, off+len) of the file to the mapping at dst, a page that is
 * there already skipped (the guest or another process faulted it in).
 * -1 on an error other than that. */
static int prefetch_copy(struct uffd_pager *p, uint64_t dst, uint64_t off, uint64_t len,
			 uint64_t page)
{
	ssize_t n = pread_full(p->src.file_fd, p->chunk, (size_t)len, (off_t)off);
	if (n < 0) {
		log_warn("guest memory file: read at 0x%llx: %s", (unsigned long long)off,
			 strerror(errno));
		return -1;
	}
	/* As in serve(): a file that shrank since it was checked reads as
	 * zeroes past its end. */
	memset(p->chunk + n, 0, (size_t)(len - (uint64_t)n));
	for (uint64_t done = 0; done < len;) {
		struct uffdio_copy c = { .dst = dst + done, .src = (uintptr_t)(p->chunk + done),
					 .len = len - done };
		int r = ioctl(p->uffd, UFFDIO_COPY, &c);
		/* c.copy: the bytes copied before it stopped, or an error. */
		uint64_t moved = c.copy > 0 ? (uint64_t)c.copy : 0;
		p->prefetched += moved / page;
		atomic_fetch_add(&p->copied, moved / page);
		done += moved;
		if (r == 0 || errno == EAGAIN)
			continue;
		if (errno != EEXIST) {
			log_warn("userfaultfd: UFFDIO_COPY at 0x%llx: %s",
				 (unsigned long long)(dst + done), strerror(errno));
			return -1;
		}
		done += page;
	}
	return 0;
}

/* Every page of the file is in the memfd (this pager's prefetch put it
 * there, or another process's): the ranges are unregistered (a fault
 * waiting on one is woken by it and finds its page; what a later fault
 * finds missing is a hole of the file, which the memfd fills with zeroes
 * as the file reads), none is registered from now on, and the pager has
 * nothing left to do. */
static void loaded(struct uffd_pager *p)
{
	uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->ranges.nr; i++) {
		struct uffdio_range r = { .start = p->ranges.r[i].start, .len = p->ranges.r[i].len };
		if (ioctl(p->uffd, UFFDIO_UNREGISTER, &r) < 0)
			log_warn("userfaultfd: UFFDIO_UNREGISTER at 0x%llx: %s",
				 (unsigned long long)r.start, strerror(errno));
	}
	atomic_store(&p->loaded, true);
	pthread_mutex_unlock(&p->lock);
	uint64_t faulted = atomic_load(&p->copied) - p->prefetched;
	if (atomic_load(&p->finish_asked))
		log_info("guest memory loaded by another process: %llu pages on fault "
			 "here; this pager ends", (unsigned long long)faulted);
	else
		log_info("guest memory loaded: %llu pages on fault, %llu prefetched; "
			 "its pager ends", (unsigned long long)faulted,
			 (unsigned long long)p->prefetched);
	if (write(p->loaded_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("userfaultfd pager: cannot say it has loaded everything: %s",
			 strerror(errno));
}

/* One step of the prefetch: the next stretch of data in the file (its
 * holes skipped: SEEK_DATA), at most PREFETCH_CHUNK or one page. 1 once there is
 * nothing left, -1 when it had to give up (faults are still served). */
static int prefetch_step(struct uffd_pager *p)
{
	pthread_mutex_lock(&p->lock);
	bool more = p->pf_range < p->ranges.nr;
	struct uffd_range r = more ? p->ranges.r[p->pf_range] : (struct uffd_range){ 0 };
	pthread_mutex_unlock(&p->lock);
	if (!more) {
		loaded(p);
		return 1;
	}
	off_t data = lseek(p->src.file_fd, (off_t)(r.off + p->pf_pos), SEEK_DATA);
	if (data < 0 && errno != ENXIO) {
		log_warn("guest memory file: SEEK_DATA: %s", strerror(errno));
		return -1;
	}
	/* ENXIO: no data after it, the rest is a hole. */
	uint64_t from = data < 0 ? r.off + r.len : (uint64_t)data & ~(r.page - 1);
	if (from >= r.off + r.len) {
		p->pf_range++;
		p->pf_pos = 0;
		return 0;
	}
	off_t hole = lseek(p->src.file_fd, (off_t)from, SEEK_HOLE);
	uint64_t chunk = r.page > PREFETCH_CHUNK ? r.page : PREFETCH_CHUNK;
	uint64_t end = r.off + r.len - from > chunk ? from + chunk : r.off + r.len;
	if (hole > 0 && (uint64_t)hole < end)
		end = ((uint64_t)hole + r.page - 1) & ~(r.page - 1);
	if (prefetch_copy(p, r.start + (from - r.off), from, end - from, r.page) < 0)
		return -1;
	p->pf_pos = end - r.off;
	return 0;
}

static void *run(void *arg)
{
	struct uffd_pager *p = arg;
	bool prefetching = false;
	struct azerr e;

	int started = p->on_start ? p->on_start(&e) : 0;

	sem_post(&p->running);
	if (started < 0) {
		log_error("userfaultfd pager: %s", e.msg);
		return NULL;
	}
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = p->uffd, .events = POLLIN }, { .fd = p->wake_fd, .events = POLLIN },
		};
		/* Faults first: the prefetch goes on only while none waits. */
		int ready = poll(fds, 2, prefetching ? 0 : -1);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			log_error("userfaultfd pager: poll: %s", strerror(errno));
			return NULL;
		}
		if (fds[1].revents) {
			uint64_t v;
			(void)!read(p->wake_fd, &v, sizeof(v));
			if (atomic_load(&p->stopping))
				return NULL;
			if (atomic_load(&p->finish_asked)) {
				loaded(p);
				return NULL;
			}
			prefetching = atomic_load(&p->prefetch_asked);
		}
		if (!fds[0].revents) {
			int r = prefetching ? prefetch_step(p) : 0;
			if (r > 0)
				return NULL;
			prefetching = r == 0 && prefetching;
			continue;
		}
		struct uffd_msg msg[16];
		ssize_t n = read(p->uffd, msg, sizeof(msg));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			log_error("userfaultfd pager: read: %s", strerror(errno));
			return NULL;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(msg[0]); i++)
			if (msg[i].event == UFFD_EVENT_PAGEFAULT)
				serve(p, msg[i].arg.pagefault.address);
	}
}

struct uffd_pager *uffd_pager_start(int uffd, const struct uffd_source *src,
				    int (*on_start)(struct azerr *e), struct azerr *e)
{
	struct uffd_pager *p = calloc(1, sizeof(*p));
	long page = sysconf(_SC_PAGESIZE);

	if (!p) {
		close(uffd);
		azerr_set(e, "out of memory for the userfaultfd pager");
		return NULL;
	}
	*p = (struct uffd_pager){ .uffd = uffd, .src = *src, .host_page = (uint64_t)page,
				  .on_start = on_start };
	pthread_mutex_init(&p->lock, NULL);
	sem_init(&p->running, 0, 0);
	/* Only the part a fault reads is ever touched: 4 KiB of it unless a
	 * mapping has huge pages. */
	p->buf = malloc(UFFD_PAGER_MAX_PAGE);
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->loaded_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int err = 0;
	if (!p->buf || p->wake_fd < 0 || p->loaded_fd < 0 ||
	    (err = pthread_create(&p->thread, NULL, run, p))) {
		azerr_set(e, "cannot start the userfaultfd pager: %s",
			  err ? strerror(err) : strerror(errno));
		if (p->wake_fd >= 0)
			close(p->wake_fd);
		if (p->loaded_fd >= 0)
			close(p->loaded_fd);
		free(p->buf);
		close(uffd);
		free(p);
		return NULL;
	}
	pthread_setname_np(p->thread, "uffd-pager");
	/* Its start-up over (the C library's system calls as a thread begins:
	 * rseq, the robust list; then on_start) before it returns: a card
	 * applies its seccomp filter to every thread at once (TSYNC) next,
	 * and a thread still starting then was killed by it (SIGSYS), with
	 * its process. */
	while (sem_wait(&p->running) < 0 && errno == EINTR)
		;
	return p;
}

int uffd_pager_add(struct uffd_pager *p, void *addr, uint64_t len, uint64_t off,
		   uint64_t page, struct azerr *e)
{
	uint64_t start = (uintptr_t)addr;
	struct uffdio_register reg = {
		.range = { .start = start, .len = len }, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int ret = 0;

	/* Under the lock: a range registered after the pager ended would
	 * leave its faults waiting for no one. */
	pthread_mutex_lock(&p->lock);
	if (atomic_load(&p->loaded))
		goto out;
	if ((ret = uffd_ranges_add(&p->ranges, start, len, off, p->src.size, page, e)) < 0)
		goto out;
	if ((ret = ioctl(p->uffd, UFFDIO_REGISTER, &reg)) < 0) {
		azerr_set(e, "cannot register guest RAM at 0x%llx with userfaultfd: %s",
			  (unsigned long long)start, strerror(errno));
		uffd_ranges_remove(&p->ranges, start);
	}
out:
	pthread_mutex_unlock(&p->lock);
	return ret < 0 ? -1 : 0;
}

void uffd_pager_remove(struct uffd_pager *p, void *addr)
{
	pthread_mutex_lock(&p->lock);
	uffd_ranges_remove(&p->ranges, (uintptr_t)addr);
	pthread_mutex_unlock(&p->lock);
}

static int wake_thread(struct uffd_pager *p)
{
	uint64_t one = 1;

	return write(p->wake_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

int uffd_pager_prefetch(struct uffd_pager *p, struct azerr *e)
{
	if (p->src.file_fd < 0)
		return azerr_set(e, "the pages come from a page-fault handler, which "
				 "prefetches them if it will");
	if (!p->chunk && !(p->chunk = malloc(PREFETCH_BUF)))
		return azerr_set(e, "out of memory for the prefetch's buffer");
	atomic_store(&p->prefetch_asked, true);
	if (wake_thread(p) < 0)
		return azerr_set(e, "cannot wake the userfaultfd pager: %s", strerror(errno));
	return 0;
}

int uffd_pager_finish(struct uffd_pager *p, struct azerr *e)
{
	if (p->src.file_fd < 0)
		return azerr_set(e, "the pages come from a page-fault handler, which no "
				 "prefetch here has loaded");
	atomic_store(&p->finish_asked, true);
	if (wake_thread(p) < 0)
		return azerr_set(e, "cannot wake the userfaultfd pager: %s", strerror(errno));
	return 0;
}

bool uffd_pager_loaded(const struct uffd_pager *p)
{
	return atomic_load(&p->loaded);
}

int uffd_pager_loaded_fd(const struct uffd_pager *p)
{
	return p->loaded_fd;
}

uint64_t uffd_pager_stop(struct uffd_pager *p)
{
	if (!p)
		return 0;
	atomic_store(&p->stopping, true);
	if (wake_thread(p) == 0)
		pthread_join(p->thread, NULL);
	uint64_t copied = atomic_load(&p->copied);
	close(p->wake_fd);
	close(p->loaded_fd);
	close(p->uffd);
	pthread_mutex_destroy(&p->lock);
	sem_destroy(&p->running);
	free(p->chunk);
	free(p->buf);
	free(p);
	return copied;
}
