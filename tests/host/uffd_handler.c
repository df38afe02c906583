/* An external page-fault handler for Firecracker's Uffd memory backend
 * (vmm/uffd_handoff.h), as a user of PUT /snapshot/load with
 * {"backend_type": "Uffd"} runs one: the tests' stand-in for a serverless
 * platform's handler, written to Firecracker's handshake, not to azote's
 * code.
 *
 *   uffd-handler SOCKET MEMFILE
 *
 * Listens on SOCKET (ready once the path exists: it is bound elsewhere and
 * renamed there), takes one connection, reads the regions' JSON and the
 * userfaultfd, and serves every missing-page fault from MEMFILE at the
 * region's offset, a whole page of the regions' page_size (the host's, or
 * 2 MiB: guest RAM on huge pages), until the connection closes. Then prints
 *   uffd-handler: P pages copied, E found in place, R removed, N regions
 * and exits 0. Exits 1, saying why, on anything a handler must not accept:
 * a malformed message, a region that is not page-aligned or lies outside
 * MEMFILE, a fault outside every region. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd_recv.h"

#define MAX_REGIONS 8

struct region {
	uint64_t base, size, offset;
};

static struct region regions[MAX_REGIONS];
static size_t nr_regions;
static uint64_t page;
static const uint8_t *file;   /* MEMFILE, mapped */
static uint64_t file_size;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uffd-handler: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Bound at SOCKET.tmp and renamed to SOCKET once listening, so that a
 * client that sees the path can connect. */
static int listen_at(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (snprintf(a.sun_path, sizeof(a.sun_path), "%s.tmp", path) >= (int)sizeof(a.sun_path))
		die("%s: too long for a Unix socket", path);
	unlink(a.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ||
	    rename(a.sun_path, path) < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

static uint64_t field(json_t *o, const char *name, size_t i)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		die("region %zu: %s missing or not a non-negative integer", i, name);
	return (uint64_t)json_integer_value(v);
}

static void parse_regions(const char *text)
{
	json_error_t err;
	json_t *list = json_loads(text, 0, &err), *o;
	size_t i;

	if (!json_is_array(list) || !json_array_size(list) ||
	    json_array_size(list) > MAX_REGIONS)
		die("the handshake is not an array of 1 to %d regions: %s", MAX_REGIONS, text);
	json_array_foreach(list, i, o) {
		struct region *r = &regions[i];
		*r = (struct region){ .base = field(o, "base_host_virt_addr", i),
				      .size = field(o, "size", i), .offset = field(o, "offset", i) };
		/* Bytes in both fields, as Firecracker sends them: the host's
		 * page, or 2 MiB for guest RAM on hugetlbfs; one for all. */
		uint64_t size = field(o, "page_size", i);
		if (!i && size == 2 << 20)
			page = size;
		if (size != page || field(o, "page_size_kib", i) != page)
			die("region %zu: page_size %llu is neither this host's %ld nor 2 MiB, or "
			    "not region 0's, or page_size_kib differs", i,
			    (unsigned long long)size, sysconf(_SC_PAGESIZE));
		if (!r->size || (r->base | r->size | r->offset) & (page - 1) ||
		    r->offset + r->size < r->offset || r->offset + r->size > file_size)
			die("region %zu: not page-aligned, or outside the %llu bytes of the "
			    "memory file", i, (unsigned long long)file_size);
	}
	nr_regions = i;
	json_decref(list);
}

static const struct region *region_of(uint64_t addr)
{
	for (size_t i = 0; i < nr_regions; i++)
		if (addr >= regions[i].base && addr - regions[i].base < regions[i].size)
			return &regions[i];
	die("a fault at 0x%llx, outside every region", (unsigned long long)addr);
	return NULL;
}

static unsigned long copied, in_place, removed;

static void serve(int uffd, uint64_t addr)
{
	const struct region *r = region_of(addr);
	uint64_t at = addr & ~(page - 1);
	struct uffdio_copy c = {
		.dst = at, .src = (uintptr_t)(file + r->offset + (at - r->base)), .len = page,
	};

	while (ioctl(uffd, UFFDIO_COPY, &c) < 0) {
		if (errno == EEXIST) {
			struct uffdio_range w = { .start = at, .len = page };
			if (ioctl(uffd, UFFDIO_WAKE, &w) < 0)
				die("UFFDIO_WAKE: %s", strerror(errno));
			in_place++;
			return;
		}
		if (errno != EAGAIN)
			die("UFFDIO_COPY at 0x%llx: %s", (unsigned long long)at, strerror(errno));
		c.copy = 0;
	}
	copied++;
}

int main(int argc, char **argv)
{
	struct stat st;
	char text[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: uffd-handler SOCKET MEMFILE\n");
		return 2;
	}
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	int mf = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (mf < 0 || fstat(mf, &st) < 0 || !st.st_size)
		die("%s: %s", argv[2], mf < 0 ? strerror(errno) : "empty");
	file_size = (uint64_t)st.st_size;
	file = mmap(NULL, file_size, PROT_READ, MAP_PRIVATE, mf, 0);
	if (file == MAP_FAILED)
		die("%s: mmap: %s", argv[2], strerror(errno));
	int lfd = listen_at(argv[1]);
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept: %s", strerror(errno));
	int uffd = fd_recv(conn, text, sizeof(text));
	if (uffd < 0)
		die("the handshake carried no userfaultfd");
	parse_regions(text);
	for (;;) {
		struct pollfd p[2] = { { .fd = uffd, .events = POLLIN }, { .fd = conn, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		/* The VMM sends nothing after the handshake: readable means
		 * it closed the connection, i.e. it ended. */
		if (p[1].revents)
			break;
		struct uffd_msg msg[16];
		ssize_t n = p[0].revents ? read(uffd, msg, sizeof(msg)) : 0;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("read: %s", strerror(errno));
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(msg[0]); i++) {
			if (msg[i].event == UFFD_EVENT_PAGEFAULT)
				serve(uffd, msg[i].arg.pagefault.address);
			else if (msg[i].event == UFFD_EVENT_REMOVE)
				removed++;
		}
	}
	printf("uffd-handler: %lu pages copied, %lu found in place, %lu removed, %zu regions\n",
	       copied, in_place, removed, nr_regions);
	return 0;
}
