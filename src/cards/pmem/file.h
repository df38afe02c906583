/* The pmem card's backing file: opened and checked once at start-up,
 * before the card confines itself, then only flushed. The card never maps
 * it: the guest reaches its bytes through azote's own mapping. */
#ifndef AZOTE_CARDS_PMEM_FILE_H
#define AZOTE_CARDS_PMEM_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct pmem_file {
	int fd;                     /* -1: none */
	uint64_t size;              /* its length at start-up, bytes */
};

/* Opens path read-write, or read-only with ro, as a regular file of at
 * least one byte (Firecracker's backing file rule); -1 with e naming the
 * path and the fault, nothing left open. */
int pmem_file_open(struct pmem_file *f, const char *path, bool ro, struct azerr *e);
void pmem_file_close(struct pmem_file *f);

/* Makes every write to fd's file so far durable: fdatasync(2), retried on
 * EINTR. 0, or -1 with errno. */
int pmem_file_flush(int fd);

#endif
