/* Lazy loading of a shared memfd by two processes, each serving its own
 * faults (common/uffd_pager.h), without KVM: what azote and a card do on
 * a snapshot's restore. A memory file of distinct pages; a memfd of its
 * size that both map; each registers its mapping with a userfaultfd of
 * its own and reads every page, the parent from the first, the child (the
 * "card") from the last, at once. Each page must read as the file's in
 * both, and be copied into the memfd exactly once between the two: a
 * page copied twice would mean one process saw a page missing that the
 * other had filled.
 *
 * With --prefetch, azote's --prefetch-mem: one process, a memory file with
 * a hole (pages never written), its pager asked to prefetch while a
 * thread reads the pages from the last back. Once the pager says it has
 * loaded everything, every data page must be in the memfd and no page of
 * the hole (mincore), every page must read as the file's (the hole's as
 * zeroes, with no pager left to serve them: an alarm ends a read that
 * hangs), and the pager must have copied each data page once. A second
 * pager on a second mapping (a card's, registered before the prefetch)
 * is then told all is loaded (uffd_pager_finish, as azote's
 * CARD_CTL_MEM_LOADED tells a card): it must end without copying a page,
 * its mapping must read right, and a mapping added to it afterwards must
 * not be registered (a read there would hang). A pager whose pages come
 * through a hook must refuse to be told so.
 *
 * With --huge, the first test on a memfd of 2 MiB hugetlbfs pages (guest
 * RAM with huge_pages "2M"), HUGE_PAGES of them, each pager loading whole
 * 2 MiB pages: the host's pool must have them free.
 *
 * Exit 0 on success, 1 with a line on failure, 77 when this host has no
 * userfaultfd for us (test skipped). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/uffd_pager.h"

#define PAGES 2048
/* --prefetch: pages [HOLE_FIRST, HOLE_END) are a hole of the file */
#define HOLE_FIRST 1000
#define HOLE_END   1300
/* --huge: pages of 2 MiB */
#define HUGE_PAGES 8

/* The pages of the memfd and the file: PAGES, or HUGE_PAGES with --huge. */
static unsigned npages = PAGES;

static atomic_bool slow_started;

/* A pager's on_start that takes its time. */
static int slow_start(struct azerr *e)
{
	(void)e;
	usleep(100000);
	atomic_store(&slow_started, true);
	return 0;
}

static long page;

/* Page i's bytes: i in every word, but every seventh page all zeroes (a
 * page the guest never wrote). */
static void fill(uint8_t *buf, unsigned i)
{
	for (long w = 0; w < page / 4; w++)
		((uint32_t *)(void *)buf)[w] = i % 7 ? i * 2654435761u + (uint32_t)w : 0;
}

static bool in_hole(unsigned i, bool holes)
{
	return holes && i >= HOLE_FIRST && i < HOLE_END;
}

/* Page i as the guest must read it. */
static void expect(uint8_t *buf, unsigned i, bool holes)
{
	if (in_hole(i, holes))
		memset(buf, 0, (size_t)page);
	else
		fill(buf, i);
}

/* Whether the npages pages at m read as the file's (first to last, or last
 * to first); says which does not. */
static bool reads_right(const uint8_t *m, bool holes, bool backward, const char *who)
{
	uint8_t *want = malloc((size_t)page);
	bool ok = want != NULL;

	for (unsigned k = 0; ok && k < npages; k++) {
		unsigned i = backward ? npages - 1 - k : k;
		expect(want, i, holes);
		if (memcmp(m + (size_t)i * (size_t)page, want, (size_t)page)) {
			fprintf(stderr, "uffd-share: %s: page %u differs from the file\n", who, i);
			ok = false;
		}
	}
	free(want);
	return ok;
}

/* Maps the memfd, serves its faults from the file and reads every page
 * (forward or backward); returns the pages this process copied in, or -1. */
static long reader(int memfd, int filefd, int backward)
{
	struct azerr e;
	int uffd = uffd_open(-1, 0, &e);
	if (uffd < 0) {
		fprintf(stderr, "uffd-share: %s\n", e.msg);
		exit(errno == EPERM || errno == ENOSYS ? 77 : 1);
	}
	uint8_t *m = mmap(NULL, npages * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  memfd, 0);
	struct uffd_pager *p = uffd_pager_start(uffd, &(struct uffd_source){ .file_fd = filefd,
							.size = npages * (uint64_t)page },
						NULL, &e);
	if (m == MAP_FAILED || !p ||
	    uffd_pager_add(p, m, npages * (uint64_t)page, 0, (uint64_t)page, &e) < 0) {
		fprintf(stderr, "uffd-share: %s\n", p ? e.msg : "set-up failed");
		return -1;
	}
	if (!reads_right(m, false, backward, backward ? "child" : "parent"))
		return -1;
	long copied = (long)uffd_pager_stop(p);
	munmap(m, npages * (size_t)page);
	return copied;
}

static void *read_backward(void *m)
{
	return reads_right(m, true, true, "the faulting thread") ? m : NULL;
}

/* Whether fd (an eventfd) is readable now. */
static bool readable(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, 0) == 1;
}

static int no_place(void *arg, uint64_t off)
{
	(void)arg;
	(void)off;
	return -1;
}

/* The card's side once azote's prefetch has loaded the memfd: its pager
 * card, serving the mapping m2 and idle so far, is told so and must end,
 * having copied nothing; m2 reads right, and a mapping added afterwards
 * is left unregistered. 0 or 1. */
static int card_finish(int memfd, size_t len, struct uffd_pager *card, uint8_t *m2)
{
	struct azerr e;

	if (readable(uffd_pager_loaded_fd(card)) || uffd_pager_finish(card, &e) < 0) {
		fprintf(stderr, "uffd-share: the card's pager: %s\n", uffd_pager_loaded(card) ?
			"loaded before it was told" : e.msg);
		return 1;
	}
	for (int ms = 0; !uffd_pager_loaded(card) && ms < 10000; ms++)
		usleep(1000);
	if (!uffd_pager_loaded(card) || !readable(uffd_pager_loaded_fd(card))) {
		fprintf(stderr, "uffd-share: the card's pager did not end once told all was "
			"loaded\n");
		return 1;
	}
	uint8_t *m3 = mmap(NULL, len, PROT_READ, MAP_SHARED, memfd, 0);
	if (m3 == MAP_FAILED || uffd_pager_add(card, m3, len, 0, (uint64_t)page, &e) < 0) {
		fprintf(stderr, "uffd-share: a mapping added after the end: %s\n",
			m3 == MAP_FAILED ? strerror(errno) : e.msg);
		return 1;
	}
	alarm(10);
	/* A page of the hole, maybe not in the memfd yet: zeroes, no wait. */
	bool ok = m3[(size_t)HOLE_END * (size_t)page - 1] == 0 &&
		  reads_right(m2, true, false, "the card's mapping after its pager ended");
	alarm(0);
	munmap(m3, len);
	uint64_t copied = uffd_pager_stop(card);
	if (ok && copied) {
		fprintf(stderr, "uffd-share: the card's pager copied %llu pages\n",
			(unsigned long long)copied);
		return 1;
	}
	/* Pages from a hook (a page-fault handler's): no prefetch loads them.
	 * Its thread has started, its on_start run (slow here), when
	 * uffd_pager_start returns: a card's seccomp filter, over every
	 * thread at once, comes next. */
	int uffd = uffd_open(-1, 0, &e);
	struct uffd_pager *hooked = uffd < 0 ? NULL :
		uffd_pager_start(uffd, &(struct uffd_source){ .file_fd = -1, .place = no_place,
							      .size = len }, slow_start, &e);
	if (hooked && !atomic_load(&slow_started)) {
		fprintf(stderr, "uffd-share: uffd_pager_start returned before its thread "
			"had started\n");
		ok = false;
	}
	if (!hooked || uffd_pager_finish(hooked, &e) == 0) {
		fprintf(stderr, "uffd-share: %s\n", hooked ? "a hook's pager took "
			"uffd_pager_finish" : e.msg);
		ok = false;
	}
	uffd_pager_stop(hooked);
	return ok ? 0 : 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "uffd-share: a read hung after the prefetch\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* One run of --prefetch on a fresh memfd, a thread faulting pages in at
 * the same time (faulting) or not; 0 or 1. */
static int prefetch_run(int filefd, bool faulting)
{
	struct azerr e;
	size_t len = PAGES * (size_t)page;
	int memfd = memfd_create("uffd-prefetch", MFD_CLOEXEC);
	int uffd = uffd_open(-1, 0, &e);
	if (memfd < 0 || ftruncate(memfd, (off_t)len) < 0 || uffd < 0) {
		fprintf(stderr, "uffd-share: %s\n", uffd < 0 ? e.msg : "memfd");
		return 1;
	}
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	uint8_t *m2 = mmap(NULL, len, PROT_READ, MAP_SHARED, memfd, 0);
	const struct uffd_source src = { .file_fd = filefd, .size = len };
	struct uffd_pager *p = uffd_pager_start(uffd, &src, NULL, &e);
	int card_uffd = uffd_open(-1, 0, &e);
	struct uffd_pager *card = card_uffd < 0 ? NULL :
		uffd_pager_start(card_uffd, &src, NULL, &e);
	pthread_t reader_thread;
	if (m == MAP_FAILED || m2 == MAP_FAILED || !p || !card ||
	    uffd_pager_add(p, m, len, 0, (uint64_t)page, &e) < 0 ||
	    uffd_pager_add(card, m2, len, 0, (uint64_t)page, &e) < 0 ||
	    readable(uffd_pager_loaded_fd(p)) || uffd_pager_prefetch(p, &e) < 0 ||
	    (faulting && pthread_create(&reader_thread, NULL, read_backward, m))) {
		fprintf(stderr, "uffd-share: %s\n", p ? e.msg : "set-up failed");
		return 1;
	}
	void *read_ok = m;
	if (faulting)
		pthread_join(reader_thread, &read_ok);
	for (int ms = 0; !uffd_pager_loaded(p) && ms < 10000; ms++)
		usleep(1000);
	if (!read_ok || !uffd_pager_loaded(p) || !readable(uffd_pager_loaded_fd(p))) {
		fprintf(stderr, "uffd-share: %s\n", read_ok ? "the pager never said it had "
			"loaded everything (10 s)" : "a page read wrong while prefetching");
		return 1;
	}
	unsigned char vec[PAGES];
	unsigned data = PAGES - (HOLE_END - HOLE_FIRST), in = 0, hole_in = 0;
	if (mincore(m, len, vec) < 0) {
		perror("uffd-share: mincore");
		return 1;
	}
	for (unsigned i = 0; i < PAGES; i++) {
		in += vec[i] & 1 && !in_hole(i, true);
		hole_in += vec[i] & 1 && in_hole(i, true);
	}
	/* Without faults, the prefetch alone: the data, none of the hole. */
	if (in != data || (!faulting && hole_in)) {
		fprintf(stderr, "uffd-share: after the prefetch %u of %u data pages and %u of "
			"the hole's %u are in memory\n", in, data, hole_in, HOLE_END - HOLE_FIRST);
		return 1;
	}
	if (card_finish(memfd, len, card, m2))
		return 1;
	alarm(10);
	bool ok = reads_right(m, true, false, "after the prefetch");
	alarm(0);
	uint64_t copied = uffd_pager_stop(p);
	munmap(m, len);
	munmap(m2, len);
	close(memfd);
	if (!ok)
		return 1;
	/* Each data page once; with faults, hole pages the thread touched
	 * before the pager ended too. */
	if (faulting ? copied < data || copied > PAGES : copied != data) {
		fprintf(stderr, "uffd-share: the pager copied %llu pages (%u of data)\n",
			(unsigned long long)copied, data);
		return 1;
	}
	printf("uffd-share: prefetch%s: %u data pages in, the hole's %u %s, every page "
	       "read right after the pager ended (%llu copied); the card's pager ended "
	       "when told, having copied none\n",
	       faulting ? " under faults" : "", data, HOLE_END - HOLE_FIRST,
	       faulting ? "faulted in or zero" : "left out", (unsigned long long)copied);
	return 0;
}

/* --prefetch (see the top): 0, 1 or 77 as main's. */
static int prefetch(int filefd)
{
	struct azerr e;
	int uffd = uffd_open(-1, 0, &e);

	if (uffd < 0) {
		fprintf(stderr, "uffd-share: %s\n", e.msg);
		return errno == EPERM || errno == ENOSYS ? 77 : 1;
	}
	close(uffd);
	signal(SIGALRM, on_alarm);
	return prefetch_run(filefd, false) || prefetch_run(filefd, true);
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/uffd-share-XXXXXX";
	int pipefd[2];
	bool holes = argc > 1 && !strcmp(argv[1], "--prefetch");
	bool huge = argc > 1 && !strcmp(argv[1], "--huge");
	page = huge ? 2 << 20 : sysconf(_SC_PAGESIZE);
	npages = huge ? HUGE_PAGES : PAGES;
	uint8_t *buf = malloc((size_t)page);
	int filefd = mkstemp(path);
	int memfd = memfd_create("uffd-share", MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));

	if (!buf || filefd < 0 || memfd < 0 || pipe(pipefd) < 0 ||
	    ftruncate(memfd, npages * (off_t)page) < 0 ||
	    ftruncate(filefd, npages * (off_t)page) < 0) {
		perror("uffd-share: set-up");
		return 1;
	}
	unlink(path);
	for (unsigned i = 0; i < npages; i++) {
		fill(buf, i);
		if (!in_hole(i, holes) &&
		    pwrite_full(filefd, buf, (size_t)page, (off_t)i * page) < 0) {
			perror("uffd-share: write");
			return 1;
		}
	}
	free(buf);
	if (holes)
		return prefetch(filefd);
	pid_t pid = fork();
	if (pid == 0) {
		long n = reader(memfd, filefd, 1);
		if (n < 0 || write(pipefd[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	long mine = reader(memfd, filefd, 0);
	long theirs = -1;
	int status;
	if (read(pipefd[0], &theirs, sizeof(theirs)) != sizeof(theirs))
		theirs = -1;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		return 77;
	if (mine < 0 || theirs < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	if (mine + theirs != npages) {
		fprintf(stderr, "uffd-share: %ld pages copied by the parent and %ld by the "
			"child, not %u in all\n", mine, theirs, npages);
		return 1;
	}
	printf("uffd-share: %u pages of %ld KiB read by both, copied once each (parent %ld, "
	       "child %ld)\n", npages, page >> 10, mine, theirs);
	return 0;
}
