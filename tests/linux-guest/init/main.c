/*
 * /init of the Linux test guest: mounts what the checks read, runs the
 * checks named in lg.checks= in order, then reboots (or powers off, with
 * lg.end=poweroff). With reboot=k on the
 * command line the reboot is a keyboard-controller reset, which ends the VMM
 * with status 0; a panic (panic=-1) also reboots, but then the host finds
 * result lines missing and fails the run.
 */
#include "lg.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name;
	bool (*run)(void);
} checks[] = {
	{ "boot", check_boot },
	{ "blk", check_blk },
	{ "blkro", check_blkro },
	{ "blkgrow", check_blkgrow },
	{ "net", check_net },
	{ "snap", check_snap },
	{ "irq", check_irq },
	{ "smp", check_smp },
	{ "acpi", check_acpi },
	{ "vsock", check_vsock },
	{ "vsnap", check_vsnap },
	{ "rng", check_rng },
	{ "pmem", check_pmem },
	{ "mmds", check_mmds },
	{ "balloon", check_balloon },
	{ "fio", check_fio },
};

static bool run_check(const char *name)
{
	struct line l = { .len = 0 };
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!strcmp(checks[i].name, name))
			return checks[i].run();
	line_fail(&l, "error=unknown-check");
	return line_emit(&l, name);
}

/*
 * The initramfs has no device nodes; devtmpfs provides them. The kernel
 * could not open a console for us, so open it here as fds 0-2.
 */
static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int main(void)
{
	char uptime[64] = "?", list[512];
	char *name, *save = NULL;
	const char *want;
	int pass = 0, fail = 0;

	setup_console();
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	read_text("/proc/uptime", uptime, sizeof(uptime));
	*strchrnul(uptime, ' ') = '\0';
	say("LINUX init uptime=%s", uptime);

	if (cmdline_load() < 0) {
		say("LINUX init FAIL error=no-proc-cmdline");
		fail++;
	} else {
		modules_load();
		irq_snapshot_before();
		want = param("lg.checks");
		strncpy(list, want ? want : "", sizeof(list) - 1);
		list[sizeof(list) - 1] = '\0';
		for (name = strtok_r(list, ",", &save); name;
		     name = strtok_r(NULL, ",", &save)) {
			if (run_check(name))
				pass++;
			else
				fail++;
		}
	}
	read_text("/proc/uptime", uptime, sizeof(uptime));
	*strchrnul(uptime, ' ') = '\0';
	say("LINUX done pass=%d fail=%d uptime=%s", pass, fail, uptime);
	sync();
	/* lg.end=poweroff: power off (ACPI S5 where the machine has it;
	 * without it Linux halts, and the host's timeout says so). */
	const char *end = param("lg.end");
	reboot(end && !strcmp(end, "poweroff") ? RB_POWER_OFF : RB_AUTOBOOT);
	return 1;
}
