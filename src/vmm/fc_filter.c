/* Firecracker's compiled seccomp filters: the map's checks and the file;
 * the two encodings are fc_bincode.c and fc_bitcode.c. */
#include "vmm/fc_filter.h"

#include "common/fdio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const category_names[FC_NR_CATEGORIES] = {
	[FC_CAT_VMM] = "vmm", [FC_CAT_API] = "api", [FC_CAT_VCPU] = "vcpu",
};

const char *fc_category_name(enum fc_category c)
{
	return category_names[c];
}

void fc_filters_free(struct fc_filters *f)
{
	for (int c = 0; c < FC_NR_CATEGORIES; c++)
		free(f->prog[c]);
	memset(f, 0, sizeof(*f));
}

/* Firecracker lower-cases the names (Rust's to_lowercase; the three it
 * accepts are ASCII, so ASCII folding tells the same names apart). */
static int category_of(const char *name, size_t len)
{
	for (int c = 0; c < FC_NR_CATEGORIES; c++)
		if (strlen(category_names[c]) == len &&
		    strncasecmp(category_names[c], name, len) == 0)
			return c;
	return -1;
}

int fc_filters_add(struct fc_filters *f, const char *name, size_t name_len,
		   const uint64_t *insns, size_t count, struct azerr *e)
{
	int c = category_of(name, name_len);

	if (c < 0) {
		/* The name is the file's: print it escaped and bounded. */
		char shown[40];
		size_t n = 0;

		for (size_t i = 0; i < name_len && n + 5 < sizeof(shown); i++) {
			unsigned char ch = (unsigned char)name[i];
			n += (size_t)snprintf(shown + n, sizeof(shown) - n,
					      ch >= 0x20 && ch < 0x7f && ch != '"' ?
					      "%c" : "\\x%02x", ch);
		}
		return azerr_set(e, "filter for thread category \"%s%s\": Firecracker's "
				 "categories are vmm, api and vcpu", shown,
				 n < name_len ? "..." : "");
	}
	if (f->prog[c] || f->len[c])
		return azerr_set(e, "two filters for thread category \"%s\"",
				 category_names[c]);
	if (count > FC_FILTER_MAX_INSNS)
		return azerr_set(e, "the \"%s\" filter has %zu instructions; the kernel "
				 "takes at most %d", category_names[c], count,
				 FC_FILTER_MAX_INSNS);
	/* Marks the category as seen even when the program is empty. */
	f->prog[c] = calloc(count ? count : 1, sizeof(*f->prog[c]));
	if (!f->prog[c])
		return azerr_set(e, "the \"%s\" filter: out of memory", category_names[c]);
	for (size_t i = 0; i < count; i++) {
		uint64_t v = insns[i];

		f->prog[c][i] = (struct sock_filter){
			.code = (uint16_t)v, .jt = (uint8_t)(v >> 16),
			.jf = (uint8_t)(v >> 24), .k = (uint32_t)(v >> 32),
		};
	}
	f->len[c] = (uint16_t)count;
	return 0;
}

int fc_filters_parse(const uint8_t *buf, size_t len, struct fc_filters *f,
		     struct azerr *e)
{
	struct azerr bincode_err, bitcode_err;

	memset(f, 0, sizeof(*f));
	if (len > FC_FILTER_MAX_FILE)
		return azerr_set(e, "%zu bytes; Firecracker's filter files are at most %d",
				 len, FC_FILTER_MAX_FILE);
	if (fc_bincode_decode(buf, len, f, &bincode_err) == 0) {
		f->format = "bincode";
	} else {
		fc_filters_free(f);
		if (fc_bitcode_decode(buf, len, f, &bitcode_err) < 0) {
			fc_filters_free(f);
			/* A bincode file opens with its (small) u64 entry count;
			 * the other format's reason is the one that means something. */
			bool bincode_like = len >= 8 && fc_le(buf, 8) < 256;

			return azerr_set(e, "not a filter file of Firecracker's seccompiler-bin "
					 "(%s format, Firecracker %s): %s",
					 bincode_like ? "bincode" : "bitcode",
					 bincode_like ? "1.0-1.14" : "1.15 on",
					 bincode_like ? bincode_err.msg : bitcode_err.msg);
		}
		f->format = "bitcode";
	}
	for (int c = 0; c < FC_NR_CATEGORIES; c++) {
		if (!f->prog[c]) {
			fc_filters_free(f);
			return azerr_set(e, "no filter for thread category \"%s\" "
					 "(Firecracker needs vmm, api and vcpu)",
					 category_names[c]);
		}
	}
	return 0;
}

int fc_filters_load(const char *path, struct fc_filters *f, struct azerr *e)
{
	/* One byte more than the limit tells an over-long file apart. */
	const size_t cap = FC_FILTER_MAX_FILE + 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf;
	ssize_t len;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return azerr_set(e, "--seccomp-filter %s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return azerr_set(e, "--seccomp-filter %s: out of memory", path);
	}
	len = read_full(fd, buf, cap);
	if (len < 0) {
		int err = errno;

		close(fd);
		free(buf);
		return azerr_set(e, "--seccomp-filter %s: %s", path, strerror(err));
	}
	close(fd);

	struct azerr why;
	int rc = fc_filters_parse(buf, (size_t)len, f, &why);

	free(buf);
	if (rc < 0)
		return azerr_set(e, "--seccomp-filter %s: %s", path, why.msg);
	return 0;
}
