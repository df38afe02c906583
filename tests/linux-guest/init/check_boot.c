/*
 * boot: what the VMM handed Linux at boot.
 *  - memory: System RAM in the firmware memory map (/sys/firmware/memmap,
 *    the e820 table as the VMM gave it, before Linux edits it) against
 *    lg.mem= bytes. A VMM keeps a few hundred KiB below 1 MiB for itself
 *    (EBDA, BIOS area), so "equal" means: not more than asked and less than
 *    1 MiB short;
 *  - command line: lg.cmdline_crc= is the last parameter and holds the
 *    CRC-32 of everything before it (the host computes it), so any byte
 *    lost or changed on the way shows; after it come only the
 *    virtio_mmio.device= arguments a VMM adds to describe its devices
 *    (Firecracker, QEMU microvm and azote with virtio-mmio append them);
 *  - console input: with lg.echo=TOKEN, print "LINUX echo-wait", read one
 *    line from the console (the host types TOKEN) and compare;
 *  - the boot CPU's timer, as Linux chose it from what CPUID says
 *    (timer=lapic-deadline where the VMM shows the TSC deadline timer),
 *    reported for the host to check.
 */
#include "lg.h"

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define MiB (1024ull * 1024)
#define CRC_KEY " lg.cmdline_crc="
#define MMIO_KEY "virtio_mmio.device="
#define ECHO_TIMEOUT_MS 60000

static int memmap_ram(uint64_t *total)
{
	char path[300], type[64];
	uint64_t start, end;
	struct dirent *d;
	DIR *dir = opendir("/sys/firmware/memmap");

	if (!dir)
		return -1;
	*total = 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/type", d->d_name);
		if (read_text(path, type, sizeof(type)) < 0 || strcmp(type, "System RAM"))
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/start", d->d_name);
		if (read_u64(path, &start) < 0)
			goto bad;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/end", d->d_name);
		if (read_u64(path, &end) < 0 || end < start)
			goto bad;
		*total += end - start + 1;
	}
	closedir(dir);
	return 0;
bad:
	closedir(dir);
	return -1;
}

static void check_memory(struct line *l)
{
	uint64_t want, seen;

	if (!param_u64("lg.mem", &want)) {
		line_fail(l, "mem=no-lg.mem");
		return;
	}
	if (memmap_ram(&seen) < 0) {
		line_fail(l, "mem=no-memmap");
		return;
	}
	if (seen > want || want - seen >= MiB)
		line_fail(l, "mem_seen=%llu mem_asked=%llu", (unsigned long long)seen,
			  (unsigned long long)want);
	else
		line_add(l, "mem_seen=%llu mem_asked=%llu", (unsigned long long)seen,
			 (unsigned long long)want);
}

static void check_cmdline(struct line *l)
{
	const char *raw = cmdline_raw(), *key = strstr(raw, CRC_KEY);
	char *end;
	unsigned long want;
	uint32_t got;

	if (!key) {
		line_fail(l, "cmdline=no-lg.cmdline_crc");
		return;
	}
	want = strtoul(key + strlen(CRC_KEY), &end, 16);
	for (;;) {
		while (*end == ' ')
			end++;
		if (strncmp(end, MMIO_KEY, strlen(MMIO_KEY)))
			break;
		end += strcspn(end, " ");
	}
	if (*end) {
		line_fail(l, "cmdline=crc-not-last");
		return;
	}
	got = crc32_update(0, raw, (size_t)(key - raw));
	if (got != want)
		line_fail(l, "cmdline=mismatch cmdline_len=%zu crc=%08x want=%08lx",
			  strlen(raw), got, want);
	else
		line_add(l, "cmdline=ok cmdline_len=%zu", strlen(raw));
}

static void check_echo(struct line *l)
{
	const char *want = param("lg.echo");
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct termios t;
	char got[256];
	ssize_t n;

	if (!want)
		return;
	/* Canonical mode, so read() returns a whole line; no local echo. */
	if (tcgetattr(STDIN_FILENO, &t) == 0) {
		t.c_lflag |= ICANON;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	tcflush(STDIN_FILENO, TCIFLUSH);
	say("LINUX echo-wait");
	if (poll(&pfd, 1, ECHO_TIMEOUT_MS) != 1) {
		line_fail(l, "echo=timeout");
		return;
	}
	n = read(STDIN_FILENO, got, sizeof(got) - 1);
	if (n <= 0) {
		line_fail(l, "echo=read-error");
		return;
	}
	got[n] = '\0';
	got[strcspn(got, "\r\n")] = '\0';
	if (strcmp(got, want))
		line_fail(l, "echo=mismatch echo_got=%.64s", got);
	else
		line_add(l, "echo=ok");
}

static void report_timer(struct line *l)
{
	char dev[64];

	if (read_text("/sys/devices/system/clockevents/clockevent0/current_device", dev,
		      sizeof(dev)) < 0)
		line_add(l, "timer=unknown");
	else
		line_add(l, "timer=%s", dev);
}

bool check_boot(void)
{
	struct line l = { .len = 0 };

	check_memory(&l);
	check_cmdline(&l);
	check_echo(&l);
	report_timer(&l);
	return line_emit(&l, "boot");
}
