/* Firecracker's Uffd memory backend with a card, without KVM: what azote
 * and a card do on PUT /snapshot/load with {"backend_type": "Uffd"}
 * (vmm/uffd_handoff.h, vmm/page_relay.h, cards/page_relay.h,
 * common/uffd_pager.h).
 *
 *   uffd-relay HANDLER DIR [huge]
 *
 * A memory file of distinct pages in DIR; guest RAM laid out in two
 * regions around a hole (so the second region's memfd offset is not its
 * address's), made by guest_mem_create as azote makes it; an external
 * handler (HANDLER, tests/host/uffd_handler.c) listening in DIR. This
 * process plays azote: it hands its RAM to the handler and serves a page
 * relay; a child plays the card: it maps the memfd itself and serves its
 * faults through the relay. Both read every page at once, azote forward,
 * the card backward: every page must read as the file's in both, the
 * handler must have copied each page exactly once (it serves azote's
 * mapping only: a page the card had filled on its own would not be
 * counted), and the card's pager and azote's relay must agree on the
 * number of pages relayed. Offsets that are no page of RAM are refused
 * (EINVAL) and a message of the wrong size ends the relay. With "huge",
 * guest RAM is on 2 MiB hugetlbfs pages (huge_pages "2M"): the handler is
 * told so and copies whole 2 MiB pages, the card's pager maps and waits by
 * them (the host's pool must have 4 free). With "refused" or
 * "handler-gone", a card's page that the relay refuses, or that it cannot
 * get with the handler gone (below): the card must end. Exit 0 with a line, 1 with a
 * line, 77 when this host has no userfaultfd for us. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "base/guest_mem.h"
#include "cards/page_relay.h"
#include "common/fdio.h"
#include "common/uffd_pager.h"
#include "iface/page_relay.h"
#include "vmm/page_relay.h"
#include "vmm/uffd_handoff.h"

#define MIB (1ULL << 20)
#define RAM (8 * MIB)

static uint64_t page;

/* Ends the test with "uffd-relay: WHY[: DETAIL]". */
static void fail(const char *why, const char *detail)
{
	fprintf(stderr, "uffd-relay: %s%s%s\n", why, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* The word w of the page at memfd offset off: what the memory file holds. */
static uint64_t word(uint64_t off, uint64_t w)
{
	return (off / page) * 0x9e3779b97f4a7c15ULL + w;
}

static void write_file(const char *path)
{
	uint64_t *buf = malloc(page);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (!buf || fd < 0)
		fail("cannot write the memory file", path);
	for (uint64_t off = 0; off < RAM; off += page) {
		for (uint64_t w = 0; w < page / 8; w++)
			buf[w] = word(off, w);
		if (pwrite_full(fd, buf, page, (off_t)off) < 0)
			fail("cannot write the memory file", path);
	}
	close(fd);
	free(buf);
}

/* Reads every page of a mapping at map of the memfd's [first, first+len)
 * and checks it against the file. */
static void check_range(const uint8_t *map, uint64_t first, uint64_t len, int backward,
			const char *who)
{
	for (uint64_t k = 0; k < len / page; k++) {
		uint64_t at = (backward ? len / page - 1 - k : k) * page;
		const uint64_t *p = (const uint64_t *)(const void *)(map + at);
		if (p[0] != word(first + at, 0) || p[page / 8 - 1] != word(first + at, page / 8 - 1))
			fail("a page is not the file's, read by", who);
	}
}

/* One raw request on the relay: the error it answers with, or -1 when
 * the relay hung up. */
static int ask(int fd, uint64_t off)
{
	struct page_relay_msg m = { .off = off };

	if (write(fd, &m, sizeof(m)) != sizeof(m) || read(fd, &m, sizeof(m)) != sizeof(m))
		return -1;
	return m.err;
}

/* The card: its own mapping and userfaultfd, faults through the relay.
 * Its first page is read before azote reads any (said on first), so that
 * one at least is relayed however the two are scheduled; then the rest, as
 * azote reads too. Writes the pages its pager relayed to out. */
static void card(int memfd, int relay, int go, int first, int out)
{
	struct azerr e;
	char c;
	int uffd = uffd_open(-1, 0, &e);
	if (uffd < 0)
		_exit(errno == EPERM || errno == ENOSYS ? 77 : 1);
	uint8_t *map = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	struct uffd_source src = { .file_fd = -1, .place = card_page_relay_place,
				   .arg = (void *)(intptr_t)relay, .size = UINT64_MAX };
	struct uffd_pager *p = uffd_pager_start(uffd, &src, NULL, &e);
	if (map == MAP_FAILED || !p || uffd_pager_add(p, map, RAM, 0, page, &e) < 0)
		fail("the card", p ? e.msg : "set-up failed");
	if (read(go, &c, 1) != 1)
		_exit(1);
	check_range(map + RAM - page, RAM - page, page, 0, "the card");
	if (write(first, "f", 1) != 1)
		_exit(1);
	check_range(map, 0, RAM, 1, "the card");
	uint64_t relayed = uffd_pager_stop(p);
	if (ask(relay, 1) != EINVAL || ask(relay, RAM) != EINVAL)
		fail("azote answered for an offset that is no page of RAM", NULL);
	if (write(relay, "x", 1) != 1 || ask(relay, 0) != -1)
		fail("azote's relay went on after a message of the wrong size", NULL);
	if (write(out, &relayed, sizeof(relayed)) != sizeof(relayed))
		_exit(1);
	_exit(0);
}

/* A card that touches the first page of m's RAM through the relay at
 * relay (its end): a ring worker's touch, which must never come back. */
static pid_t touching_card(const struct guest_mem *m, int relay)
{
	struct azerr e;
	pid_t child = fork();

	if (child)
		return child;
	int uffd = uffd_open(-1, 0, &e);
	if (uffd < 0)
		_exit(errno == EPERM || errno == ENOSYS ? 77 : 1);
	uint8_t *map = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	struct uffd_source src = { .file_fd = -1, .place = card_page_relay_place,
				   .arg = (void *)(intptr_t)relay, .size = UINT64_MAX };
	struct uffd_pager *p = uffd_pager_start(uffd, &src, NULL, &e);
	if (map == MAP_FAILED || !p || uffd_pager_add(p, map, RAM, 0, page, &e) < 0)
		fail("the card", p ? e.msg : "set-up failed");
	(void)*(volatile uint8_t *)map;
	_exit(0);
}

/* The card must end at once for the page it cannot get (status
 * UFFD_PAGER_EXIT_LOST_PAGE) rather than leave the thread that touched it
 * waiting for good, and a vhost-user stop with it: it gets 10 s. */
static int await_card_end(pid_t child, const char *what)
{
	int status;

	for (int i = 0; waitpid(child, &status, WNOHANG) != child; i++) {
		if (i == 1000) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			fail(what, "the card still waits on its fault after 10 s");
		}
		usleep(10000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		return 77;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != UFFD_PAGER_EXIT_LOST_PAGE)
		fail(what, "the card did not end for its lost page");
	printf("uffd-relay: %s: the card ended at once (status %d)\n", what,
	       UFFD_PAGER_EXIT_LOST_PAGE);
	return 0;
}

static void make_ram(struct guest_mem *m, int sv[2])
{
	struct azerr e;

	guest_mem_layout(m, RAM, 4 * MIB, 6 * MIB);
	if (guest_mem_create(m, &e) < 0)
		fail(e.msg, NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fail(strerror(errno), NULL);
}

/* "refused": azote's relay refuses the card's first page (EIO). */
static int refused(void)
{
	struct guest_mem m;
	int sv[2];

	make_ram(&m, sv);
	pid_t child = touching_card(&m, sv[1]);
	close(sv[1]);
	struct page_relay_msg msg;
	if (read(sv[0], &msg, sizeof(msg)) != sizeof(msg))
		fail("the card asked for no page", NULL);
	msg.err = EIO;
	if (write(sv[0], &msg, sizeof(msg)) != sizeof(msg))
		fail("cannot answer the card", strerror(errno));
	return await_card_end(child, "a page the relay refused");
}

/* "handler-gone": azote's RAM registered with its userfaultfd, which it
 * keeps, as after a handoff, but the handler's process has ended. Its
 * relay must answer the card's request at once (EPIPE) rather than touch
 * a page that no one will ever serve, and wait there for good. */
static int handler_gone(void)
{
	struct guest_mem m;
	struct azerr e;
	int sv[2];

	make_ram(&m, sv);
	int uffd = uffd_open(-1, UFFD_FEATURE_EVENT_REMOVE, &e);
	if (uffd < 0)
		return errno == EPERM || errno == ENOSYS ? 77 : 1;
	for (int i = 0; i < m.nr_regions; i++) {
		struct uffdio_register reg = {
			.range = { .start = (uintptr_t)m.regions[i].hva, .len = m.regions[i].size },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
			fail("UFFDIO_REGISTER", strerror(errno));
	}
	pid_t handler = fork();
	if (handler == 0)
		_exit(0);
	int pidfd = (int)syscall(SYS_pidfd_open, handler, 0);
	if (pidfd < 0)
		fail("pidfd_open", strerror(errno));
	waitpid(handler, NULL, 0);
	struct page_relay *r = page_relay_start(&m, sv[0], pidfd, NULL, &e);
	if (!r)
		fail(e.msg, NULL);
	pid_t child = touching_card(&m, sv[1]);
	close(sv[1]);
	int ret = await_card_end(child, "the page-fault handler gone");
	page_relay_stop(r);
	return ret;
}

int main(int argc, char **argv)
{
	char memfile[4096], sock[4096], line[256];
	int sv[2], go[2], first[2], out[2], hout[2];
	struct guest_mem m;
	struct azerr e;
	struct stat st;

	bool huge = argc == 4 && !strcmp(argv[3], "huge");

	if (argc == 4 && (!strcmp(argv[3], "refused") || !strcmp(argv[3], "handler-gone"))) {
		page = (uint64_t)sysconf(_SC_PAGESIZE);
		return !strcmp(argv[3], "refused") ? refused() : handler_gone();
	}
	if (argc != 3 && !huge)
		fail("usage: uffd-relay HANDLER DIR [huge | refused | handler-gone]", NULL);
	page = huge ? GUEST_MEM_HUGE_PAGE : (uint64_t)sysconf(_SC_PAGESIZE);
	snprintf(memfile, sizeof(memfile), "%s/uffd-relay.mem", argv[2]);
	snprintf(sock, sizeof(sock), "%s/uffd-relay.sock", argv[2]);
	write_file(memfile);
	/* 4 MiB below a 2 MiB hole, 4 MiB above it: at memfd offset 4 MiB. */
	guest_mem_layout(&m, RAM, 4 * MIB, 6 * MIB);
	m.huge = huge;
	if (guest_mem_create(&m, &e) < 0)
		fail(e.msg, NULL);
	if (m.nr_regions != 2 || m.regions[1].fd_offset != 4 * MIB)
		fail("guest RAM is not two regions around the hole", NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe(go) < 0 ||
	    pipe(first) < 0 || pipe(out) < 0 || pipe(hout) < 0)
		fail(strerror(errno), NULL);
	unlink(sock);
	pid_t handler = fork();
	if (handler == 0) {
		dup2(hout[1], 1);
		execl(argv[1], argv[1], sock, memfile, (char *)NULL);
		_exit(127);
	}
	close(hout[1]);
	for (int i = 0; stat(sock, &st) < 0; i++) {
		if (i == 500)
			fail("the handler did not listen within 5 s", NULL);
		usleep(10000);
	}
	pid_t child = fork();
	if (child == 0)
		card(m.fd, sv[1], go[0], first[1], out[1]);
	close(sv[1]);
	int uffd = uffd_open(-1, UFFD_FEATURE_EVENT_REMOVE, &e);
	if (uffd < 0) {
		kill(handler, SIGTERM);
		kill(child, SIGTERM);
		return errno == EPERM || errno == ENOSYS ? 77 : 1;
	}
	int conn = uffd_handoff(&m, uffd, sock, &e);
	struct page_relay *r = page_relay_start(&m, sv[0], -1, NULL, &e);
	if (conn < 0 || !r)
		fail(e.msg, NULL);
	char c;
	if (write(go[1], "g", 1) != 1 || read(first[0], &c, 1) != 1)
		fail("the card is gone", NULL);
	for (int i = 0; i < m.nr_regions; i++)
		check_range(m.regions[i].hva, m.regions[i].fd_offset, m.regions[i].size, 0, "azote");
	uint64_t relayed = 0;
	int status;
	if (read(out[0], &relayed, sizeof(relayed)) != sizeof(relayed))
		fail("the card failed (above)", NULL);
	waitpid(child, &status, 0);
	uint64_t answered = page_relay_stop(r);
	close(conn);
	ssize_t n = read_full(hout[0], line, sizeof(line) - 1);
	waitpid(handler, &status, 0);
	line[n > 0 ? n : 0] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("the handler failed", line);
	unsigned long copied, in_place;
	if (sscanf(line, "uffd-handler: %lu pages copied, %lu found in place", &copied,
		   &in_place) != 2)
		fail("the handler said", line);
	if (copied != RAM / page)
		fail("the handler copied a page more or less than once", line);
	if (!relayed || relayed != answered) {
		snprintf(line, sizeof(line), "%llu by the card, %llu answered",
			 (unsigned long long)relayed, (unsigned long long)answered);
		fail("the card's pager and azote's relay disagree on the pages relayed", line);
	}
	printf("uffd-relay: %llu pages of %llu KiB read by azote and the card, each copied once "
	       "by the handler; %llu relayed for the card\n", (unsigned long long)(RAM / page),
	       (unsigned long long)(page >> 10), (unsigned long long)relayed);
	return 0;
}
