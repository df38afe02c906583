/* The merge of a diff memory file onto its base: see rebase_snap.h. */
#include "tools/rebase_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fdio.h"
#include "common/mem_file_id.h"

const char rebase_snap_usage[] =
	"usage: azote-rebase-snap --base-file BASE --diff-file DIFF\n"
	"       azote-rebase-snap --help | --version\n"
	"\n"
	"Copies the data of a Diff snapshot's memory file (PUT /snapshot/create with\n"
	"snapshot_type Diff: a sparse file holding only the pages changed since the\n"
	"previous snapshot) onto the memory file of that previous snapshot, in place.\n"
	"BASE then holds the guest's RAM as of the diff's snapshot, and loads with the\n"
	"diff's state file. Apply diffs oldest first. The command line is Firecracker's\n"
	"rebase-snap's.\n"
	"\n"
	"  --base-file BASE   the base memory file (a Full snapshot's, or one already\n"
	"                     rebased), written in place\n"
	"  --diff-file DIFF   the diff memory file, read; the same size as BASE\n"
	"  --help             this text\n"
	"  --version          the version\n";

int rebase_snap_args(int argc, char **argv, struct rebase_args *a, struct azerr *e)
{
	static const char *const names[2] = { "--base-file", "--diff-file" };

	*a = (struct rebase_args){ .action = REBASE_RUN };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			a->action = REBASE_HELP;
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			a->action = REBASE_VERSION;
			return 0;
		}
		/* "--name VALUE" or "--name=VALUE" */
		int k = 0;
		size_t n = 0;
		for (; k < 2; k++) {
			n = strlen(names[k]);
			if (!strncmp(argv[i], names[k], n) && (!argv[i][n] || argv[i][n] == '='))
				break;
		}
		if (k == 2)
			return azerr_set(e, "unknown argument `%s`", argv[i]);
		const char *v = argv[i][n] == '=' ? argv[i] + n + 1 : i + 1 < argc ? argv[++i] : NULL;
		const char **slot = k ? &a->diff : &a->base;
		if (!v)
			return azerr_set(e, "%s needs a value (a file path)", names[k]);
		if (*slot)
			return azerr_set(e, "%s given twice", names[k]);
		if (!*v)
			return azerr_set(e, "%s: empty path", names[k]);
		*slot = v;
	}
	if (!a->base || !a->diff)
		return azerr_set(e, "missing %s", !a->base ? names[0] : names[1]);
	return 0;
}

/* [from, to) of diff onto the same place in base. */
static int copy_range(int bfd, int dfd, uint64_t from, uint64_t to, const char *base,
		      const char *diff, char *buf, size_t cap, struct azerr *e)
{
	while (from < to) {
		size_t want = to - from < cap ? (size_t)(to - from) : cap;
		ssize_t n = pread(dfd, buf, want, (off_t)from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return azerr_set(e, "diff file %s: read at %llu: %s", diff,
					 (unsigned long long)from,
					 n ? strerror(errno) : "the file shrank");
		if (pwrite_full(bfd, buf, (size_t)n, (off_t)from) < 0)
			return azerr_set(e, "base file %s: write at %llu: %s", base,
					 (unsigned long long)from, strerror(errno));
		from += (uint64_t)n;
	}
	return 0;
}

/* Every data segment of diff, in order. */
static int merge(int bfd, int dfd, uint64_t size, const char *base, const char *diff,
		 uint64_t *bytes, struct azerr *e)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	uint64_t at = 0;
	int ret = 0;

	if (!buf)
		return azerr_set(e, "out of memory");
	while (at < size && !ret) {
		off_t d = lseek(dfd, (off_t)at, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			break;   /* only holes from here on */
		if (d < 0) {
			ret = azerr_set(e, "diff file %s: SEEK_DATA: %s", diff, strerror(errno));
			break;
		}
		/* Every file ends in a hole (its end, at the latest). */
		off_t h = lseek(dfd, d, SEEK_HOLE);
		if (h < 0) {
			ret = azerr_set(e, "diff file %s: SEEK_HOLE: %s", diff, strerror(errno));
			break;
		}
		ret = copy_range(bfd, dfd, (uint64_t)d, (uint64_t)h, base, diff, buf, cap, e);
		*bytes += (uint64_t)(h - d);
		at = (uint64_t)h;
	}
	free(buf);
	return ret;
}

int rebase_snap(const char *base, const char *diff, uint64_t *bytes, struct azerr *e)
{
	uint64_t bsize, dsize;

	*bytes = 0;
	int dfd = open_regular(diff, O_RDONLY, "diff file", &dsize, e);
	if (dfd < 0)
		return -1;
	int bfd = open_regular(base, O_WRONLY, "base file", &bsize, e);
	if (bfd < 0) {
		close(dfd);
		return -1;
	}
	int ret = 0;
	if (bsize != dsize)
		ret = azerr_set(e, "diff file %s is %llu bytes, base file %s is %llu bytes: a "
				"diff is the size of its base (the guest's RAM)", diff,
				(unsigned long long)dsize, base, (unsigned long long)bsize);
	/* BASE becomes the diff snapshot's memory: it takes the diff's
	 * snapshot ID (common/mem_file_id.h), or none if the diff has none.
	 * Its own ID goes first, so that a merge that stops midway leaves a
	 * file that the base's state file no longer takes for its own. */
	uint8_t id[MEM_FILE_ID_SIZE];
	int has_id = ret ? 0 : mem_file_id_get(dfd, id);
	if (has_id < 0)
		ret = azerr_set(e, "diff file %s: its snapshot ID (extended attribute %s): %s",
				diff, MEM_FILE_ID_XATTR, strerror(errno));
	if (!ret && mem_file_id_set(bfd, NULL) < 0)
		ret = azerr_set(e, "base file %s: its snapshot ID: %s", base, strerror(errno));
	if (!ret)
		ret = merge(bfd, dfd, dsize, base, diff, bytes, e);
	if (!ret && has_id && mem_file_id_set(bfd, id) < 0)
		ret = azerr_set(e, "base file %s: its snapshot ID: %s", base, strerror(errno));
	if (!ret && fsync(bfd) < 0)
		ret = azerr_set(e, "base file %s: fsync: %s", base, strerror(errno));
	close(bfd);
	close(dfd);
	return ret;
}
