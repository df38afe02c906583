/*
 * The Linux test guest's /init: shared helpers.
 *
 * The init runs the checks named on the kernel command line (lg.checks=),
 * prints one line per check on the console,
 *	LINUX <check> PASS|FAIL key=value ...
 * and reboots. The host side (tests/linux-guest/run.sh) parses those lines.
 * Every expected value comes from the command line, so the guest judges
 * what the host asked for, not what it happens to find.
 */
#ifndef LG_H
#define LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One result line under construction. */
struct line {
	char buf[1024];
	size_t len;
	bool failed;
};

void line_add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Like line_add, and marks the check failed. */
void line_fail(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "LINUX <check> PASS|FAIL ..." and returns whether it passed. */
bool line_emit(struct line *l, const char *check);

/* Prints a raw line on the console (progress and protocol lines). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Kernel command line, read once by cmdline_load(). */
int cmdline_load(void);
const char *cmdline_raw(void);
/* Value of "name=value" on the command line, or NULL. */
const char *param(const char *name);
/* Numeric parameter; false if absent or not a number. */
bool param_u64(const char *name, uint64_t *out);

/* Reads a small file into buf (NUL-terminated, trailing newline dropped). */
int read_text(const char *path, char *buf, size_t size);
/* Reads a file holding one unsigned number (decimal or 0x-hex). */
int read_u64(const char *path, uint64_t *out);

/* The next record at warning level or worse in /dev/kmsg (fd, opened
 * O_NONBLOCK) from fd's position: its text ("PRI,SEQ,TS,FLAGS;TEXT", the
 * level PRI's low 3 bits), cut at its first newline, in rec; NULL at the
 * end. Records overwritten before they were read are skipped. */
const char *kmsg_next_warning(int fd, char *rec, size_t size);
/* text into out with its blanks made '_': one value for a result line. */
void line_word(char *out, size_t size, const char *text);

/* CRC-32 as zlib computes it, so the host can check with zlib.crc32(). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

/* len bytes of a pseudo-random pattern into buf, from *state (seed it
 * non-zero), which it advances: the same seed gives the same bytes, so a
 * check can write them and compare them read back. */
void pattern_fill(uint8_t *buf, size_t len, uint64_t *state);

/* Checks. Each prints its own result line and returns whether it passed. */
bool check_boot(void);
bool check_blk(void);
bool check_blkro(void);
bool check_blkgrow(void);
bool check_net(void);
bool check_snap(void);
bool check_smp(void);
bool check_acpi(void);
bool check_vsock(void);
bool check_vsnap(void);
bool check_rng(void);
bool check_pmem(void);
bool check_mmds(void);
bool check_balloon(void);
bool check_fio(void);
/* The interrupt check compares counts taken before and after the others. */
void irq_snapshot_before(void);
bool check_irq(void);
/* The interrupts of the /proc/interrupts lines whose name (their last
 * field) match accepts, summed over lines and CPUs. */
uint64_t irq_sum(bool (*match)(const char *name, const void *arg), const void *arg);

/* One ICMP echo request with sequence number seq to *to on the raw socket
 * icmp; true when its reply, payload intact, came within ms. */
struct sockaddr_in;
bool icmp_echo(int icmp, const struct sockaddr_in *to, uint16_t id, uint16_t seq, int ms);

/* Gives eth0 the address lg.ip=A.B.C.D/NN and brings it up (sock: any
 * AF_INET socket); false with the reason on l. */
bool net_bring_up(struct line *l, int sock);

/* vsock (vsock.c), for the vsock and vsnap checks. Each exchange is a line
 * of VSOCK_MSG_LEN bytes, with the host's helper (lib/vsock-host.py); its
 * result goes on l under key: key=PORT:BYTES, or key_what=why (failed). */
#define VSOCK_MSG_LEN 20000
/* lg.vsock_cid, lg.vsock_out and lg.vsock_in; false (on l) if one is bad. */
bool vsock_params(struct line *l, uint64_t *cid, uint32_t *out, uint32_t *in);
/* Connects to the host's port, sends a line and reads it back upper-cased:
 * the connection, still open, or -1. */
int vsock_exchange_out(struct line *l, const char *key, uint32_t port);
/* A socket listening on port (says "LINUX vsock-listen PORT"), or -1. */
int vsock_listen(struct line *l, const char *key, uint32_t port);
/* Accepts one host connection on lfd within a minute, reads its line
 * ("host-...") and echoes it; true when it did. */
bool vsock_echo_in(struct line *l, const char *key, int lfd, uint32_t port);

/* Loads the kernel modules a stock kernel needs (LINUX_GUEST=stock). */
void modules_load(void);

#endif
