#include "base/guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* MFD_HUGE_2MB's value, which glibc's sys/mman.h lacks (linux/memfd.h
 * has it, but clashes with glibc's MFD_ flags). */
#include <asm-generic/hugetlb_encode.h>

void guest_mem_layout(struct guest_mem *m, uint64_t ram_size, uint64_t hole_start,
		      uint64_t hole_end)
{
	uint64_t low = ram_size < hole_start ? ram_size : hole_start;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->ram_size = ram_size;
	m->regions[0] = (struct guest_mem_region){ .gpa = 0, .size = low };
	m->nr_regions = 1;
	if (ram_size > low) {
		m->regions[1] = (struct guest_mem_region){
			.gpa = hole_end, .size = ram_size - low, .fd_offset = low,
		};
		m->nr_regions = 2;
	}
}

uint64_t guest_mem_page_size(const struct guest_mem *m)
{
	return m->huge ? GUEST_MEM_HUGE_PAGE : 4096;
}

/* The host's pool of 2 MiB pages, for messages: how many of them are
 * free and not reserved already (another VM's, say), of how many. */
static void huge_pool(char *buf, size_t len)
{
	char path[96];
	unsigned long v[3] = { 0, 0, 0 };
	const char *const names[3] = { "free_hugepages", "resv_hugepages", "nr_hugepages" };

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-2048kB/%s",
			 names[i]);
		FILE *f = fopen(path, "r");
		if (!f || fscanf(f, "%lu", &v[i]) != 1) {
			snprintf(buf, len, "the host has no pool of 2 MiB pages");
			if (f)
				fclose(f);
			return;
		}
		fclose(f);
	}
	snprintf(buf, len, "the host's pool has %lu available of %lu "
		 "(/proc/sys/vm/nr_hugepages)", v[0] > v[1] ? v[0] - v[1] : 0, v[2]);
}

static int map_failed(const struct guest_mem *m, const struct guest_mem_region *r,
		      struct azerr *e)
{
	int err = errno;
	char pool[128];

	if (!m->huge || err != ENOMEM)
		return azerr_set(e, "cannot map %llu MiB of guest RAM: %s",
				 (unsigned long long)(r->size >> 20), strerror(err));
	huge_pool(pool, sizeof(pool));
	return azerr_set(e, "cannot reserve %llu huge pages of 2 MiB for guest RAM "
			 "(huge_pages \"2M\"): %s", (unsigned long long)(r->size >> 21), pool);
}

int guest_mem_create(struct guest_mem *m, struct azerr *e)
{
	uint64_t ram_size = m->ram_size;
	unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

	if (m->huge) {
		if (ram_size % GUEST_MEM_HUGE_PAGE)
			return azerr_set(e, "guest RAM of %llu bytes on 2 MiB pages: not a "
					 "multiple of 2 MiB", (unsigned long long)ram_size);
		flags |= MFD_HUGETLB | HUGETLB_FLAG_ENCODE_2MB;
	}
	/* MFD_CLOEXEC: cards get the fd explicitly over vhost-user, never by
	 * inheritance. */
	m->fd = memfd_create("azote-guest-ram", flags);
	if (m->fd < 0)
		return azerr_set(e, "cannot create guest RAM memfd%s: %s",
				 m->huge ? " on 2 MiB pages (hugetlbfs)" : "", strerror(errno));
	if (ftruncate(m->fd, (off_t)ram_size) < 0) {
		azerr_set(e, "cannot size guest RAM to %llu bytes: %s",
			  (unsigned long long)ram_size, strerror(errno));
		goto fail;
	}
	/* The size of guest RAM must not change under the cards' mappings:
	 * a card that shrank it would make azote's own accesses fault. */
	if (fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		azerr_set(e, "cannot seal the size of guest RAM: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < m->nr_regions; i++) {
		struct guest_mem_region *r = &m->regions[i];
		/* Normal pages come as the guest touches them; huge ones are
		 * reserved now (see guest_mem.h). */
		void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | (m->huge ? 0 : MAP_NORESERVE), m->fd,
			       (off_t)r->fd_offset);
		if (p == MAP_FAILED) {
			map_failed(m, r, e);
			goto fail;
		}
		r->hva = p;
		/* Guest RAM in a core dump would leak the guest's secrets and
		 * be huge; leave it out. */
		madvise(p, r->size, MADV_DONTDUMP);
	}
	return 0;
fail:
	guest_mem_destroy(m);
	return -1;
}

void guest_mem_destroy(struct guest_mem *m)
{
	for (int i = 0; i < m->nr_regions; i++) {
		if (m->regions[i].hva)
			munmap(m->regions[i].hva, m->regions[i].size);
		m->regions[i].hva = NULL;
	}
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->regions[i];
		if (gpa < r->gpa || gpa - r->gpa > r->size)
			continue;
		if (len > r->size - (gpa - r->gpa) || !r->hva)
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t guest_mem_low_end(const struct guest_mem *m)
{
	return m->regions[0].gpa + m->regions[0].size;
}
