#include "arch/x86/elf_kernel.h"

#include <elf.h>
#include <string.h>

#include "arch/x86/layout.h"

int elf_detect(const uint8_t *buf, size_t len)
{
	return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

/* [off, off+size) lies within a file of len bytes. */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int check_ehdr(const Elf64_Ehdr *eh, size_t len, struct azerr *e)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return azerr_set(e, "ELF: EI_CLASS %u is not ELFCLASS64",
				 eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return azerr_set(e, "ELF: EI_DATA %u is not little-endian",
				 eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return azerr_set(e, "ELF: version %u is not EV_CURRENT",
				 eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return azerr_set(e, "ELF: e_machine %u is not EM_X86_64",
				 eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return azerr_set(e, "ELF: e_type %u is not ET_EXEC", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return azerr_set(e, "ELF: e_phentsize %u is not %zu", eh->e_phentsize,
				 sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return azerr_set(e, "ELF: e_phnum %u: no program headers",
				 eh->e_phnum);
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return azerr_set(e, "ELF: program headers (e_phoff 0x%llx, e_phnum %u) "
				 "run past the end of the %zu-byte file",
				 (unsigned long long)eh->e_phoff, eh->e_phnum, len);
	return 0;
}

static int add_load(struct elf_kernel *k, int idx, const Elf64_Phdr *ph,
		    size_t len, struct azerr *e)
{
	if (k->nr_segs >= ELF_KERNEL_MAX_SEGS)
		return azerr_set(e, "ELF: more than %d PT_LOAD segments",
				 ELF_KERNEL_MAX_SEGS);
	if (!in_file(ph->p_offset, ph->p_filesz, len))
		return azerr_set(e, "ELF: segment %d (p_offset 0x%llx, p_filesz 0x%llx) "
				 "runs past the end of the %zu-byte file", idx,
				 (unsigned long long)ph->p_offset,
				 (unsigned long long)ph->p_filesz, len);
	if (ph->p_filesz > ph->p_memsz)
		return azerr_set(e, "ELF: segment %d p_filesz 0x%llx exceeds p_memsz "
				 "0x%llx", idx, (unsigned long long)ph->p_filesz,
				 (unsigned long long)ph->p_memsz);
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return azerr_set(e, "ELF: segment %d p_paddr 0x%llx + p_memsz 0x%llx "
				 "overflows", idx, (unsigned long long)ph->p_paddr,
				 (unsigned long long)ph->p_memsz);
	k->segs[k->nr_segs++] = (struct elf_segment){
		.paddr = ph->p_paddr, .offset = ph->p_offset,
		.filesz = ph->p_filesz, .memsz = ph->p_memsz,
	};
	if (k->nr_segs == 1 || ph->p_paddr < k->start)
		k->start = ph->p_paddr;
	if (ph->p_paddr + ph->p_memsz > k->end)
		k->end = ph->p_paddr + ph->p_memsz;
	return 0;
}

/* Walks the notes of one PT_NOTE segment looking for Xen's PHYS32_ENTRY.
 * Name and descriptor are padded to 4 bytes (8 if the segment says so). */
static int scan_notes(struct elf_kernel *k, int idx, const uint8_t *p,
		      uint64_t size, uint64_t align, struct azerr *e)
{
	uint64_t a = align == 8 ? 8 : 4;
	uint64_t off = 0;

	while (size - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		off += sizeof(nh);
		uint64_t name_len = (nh.n_namesz + a - 1) & ~(a - 1);
		uint64_t desc_len = ((uint64_t)nh.n_descsz + a - 1) & ~(a - 1);
		if (name_len > size - off || desc_len > size - off - name_len)
			return azerr_set(e, "ELF: note in segment %d (n_namesz %u, "
					 "n_descsz %u) runs past the segment", idx,
					 nh.n_namesz, nh.n_descsz);
		const uint8_t *name = p + off, *desc = p + off + name_len;
		off += name_len + desc_len;
		if (nh.n_type != XEN_ELFNOTE_PHYS32_ENTRY || nh.n_namesz != 4 ||
		    memcmp(name, "Xen", 4) != 0)
			continue;
		/* The entry is a 32-bit physical address; Linux stores it as a
		 * pointer-sized value. */
		uint64_t entry = 0;
		if (nh.n_descsz != 4 && nh.n_descsz != 8)
			return azerr_set(e, "ELF: PVH entry note has n_descsz %u, not "
					 "4 or 8", nh.n_descsz);
		memcpy(&entry, desc, nh.n_descsz);
		if (entry > UINT32_MAX)
			return azerr_set(e, "ELF: PVH entry 0x%llx is above 4 GiB",
					 (unsigned long long)entry);
		k->has_pvh = true;
		k->pvh_entry = (uint32_t)entry;
	}
	return 0;
}

/* An entry point must be code the loader actually puts in memory. */
static int check_entry(const struct elf_kernel *k, uint64_t entry,
		       const char *what, struct azerr *e)
{
	for (int i = 0; i < k->nr_segs; i++) {
		const struct elf_segment *s = &k->segs[i];
		if (entry >= s->paddr && entry - s->paddr < s->filesz)
			return 0;
	}
	return azerr_set(e, "ELF: %s 0x%llx is not inside any PT_LOAD segment", what,
			 (unsigned long long)entry);
}

int elf_kernel_parse(const uint8_t *buf, size_t len, struct elf_kernel *k,
		     struct azerr *e)
{
	Elf64_Ehdr eh;

	memset(k, 0, sizeof(*k));
	if (len < sizeof(eh))
		return azerr_set(e, "ELF: file is %zu bytes, shorter than an ELF64 "
				 "header", len);
	if (!elf_detect(buf, len))
		return azerr_set(e, "ELF: no ELF magic");
	memcpy(&eh, buf, sizeof(eh));
	if (check_ehdr(&eh, len, e) < 0)
		return -1;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && ph.p_memsz > 0) {
			if (add_load(k, i, &ph, len, e) < 0)
				return -1;
		} else if (ph.p_type == PT_NOTE) {
			if (!in_file(ph.p_offset, ph.p_filesz, len))
				return azerr_set(e, "ELF: note segment %d (p_offset 0x%llx, "
						 "p_filesz 0x%llx) runs past the end of "
						 "the %zu-byte file", i,
						 (unsigned long long)ph.p_offset,
						 (unsigned long long)ph.p_filesz, len);
			if (scan_notes(k, i, buf + ph.p_offset, ph.p_filesz,
				       ph.p_align, e) < 0)
				return -1;
		}
	}
	if (k->nr_segs == 0)
		return azerr_set(e, "ELF: no PT_LOAD segment");
	if (check_entry(k, eh.e_entry, "e_entry", e) < 0)
		return -1;
	if (k->has_pvh && check_entry(k, k->pvh_entry, "PVH entry", e) < 0)
		return -1;
	k->entry = eh.e_entry;
	return 0;
}

int elf_kernel_load(struct guest_mem *m, const uint8_t *buf,
		    const struct elf_kernel *k, struct azerr *e)
{
	uint64_t low_end = guest_mem_low_end(m);

	for (int i = 0; i < k->nr_segs; i++) {
		const struct elf_segment *s = &k->segs[i];
		uint8_t *dst = guest_mem_ptr(m, s->paddr, s->memsz);
		if (s->paddr < GPA_HIGH_MEM)
			return azerr_set(e, "ELF: segment at p_paddr 0x%llx is below "
					 "1 MiB, where azote keeps the boot tables",
					 (unsigned long long)s->paddr);
		if (!dst || s->paddr + s->memsz > low_end)
			return azerr_set(e, "memory too small for the kernel: ELF segment "
					 "0x%llx..0x%llx is not in guest RAM below 4 GiB "
					 "(which ends at 0x%llx)",
					 (unsigned long long)s->paddr,
					 (unsigned long long)(s->paddr + s->memsz),
					 (unsigned long long)low_end);
		memcpy(dst, buf + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}
