/* The snapshot state file: see snapshot_file.h and docs/snapshot.md. */
#include "vmm/snapshot_file.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/fdio.h"
#include "vmm/atomic_file.h"

/* Header offsets (docs/snapshot.md, "The state file"). */
enum {
	H_MAGIC = 0, H_VERSION = 8, H_HEADER_SIZE = 12, H_AZOTE = 16,
	H_VENDOR = 48, H_FAMILY = 60, H_MODEL = 64, H_STEPPING = 68,
	H_XSAVE_FEATURES = 72, H_XSAVE_SIZE = 80, H_NR_VCPUS = 84,
	H_MEM_BYTES = 88, H_NR_REGIONS = 96, H_RESERVED0 = 100, H_REGIONS = 104,
	H_NR_SECTIONS = 152, H_RESERVED1 = 156, H_FILE_SIZE = 160,
	H_RESERVED2 = 168,
};
_Static_assert(H_REGIONS + GUEST_MEM_MAX_REGIONS * 24 == H_NR_SECTIONS,
	       "the header holds every region");
_Static_assert(H_RESERVED2 + 32 == SNAPSHOT_HEADER_SIZE, "the header's size");

#define CRC_SIZE 4u
/* vCPUs a snapshot may claim: APIC IDs are 8 bits (arch/x86/boot.h). */
#define MAX_VCPUS 254u

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* zlib's crc32 takes a uInt length; a state file is far below 4 GiB, but
 * feed it in pieces anyway rather than rely on that. */
static uint32_t checksum(const unsigned char *p, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	while (len) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

void snapshot_host_probe(struct snapshot_host *h)
{
	unsigned a, b, c, d;

	memset(h, 0, sizeof(*h));
	if (!__get_cpuid(0, &a, &b, &c, &d))
		return;
	memcpy(h->vendor, &b, 4);
	memcpy(h->vendor + 4, &d, 4);
	memcpy(h->vendor + 8, &c, 4);
	unsigned max = a, eax1 = 0, ecx1 = 0;
	__get_cpuid(1, &eax1, &b, &ecx1, &d);
	/* The family and model as the SDM/APM define the displayed ones. */
	unsigned fam = (eax1 >> 8) & 0xf, model = (eax1 >> 4) & 0xf;
	if (fam == 0xf)
		fam += (eax1 >> 20) & 0xff;
	if (fam >= 6)
		model |= ((eax1 >> 16) & 0xf) << 4;
	h->family = fam;
	h->model = model;
	h->stepping = eax1 & 0xf;
	/* CPUID.1:ECX.XSAVE[bit 26] */
	if (max >= 0xd && (ecx1 & (1u << 26))) {
		__cpuid_count(0xd, 0, a, b, c, d);
		h->xsave_features = (uint64_t)d << 32 | a;
		h->xsave_size = c;
	}
}

void snapshot_header_init(struct snapshot_header *h, unsigned nr_vcpus,
			  const struct guest_mem *m)
{
	memset(h, 0, sizeof(*h));
	h->version = SNAPSHOT_FORMAT_VERSION;
	snprintf(h->azote_version, sizeof(h->azote_version), "%s", AZOTE_VERSION);
	snapshot_host_probe(&h->host);
	h->nr_vcpus = nr_vcpus;
	h->mem_bytes = m->ram_size;
	h->nr_regions = (uint32_t)m->nr_regions;
	for (int i = 0; i < m->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++)
		h->regions[i] = (struct snapshot_region){
			m->regions[i].gpa, m->regions[i].size, m->regions[i].fd_offset,
		};
}

static void encode_header(unsigned char *p, const struct snapshot_header *h,
			  size_t nr_sections, size_t file_size)
{
	memcpy(p + H_MAGIC, SNAPSHOT_MAGIC, 8);
	put32(p + H_VERSION, SNAPSHOT_FORMAT_VERSION);
	put32(p + H_HEADER_SIZE, SNAPSHOT_HEADER_SIZE);
	/* NUL-padded, not necessarily terminated: the field's 32 bytes. */
	memcpy(p + H_AZOTE, h->azote_version, strnlen(h->azote_version, SNAPSHOT_VERSION_LEN));
	memcpy(p + H_VENDOR, h->host.vendor, 12);
	put32(p + H_FAMILY, h->host.family);
	put32(p + H_MODEL, h->host.model);
	put32(p + H_STEPPING, h->host.stepping);
	put64(p + H_XSAVE_FEATURES, h->host.xsave_features);
	put32(p + H_XSAVE_SIZE, h->host.xsave_size);
	put32(p + H_NR_VCPUS, h->nr_vcpus);
	put64(p + H_MEM_BYTES, h->mem_bytes);
	put32(p + H_NR_REGIONS, h->nr_regions);
	for (unsigned i = 0; i < h->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++) {
		unsigned char *r = p + H_REGIONS + 24 * i;
		put64(r, h->regions[i].gpa);
		put64(r + 8, h->regions[i].size);
		put64(r + 16, h->regions[i].fd_offset);
	}
	put32(p + H_NR_SECTIONS, (uint32_t)nr_sections);
	put64(p + H_FILE_SIZE, file_size);
}

int snapshot_encode(const struct snapshot_header *h, const struct state_set *s,
		    unsigned char **buf, size_t *len, struct azerr *e)
{
	size_t size = SNAPSHOT_HEADER_SIZE + s->n * SNAPSHOT_ENTRY_SIZE + CRC_SIZE;

	if (s->n > SNAPSHOT_MAX_SECTIONS)
		return azerr_set(e, "snapshot: %zu state sections, at most %u", s->n,
				 SNAPSHOT_MAX_SECTIONS);
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].len > SNAPSHOT_MAX_FILE_SIZE - size)
			return azerr_set(e, "snapshot: the state is larger than %u bytes "
					 "(section %s #%u: %zu bytes)", SNAPSHOT_MAX_FILE_SIZE,
					 state_tag_name(s->v[i].tag), s->v[i].index, s->v[i].len);
		size += s->v[i].len;
	}
	unsigned char *p = calloc(1, size);
	if (!p)
		return azerr_set(e, "snapshot: out of memory for %zu bytes", size);
	encode_header(p, h, s->n, size);
	size_t off = SNAPSHOT_HEADER_SIZE + s->n * SNAPSHOT_ENTRY_SIZE;
	for (size_t i = 0; i < s->n; i++) {
		unsigned char *t = p + SNAPSHOT_HEADER_SIZE + i * SNAPSHOT_ENTRY_SIZE;
		put32(t, s->v[i].tag);
		put32(t + 4, s->v[i].index);
		put64(t + 8, off);
		put64(t + 16, s->v[i].len);
		if (s->v[i].len)
			memcpy(p + off, s->v[i].data, s->v[i].len);
		off += s->v[i].len;
	}
	put32(p + off, checksum(p, off));
	*buf = p;
	*len = size;
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The fixed part: magic, version, sizes and checksum, in that order, so
 * that a file of another format version is named as such rather than as
 * damaged. */
static int check_frame(const unsigned char *p, size_t len, const char *name, struct azerr *e)
{
	if (len < 12 || memcmp(p + H_MAGIC, SNAPSHOT_MAGIC, 8))
		return azerr_set(e, "%s: not an azote snapshot (no \"%s\" magic at the start)",
				 name, SNAPSHOT_MAGIC);
	uint32_t version = get32(p + H_VERSION);
	if (version != SNAPSHOT_FORMAT_VERSION)
		return azerr_set(e, "%s: snapshot format version %u; this azote (%s) reads "
				 "version %u only", name, version, AZOTE_VERSION,
				 SNAPSHOT_FORMAT_VERSION);
	if (len < SNAPSHOT_HEADER_SIZE + CRC_SIZE)
		return azerr_set(e, "%s: %zu bytes, shorter than a snapshot's header: truncated",
				 name, len);
	if (get32(p + H_HEADER_SIZE) != SNAPSHOT_HEADER_SIZE)
		return azerr_set(e, "%s: header size %u, expected %u", name,
				 get32(p + H_HEADER_SIZE), SNAPSHOT_HEADER_SIZE);
	uint64_t size = get64(p + H_FILE_SIZE);
	if (size != len)
		return azerr_set(e, "%s: %zu bytes, its header says %llu: truncated or "
				 "appended to", name, len, (unsigned long long)size);
	uint32_t stored = get32(p + len - CRC_SIZE), crc = checksum(p, len - CRC_SIZE);
	if (stored != crc)
		return azerr_set(e, "%s: checksum mismatch (stored 0x%08x, computed 0x%08x): "
				 "the file is damaged", name, stored, crc);
	size_t vlen = strnlen((const char *)p + H_AZOTE, SNAPSHOT_VERSION_LEN);
	if (!all_zero(p + H_AZOTE + vlen, SNAPSHOT_VERSION_LEN - vlen))
		return azerr_set(e, "%s: the azote version is not NUL-padded", name);
	if (!all_zero(p + H_RESERVED0, 4) || !all_zero(p + H_RESERVED1, 4) ||
	    !all_zero(p + H_RESERVED2, SNAPSHOT_HEADER_SIZE - H_RESERVED2))
		return azerr_set(e, "%s: reserved header bytes are not zero", name);
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static int decode_machine(const unsigned char *p, const char *name,
			  struct snapshot_header *h, struct azerr *e)
{
	memset(h, 0, sizeof(*h));
	h->version = get32(p + H_VERSION);
	memcpy(h->azote_version, p + H_AZOTE, SNAPSHOT_VERSION_LEN);
	memcpy(h->host.vendor, p + H_VENDOR, 12);
	h->host.family = get32(p + H_FAMILY);
	h->host.model = get32(p + H_MODEL);
	h->host.stepping = get32(p + H_STEPPING);
	h->host.xsave_features = get64(p + H_XSAVE_FEATURES);
	h->host.xsave_size = get32(p + H_XSAVE_SIZE);
	h->nr_vcpus = get32(p + H_NR_VCPUS);
	h->mem_bytes = get64(p + H_MEM_BYTES);
	h->nr_regions = get32(p + H_NR_REGIONS);
	h->nr_sections = get32(p + H_NR_SECTIONS);
	h->file_size = get64(p + H_FILE_SIZE);
	/* Both go into messages and --describe-snapshot's output. */
	if (!printable(h->azote_version) || !printable(h->host.vendor))
		return azerr_set(e, "%s: the azote version or CPU vendor is not printable text",
				 name);
	if (h->nr_vcpus < 1 || h->nr_vcpus > MAX_VCPUS)
		return azerr_set(e, "%s: %u vCPUs, expected 1 to %u", name, h->nr_vcpus,
				 MAX_VCPUS);
	if (h->nr_regions < 1 || h->nr_regions > GUEST_MEM_MAX_REGIONS)
		return azerr_set(e, "%s: %u RAM regions, expected 1 to %d", name,
				 h->nr_regions, GUEST_MEM_MAX_REGIONS);
	uint64_t total = 0;
	for (unsigned i = 0; i < h->nr_regions; i++) {
		const unsigned char *r = p + H_REGIONS + 24 * i;
		struct snapshot_region *g = &h->regions[i];
		*g = (struct snapshot_region){ get64(r), get64(r + 8), get64(r + 16) };
		if (g->fd_offset != total || g->size > h->mem_bytes - total)
			return azerr_set(e, "%s: RAM region %u (%llu bytes at file offset %llu) "
					 "does not follow the previous one within %llu bytes",
					 name, i, (unsigned long long)g->size,
					 (unsigned long long)g->fd_offset,
					 (unsigned long long)h->mem_bytes);
		total += g->size;
	}
	if (!all_zero(p + H_REGIONS + 24 * h->nr_regions,
		      24 * (GUEST_MEM_MAX_REGIONS - h->nr_regions)))
		return azerr_set(e, "%s: an unused RAM region entry is not zero", name);
	if (total != h->mem_bytes || !total)
		return azerr_set(e, "%s: RAM regions hold %llu bytes, the header says %llu",
				 name, (unsigned long long)total,
				 (unsigned long long)h->mem_bytes);
	return 0;
}

/* The section table: each entry's data right after the previous one's,
 * the last ending at the checksum, so that every byte is accounted for. */
static int decode_sections(const unsigned char *p, size_t len, const char *name,
			   const struct snapshot_header *h, struct state_set *s,
			   struct azerr *e)
{
	size_t n = h->nr_sections, end = len - CRC_SIZE;

	if (n > SNAPSHOT_MAX_SECTIONS)
		return azerr_set(e, "%s: %zu sections, at most %u", name, n,
				 SNAPSHOT_MAX_SECTIONS);
	if (n > (end - SNAPSHOT_HEADER_SIZE) / SNAPSHOT_ENTRY_SIZE)
		return azerr_set(e, "%s: a table of %zu sections does not fit in %zu bytes",
				 name, n, len);
	uint64_t off = SNAPSHOT_HEADER_SIZE + n * SNAPSHOT_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *t = p + SNAPSHOT_HEADER_SIZE + i * SNAPSHOT_ENTRY_SIZE;
		uint32_t tag = get32(t), index = get32(t + 4);
		uint64_t at = get64(t + 8), size = get64(t + 16);
		if (at != off || size > end - off)
			return azerr_set(e, "%s: section %zu (%s #%u): %llu bytes at offset %llu, "
					 "expected at %llu within %zu bytes", name, i,
					 state_tag_name(tag), index, (unsigned long long)size,
					 (unsigned long long)at, (unsigned long long)off, end);
		struct azerr why;
		if (state_put(s, tag, index, p + at, (size_t)size, &why) < 0)
			return azerr_set(e, "%s: %s", name, why.msg);
		off += size;
	}
	if (off != end)
		return azerr_set(e, "%s: %llu bytes after the last section", name,
				 (unsigned long long)(end - off));
	return 0;
}

int snapshot_decode(const unsigned char *buf, size_t len, const char *name,
		    struct snapshot_header *h, struct state_set *s, struct azerr *e)
{
	state_set_init(s);
	if (len > SNAPSHOT_MAX_FILE_SIZE)
		return azerr_set(e, "%s: %zu bytes, a snapshot state file has at most %u", name,
				 len, SNAPSHOT_MAX_FILE_SIZE);
	if (check_frame(buf, len, name, e) < 0 || decode_machine(buf, name, h, e) < 0)
		return -1;
	if (decode_sections(buf, len, name, h, s, e) < 0) {
		state_set_free(s);
		return -1;
	}
	return 0;
}

int snapshot_file_prepare(const char *path, const struct snapshot_header *h,
			  const struct state_set *s, struct atomic_file *f, struct azerr *e)
{
	unsigned char *buf;
	size_t len;

	if (snapshot_encode(h, s, &buf, &len, e) < 0)
		return -1;
	int ret = atomic_file_open(f, path, e);
	if (!ret) {
		ret = atomic_file_write(f, buf, len, e);
		if (ret)
			atomic_file_abort(f);
		else
			ret = atomic_file_sync(f, e);
	}
	free(buf);
	return ret;
}

int snapshot_file_write(const char *path, const struct snapshot_header *h,
			const struct state_set *s, struct azerr *e)
{
	struct atomic_file f;

	if (snapshot_file_prepare(path, h, s, &f, e) < 0)
		return -1;
	return atomic_file_rename(&f, e);
}

int snapshot_file_read(const char *path, struct snapshot_header *h,
		       struct state_set *s, struct azerr *e)
{
	uint64_t size;
	int fd = open_regular(path, O_RDONLY, "snapshot", &size, e);

	state_set_init(s);
	if (fd < 0)
		return -1;
	if (size > SNAPSHOT_MAX_FILE_SIZE) {
		close(fd);
		return azerr_set(e, "snapshot %s: not a regular file of at most %u bytes", path,
				 SNAPSHOT_MAX_FILE_SIZE);
	}
	size_t len = (size_t)size;
	unsigned char *buf = malloc(len ? len : 1);
	if (!buf) {
		close(fd);
		return azerr_set(e, "snapshot %s: out of memory for %zu bytes", path, len);
	}
	ssize_t got = read_full(fd, buf, len);
	if (got != (ssize_t)len) {
		azerr_set(e, "snapshot %s: read: %s", path, got < 0 ? strerror(errno) :
			  "the file shrank while being read");
		close(fd);
		free(buf);
		return -1;
	}
	close(fd);
	int ret = snapshot_decode(buf, len, path, h, s, e);
	free(buf);
	return ret;
}

int snapshot_check_host(const struct snapshot_header *h, const struct snapshot_host *host,
			const char *name, struct azerr *e)
{
	const struct snapshot_host *was = &h->host;

	if (strcmp(was->vendor, host->vendor) || was->family != host->family ||
	    was->model != host->model || was->stepping != host->stepping)
		return azerr_set(e, "%s was taken on a %s CPU family %u model %u stepping %u; "
				 "this host's is %s family %u model %u stepping %u: azote "
				 "restores only on the same CPU", name, was->vendor, was->family,
				 was->model, was->stepping, host->vendor, host->family,
				 host->model, host->stepping);
	uint64_t missing = was->xsave_features & ~host->xsave_features;
	if (missing)
		return azerr_set(e, "%s: its host had XSAVE components 0x%llx that this host "
				 "lacks (0x%llx of 0x%llx): the guest's FPU state cannot be "
				 "restored", name, (unsigned long long)was->xsave_features,
				 (unsigned long long)missing,
				 (unsigned long long)host->xsave_features);
	if (was->xsave_size > host->xsave_size)
		return azerr_set(e, "%s: its host's XSAVE area is %u bytes, this host's %u", name,
				 was->xsave_size, host->xsave_size);
	return 0;
}

int snapshot_check_machine(const struct snapshot_header *h, unsigned nr_vcpus,
			   const struct guest_mem *layout, const char *name,
			   struct azerr *e)
{
	if (h->nr_vcpus != nr_vcpus)
		return azerr_set(e, "%s holds %u vCPUs, the configuration has %u", name,
				 h->nr_vcpus, nr_vcpus);
	if (h->mem_bytes != layout->ram_size)
		return azerr_set(e, "%s holds %llu MiB of RAM, the configuration has %llu MiB",
				 name, (unsigned long long)(h->mem_bytes >> 20),
				 (unsigned long long)(layout->ram_size >> 20));
	if (h->nr_regions != (uint32_t)layout->nr_regions)
		return azerr_set(e, "%s lays RAM out in %u regions, this azote in %d", name,
				 h->nr_regions, layout->nr_regions);
	for (unsigned i = 0; i < h->nr_regions; i++) {
		const struct guest_mem_region *r = &layout->regions[i];
		if (h->regions[i].gpa != r->gpa || h->regions[i].size != r->size)
			return azerr_set(e, "%s: RAM region %u is %llu bytes at 0x%llx, this azote "
					 "puts %llu bytes at 0x%llx", name, i,
					 (unsigned long long)h->regions[i].size,
					 (unsigned long long)h->regions[i].gpa,
					 (unsigned long long)r->size, (unsigned long long)r->gpa);
	}
	return 0;
}

void snapshot_describe(FILE *out, const char *name, const struct snapshot_header *h,
		       const struct state_set *s)
{
	fprintf(out, "v%u\n", h->version);
	fprintf(out, "file: %s (%llu bytes, %u sections)\n", name,
		(unsigned long long)h->file_size, h->nr_sections);
	fprintf(out, "written by: azote %s\n", h->azote_version);
	fprintf(out, "host CPU: %s family %u model %u stepping %u, XSAVE components 0x%llx "
		"(%u bytes)\n", h->host.vendor, h->host.family, h->host.model,
		h->host.stepping, (unsigned long long)h->host.xsave_features,
		h->host.xsave_size);
	fprintf(out, "vCPUs: %u\nmemory: %llu MiB\n", h->nr_vcpus,
		(unsigned long long)(h->mem_bytes >> 20));
	for (unsigned i = 0; i < h->nr_regions; i++)
		fprintf(out, "  RAM region %u: 0x%llx-0x%llx (file offset %llu)\n", i,
			(unsigned long long)h->regions[i].gpa,
			(unsigned long long)(h->regions[i].gpa + h->regions[i].size - 1),
			(unsigned long long)h->regions[i].fd_offset);
	for (size_t i = 0; i < s->n; i++)
		fprintf(out, "  section %s #%u: %zu bytes\n", state_tag_name(s->v[i].tag),
			s->v[i].index, s->v[i].len);
}
