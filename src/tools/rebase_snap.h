/* azote-rebase-snap: a Diff snapshot's memory file merged onto its base
 * (docs/snapshot.md, "Diff snapshots"). A diff's memory file is a sparse
 * file of the whole RAM's size holding only the pages that changed; its
 * data segments (SEEK_DATA / SEEK_HOLE) are copied, at the same offsets,
 * onto the base's memory file, which then holds the RAM at the diff's
 * snapshot. The command line is Firecracker's rebase-snap's:
 *
 *     azote-rebase-snap --base-file BASE --diff-file DIFF
 *
 * Split from main.c so that the tests run it on files. */
#ifndef AZOTE_TOOLS_REBASE_SNAP_H
#define AZOTE_TOOLS_REBASE_SNAP_H

#include <stdint.h>

#include "common/err.h"

enum rebase_action { REBASE_RUN, REBASE_HELP, REBASE_VERSION };

struct rebase_args {
	enum rebase_action action;
	const char *base;   /* --base-file */
	const char *diff;   /* --diff-file */
};

/* The command line: --base-file and --diff-file (each once, as
 * "--opt VALUE" or "--opt=VALUE"), or --help, or --version. */
int rebase_snap_args(int argc, char **argv, struct rebase_args *a, struct azerr *e);

/* Copies diff's data onto base; both regular files of the same size (a
 * diff of another guest's RAM would merge into nonsense). *bytes: how
 * much was copied. base is fsync'ed. On failure, base may hold part of the
 * diff: merge again, or go back to a copy of the base. */
int rebase_snap(const char *base, const char *diff, uint64_t *bytes, struct azerr *e);

extern const char rebase_snap_usage[];

#endif
