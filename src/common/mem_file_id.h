/* What ties a snapshot's memory file to its state file. Both are renamed
 * into place one after the other (vmm/snapshot_ops.c): a crash between
 * the two renames leaves the new memory file beside the old state file,
 * of the same size, which a load would take for a pair and so restore a
 * guest from memory that is not its own. The memory file's bytes are
 * guest RAM and nothing else (Firecracker's layout, which page-fault
 * handlers and azote-rebase-snap read), so the tie lives beside them: a
 * random-enough snapshot ID, recorded in the state file and set on the
 * memory file as an extended attribute (MEM_FILE_ID_XATTR) before it is
 * renamed into place. A load refuses a memory file that carries another
 * snapshot's ID. One that carries none (copied without its extended
 * attributes, or on a file system without user ones) cannot be checked
 * and is taken, as before this ID existed. */
#ifndef AZOTE_COMMON_MEM_FILE_ID_H
#define AZOTE_COMMON_MEM_FILE_ID_H

#include <stdint.h>

#define MEM_FILE_ID_SIZE 16
#define MEM_FILE_ID_XATTR "user.azote.snapshot-id"

/* A new ID: the wall clock in nanoseconds, the process and a count of
 * the IDs it made, so that no two creates on a host share one (no
 * getrandom: the event loop's seccomp list has none, and the ID guards
 * against accidents, not against whoever writes the snapshot files). */
void mem_file_id_new(uint8_t id[MEM_FILE_ID_SIZE]);

/* Sets fd's ID to id, or removes it when id is NULL (a file whose bytes
 * no longer match the ID it carried). 0, also where the file system has
 * no user extended attributes (nothing can be tied there); -1 with errno
 * otherwise. */
int mem_file_id_set(int fd, const uint8_t *id);

/* fd's ID into id: 1, 0 when it carries none (or the file system cannot
 * carry one), -1 with errno. */
int mem_file_id_get(int fd, uint8_t id[MEM_FILE_ID_SIZE]);

/* id as 32 hex digits into buf (33 bytes), for messages. */
char *mem_file_id_hex(const uint8_t id[MEM_FILE_ID_SIZE], char buf[2 * MEM_FILE_ID_SIZE + 1]);

#endif
