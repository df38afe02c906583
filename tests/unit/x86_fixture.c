#include "x86_fixture.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct guest_mem *fx_guest(uint64_t ram)
{
	struct guest_mem *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	e820_ram_layout(m, ram);
	for (int i = 0; i < m->nr_regions; i++) {
		void *p = mmap(NULL, m->regions[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			abort();
		m->regions[i].hva = p;
	}
	return m;
}

void fx_guest_free(struct guest_mem *m)
{
	for (int i = 0; i < m->nr_regions; i++)
		munmap(m->regions[i].hva, m->regions[i].size);
	free(m);
}

uint64_t fx_get(const void *base, size_t off, int bytes)
{
	uint64_t v = 0;

	memcpy(&v, (const uint8_t *)base + off, (size_t)bytes);
	return v;
}

void fx_put(void *base, size_t off, int bytes, uint64_t v)
{
	memcpy((uint8_t *)base + off, &v, (size_t)bytes);
}

uint8_t fx_pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

void fx_bz_default(struct fx_bz *o)
{
	*o = (struct fx_bz){
		.version = 0x020f, .setup_sects = 4, .jump_len = 0x6a,
		.boot_flag = 0xaa55, .loadflags = 0x01 /* LOADED_HIGH */ | 0x80,
		.xloadflags = 0x03, .relocatable = 1,
		.kernel_alignment = 0x200000, .pref_address = 0x1000000,
		.init_size = 0x400000, .cmdline_size = 2047,
		.initrd_addr_max = 0x7fffffff, .payload = 0x20000,
	};
}

uint8_t *fx_bzimage(const struct fx_bz *o, size_t *len)
{
	size_t setup = ((o->setup_sects ? o->setup_sects : 4) + 1) * 512u;
	uint8_t *b = calloc(1, setup + o->payload);

	if (!b)
		abort();
	/* Offsets: Documentation/arch/x86/boot.rst, "The real-mode kernel
	 * header". */
	fx_put(b, 0x1f1, 1, o->setup_sects);
	fx_put(b, 0x1f4, 4, (o->payload + 15) / 16);   /* syssize */
	fx_put(b, 0x1fe, 2, o->boot_flag);
	fx_put(b, 0x200, 1, 0xeb);                      /* jmp short */
	fx_put(b, 0x201, 1, o->jump_len);
	memcpy(b + 0x202, "HdrS", 4);
	fx_put(b, 0x206, 2, o->version);
	fx_put(b, 0x211, 1, o->loadflags);
	fx_put(b, 0x214, 4, 0x100000);                  /* code32_start */
	fx_put(b, 0x224, 2, 0xde00);                    /* heap_end_ptr */
	fx_put(b, 0x22c, 4, o->initrd_addr_max);
	fx_put(b, 0x230, 4, o->kernel_alignment);
	fx_put(b, 0x234, 1, o->relocatable);
	fx_put(b, 0x236, 2, o->xloadflags);
	fx_put(b, 0x238, 4, o->cmdline_size);
	fx_put(b, 0x258, 8, o->pref_address);
	fx_put(b, 0x260, 4, o->init_size);
	/* A byte past the header's end, which must not reach the zero page. */
	if (0x202u + o->jump_len < 0x28f)
		b[0x202 + o->jump_len] = 0x5a;
	for (size_t i = 0; i < o->payload; i++)
		b[setup + i] = fx_pattern(i);
	*len = setup + o->payload;
	return b;
}

void fx_elf_default(struct fx_elf *o)
{
	*o = (struct fx_elf){
		.paddr = 0x100000, .filesz = 0x3000, .memsz = 0x5000,
		.entry = 0x100100, .pvh_desc = 8, .pvh_entry = 0x100040,
	};
}

uint8_t *fx_elf(const struct fx_elf *o, size_t *len)
{
	size_t size = FX_ELF_DATAOFF + o->filesz;
	uint8_t *b = calloc(1, size);
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = o->entry, .e_phoff = FX_ELF_PHOFF,
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = o->pvh_desc ? 2 : 1,
	};
	Elf64_Phdr load = {
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = FX_ELF_DATAOFF, .p_vaddr = 0xffffffff80000000ULL + o->paddr,
		.p_paddr = o->paddr, .p_filesz = o->filesz, .p_memsz = o->memsz,
		.p_align = 0x1000,
	};

	if (!b)
		abort();
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + FX_ELF_PHOFF, &load, sizeof(load));
	if (o->pvh_desc) {
		/* namesz 4 ("Xen\0"), descsz, type 18, name, desc: 4-aligned */
		size_t n = FX_ELF_NOTEOFF;
		fx_put(b, n, 4, 4);
		fx_put(b, n + 4, 4, (uint64_t)o->pvh_desc);
		fx_put(b, n + 8, 4, 18);
		memcpy(b + n + 12, "Xen", 4);
		fx_put(b, n + 16, o->pvh_desc, o->pvh_entry);
		Elf64_Phdr note = {
			.p_type = PT_NOTE, .p_offset = FX_ELF_NOTEOFF,
			.p_filesz = 16 + (uint64_t)o->pvh_desc, .p_align = 4,
		};
		memcpy(b + FX_ELF_PHOFF + sizeof(load), &note, sizeof(note));
	}
	for (size_t i = 0; i < o->filesz; i++)
		b[FX_ELF_DATAOFF + i] = fx_pattern(i);
	*len = size;
	return b;
}

char *fx_tempfile(const void *buf, size_t len)
{
	char *path = strdup("/tmp/azote-test-XXXXXX");
	int fd = path ? mkstemp(path) : -1;

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

char *fx_tempfile_pattern(size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	char *path;

	if (!b)
		abort();
	for (size_t i = 0; i < size; i++)
		b[i] = fx_pattern(i);
	path = fx_tempfile(b, size);
	free(b);
	return path;
}

void fx_tempfile_remove(char *path)
{
	unlink(path);
	free(path);
}
