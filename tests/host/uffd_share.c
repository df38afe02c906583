/* Lazy loading of a shared memfd by two processes, each serving its own
 * faults (common/uffd_pager.h), without KVM: what azote and a card do on
 * a snapshot's restore. A memory file of distinct pages; a memfd of its
 * size that both map; each registers its mapping with a userfaultfd of
 * its own and reads every page, the parent from the first, the child (the
 * "card") from the last, at once. Each page must read as the file's in
 * both, and be copied into the memfd exactly once between the two: a
 * page copied twice would mean one process saw a page missing that the
 * other had filled. Exit 0 on success, 1 with a line on failure, 77 when
 * this host has no userfaultfd for us (test skipped). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/uffd_pager.h"

#define PAGES 2048

static long page;

/* Page i's bytes: i in every word, but every seventh page all zeroes (a
 * page the guest never wrote). */
static void fill(uint8_t *buf, unsigned i)
{
	for (long w = 0; w < page / 4; w++)
		((uint32_t *)(void *)buf)[w] = i % 7 ? i * 2654435761u + (uint32_t)w : 0;
}

/* Maps the memfd, serves its faults from the file and reads every page
 * (forward or backward); returns the pages this process copied in, or -1. */
static long reader(int memfd, int filefd, int backward)
{
	struct azerr e;
	uint8_t *want = malloc((size_t)page);
	int uffd = uffd_open(-1, 0, &e);
	if (uffd < 0) {
		fprintf(stderr, "uffd-share: %s\n", e.msg);
		exit(errno == EPERM || errno == ENOSYS ? 77 : 1);
	}
	uint8_t *m = mmap(NULL, PAGES * (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  memfd, 0);
	struct uffd_pager *p = uffd_pager_start(uffd, &(struct uffd_source){ .file_fd = filefd,
							.size = PAGES * (uint64_t)page },
						NULL, &e);
	if (m == MAP_FAILED || !want || !p ||
	    uffd_pager_add(p, m, PAGES * (uint64_t)page, 0, &e) < 0) {
		fprintf(stderr, "uffd-share: %s\n", p ? e.msg : "set-up failed");
		return -1;
	}
	for (unsigned k = 0; k < PAGES; k++) {
		unsigned i = backward ? PAGES - 1 - k : k;
		fill(want, i);
		if (memcmp(m + (size_t)i * (size_t)page, want, (size_t)page)) {
			fprintf(stderr, "uffd-share: %s: page %u differs from the file\n",
				backward ? "child" : "parent", i);
			return -1;
		}
	}
	long copied = (long)uffd_pager_stop(p);
	munmap(m, PAGES * (size_t)page);
	free(want);
	return copied;
}

int main(void)
{
	char path[] = "/tmp/uffd-share-XXXXXX";
	int pipefd[2];
	page = sysconf(_SC_PAGESIZE);
	uint8_t *buf = malloc((size_t)page);
	int filefd = mkstemp(path);
	int memfd = memfd_create("uffd-share", MFD_CLOEXEC);

	if (!buf || filefd < 0 || memfd < 0 || pipe(pipefd) < 0 ||
	    ftruncate(memfd, PAGES * (off_t)page) < 0) {
		perror("uffd-share: set-up");
		return 1;
	}
	unlink(path);
	for (unsigned i = 0; i < PAGES; i++) {
		fill(buf, i);
		if (pwrite_full(filefd, buf, (size_t)page, (off_t)i * page) < 0) {
			perror("uffd-share: write");
			return 1;
		}
	}
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
	if (mine + theirs != PAGES) {
		fprintf(stderr, "uffd-share: %ld pages copied by the parent and %ld by the "
			"child, not %d in all\n", mine, theirs, PAGES);
		return 1;
	}
	printf("uffd-share: %d pages read by both, copied once each (parent %ld, child %ld)\n",
	       PAGES, mine, theirs);
	return 0;
}
