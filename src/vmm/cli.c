#include "vmm/cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/guest_mem.h"
#include "iface/card.h"
#include "common/args.h"
#include "common/netaddr.h"
#include "common/size.h"

const char cli_usage[] =
"Usage: azote --kernel PATH [options]\n"
"       azote --config-file FILE [--api-sock PATH | --no-api] [options]\n"
"       azote --api-sock PATH [options]\n"
"       azote --restore SNAPSHOT [--restore-mem FILE] [options]\n"
"       azote --describe-snapshot SNAPSHOT\n"
"\n"
"Boots a microVM on KVM. The guest's serial console (COM1) is this\n"
"process's stdin and stdout; diagnostics go to stderr. With --kernel or\n"
"--config-file the VM boots at once; with only --api-sock it waits for\n"
"InstanceStart on the API (the other options then give its initial\n"
"configuration).\n"
"\n"
"Guest:\n"
"  --kernel PATH        kernel: bzImage (boot protocol >= 2.06), ELF vmlinux,\n"
"                       or a PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY)\n"
"  --initrd PATH        initial ramdisk\n"
"  --cmdline STR        kernel command line\n"
"  --boot-entry MODE    for an ELF kernel: auto (PVH if the ELF has the\n"
"                       note, else 64-bit), pvh, or linux64 (default auto)\n"
"  --cpus N             vCPUs (default 1)\n"
"  --memory SIZE        guest RAM, e.g. 128M, 2G; a bare number is MiB\n"
"                       (default 128M)\n"
"  --huge-pages         guest RAM on 2 MiB hugetlbfs pages, reserved from the\n"
"                       host's pool (/proc/sys/vm/nr_hugepages) at start;\n"
"                       --memory must then be a multiple of 2M\n"
"  --cpu-template FILE  CPUID bits to pin, as a Firecracker custom CPU\n"
"                       template (its cpuid_modifiers; docs/cpu-templates.md)\n"
"  --transport T        how devices are shown: pci (virtio-pci with MSI-X,\n"
"                       the default) or mmio (virtio-mmio, one interrupt\n"
"                       line each, on the kernel command line and in ACPI;\n"
"                       at most 16 devices). With --api-sock or\n"
"                       --config-file the default is Firecracker's: mmio\n"
"                       unless --enable-pci\n"
"\n"
"Block devices (virtio-blk over vhost-user; repeat for more disks):\n"
"  --drive path=IMG[,id=ID][,ro][,queues=N][,direct][,poll_us=N][,uring=MODE]\n"
"          [,bw_limit=BUCKET][,ops_limit=BUCKET]\n"
"                       a raw image served by an azote-card-blk that azote\n"
"                       starts; ro: read-only, queues: 1-16, direct: O_DIRECT,\n"
"                       poll_us: how long the card spins for the next request\n"
"                       before it sleeps, 0-1000 (default 32; 0 never spins),\n"
"                       uring: the card's io_uring set-up, default,\n"
"                       single-issuer or defer-taskrun (docs/card-blk.md);\n"
"                       bw_limit, ops_limit: Firecracker's rate limiter on\n"
"                       bytes and on requests, BUCKET being its token bucket\n"
"                       SIZE/REFILL_MS[/ONE_TIME_BURST] (bw_limit=1048576/100:\n"
"                       10 MiB/s, in bursts of at most 1 MiB)\n"
"  --vhost-user-blk socket=PATH[,id=ID]\n"
"                       a vhost-user-blk server someone else runs (another\n"
"                       card, qemu-storage-daemon, SPDK)\n"
"  IDs are 1-63 letters, digits, '_' or '-'; default drive0, drive1, ...\n"
"  Paths cannot contain ','.\n"
"\n"
"Network (virtio-net over vhost-user; repeat for more NICs):\n"
"  --net tap=NAME[,mac=MAC][,id=ID][,queues=N][,{rx,tx}_{bw,ops}_limit=BUCKET]\n"
"                       the existing TAP device NAME (`ip tuntap add dev NAME\n"
"                       mode tap`), served by an azote-card-net that azote\n"
"                       starts; queues: 1-8 queue pairs, more than 1 needs a\n"
"                       multi_queue TAP; rx_bw_limit, rx_ops_limit (frames to\n"
"                       the guest), tx_bw_limit, tx_ops_limit (from it): rate\n"
"                       limits on bytes and frames, BUCKET as for --drive\n"
"  --vhost-user-net socket=PATH[,id=ID][,mac=MAC]\n"
"                       a vhost-user-net back-end someone else runs\n"
"  MAC: e.g. 06:00:ac:10:00:02 (default: the back-end's, a random local one\n"
"  for a card); IDs as for drives, default net0, net1, ...\n"
"\n"
"Vsock (virtio-vsock, Firecracker's, over host Unix sockets; one at most):\n"
"  --vsock cid=N,uds=PATH[,id=ID]\n"
"                       the guest's CID (3-4294967295) and the Unix socket an\n"
"                       azote-card-vsock creates at PATH (it must not exist):\n"
"                       host programs connect there and write \"CONNECT <port>\"\n"
"                       to reach a guest port; the guest's connections to host\n"
"                       port P go to PATH_P (docs/api.md, \"Vsock\")\n"
"\n"
"Entropy (virtio-rng, Firecracker's entropy device; one at most):\n"
"  --rng[=id=ID][,bw_limit=BUCKET][,ops_limit=BUCKET]\n"
"                       random bytes from the host's getrandom(2) for the\n"
"                       guest's /dev/hwrng, served by an azote-card-rng;\n"
"                       bw_limit, ops_limit: rate limits on bytes and on\n"
"                       requests, BUCKET as for --drive (note the '=' after\n"
"                       --rng: its items are optional)\n"
"\n"
"Balloon (virtio-balloon, Firecracker's balloon device; one at most):\n"
"  --balloon amount_mib=N[,deflate_on_oom][,stats_polling_interval_s=S]\n"
"            [,free_page_reporting]\n"
"                       a balloon the guest inflates to N MiB (0 to --memory;\n"
"                       PATCH /balloon changes it), served by an\n"
"                       azote-card-balloon; deflate_on_oom: the guest may\n"
"                       take pages back when out of memory; S: seconds\n"
"                       between the guest's statistics (1-65535; 0, the\n"
"                       default: none; GET /balloon/statistics);\n"
"                       free_page_reporting: the guest reports free pages,\n"
"                       which the host takes back (docs/api.md, \"Balloon\")\n"
"\n"
"Persistent memory (virtio-pmem, Firecracker's pmem devices; repeat for more):\n"
"  --pmem path=FILE[,id=ID][,ro][,root][,bw_limit=BUCKET][,ops_limit=BUCKET]\n"
"                       FILE (regular, not empty) mapped into the guest's\n"
"                       physical memory, shared: the guest's /dev/pmemN reads\n"
"                       and writes the file's pages, its flushes are served\n"
"                       by an azote-card-pmem; ro: mapped read-only (the\n"
"                       guest's writes are dropped); root: the guest's root\n"
"                       file system (root=/dev/pmemN); bw_limit, ops_limit:\n"
"                       rate limits on flushes (a flush costs the file's\n"
"                       length in bytes), BUCKET as for --drive; at most 8;\n"
"                       IDs as for drives, default pmem0, pmem1, ...\n"
"\n"
"API (Firecracker-compatible; see docs/api.md):\n"
"  --api-sock PATH      serve the HTTP API on this Unix socket\n"
"  --config-file FILE   the VM as Firecracker's JSON configuration; cannot\n"
"                       be combined with the guest and device options\n"
"  --no-api             no API socket (with --config-file or --kernel); with\n"
"                       --config-file and neither, the API is served on\n"
"                       " CLI_DEFAULT_API_SOCK ", as Firecracker serves it\n"
"  --id ID              the instance ID the API reports\n"
"  --http-api-max-payload-size BYTES\n"
"                       the largest request body the API takes (default 51200)\n"
"  --metadata FILE      the MMDS document to start with (JSON), as a PUT /mmds\n"
"  --mmds-size-limit BYTES\n"
"                       the largest MMDS document PUT and PATCH /mmds keep\n"
"                       (default: the body limit above)\n"
"\n"
"Snapshots (docs/snapshot.md; the API's PUT /snapshot/create and /snapshot/load):\n"
"  --restore SNAPSHOT   run the VM saved in SNAPSHOT (a state file written by\n"
"                       PUT /snapshot/create) from where it was paused: its\n"
"                       configuration, devices and RAM are the snapshot's, so\n"
"                       no VM option may be given. The API, if served, sees it\n"
"                       Running\n"
"  --restore-mem FILE   the guest memory file to restore (default: the\n"
"                       mem_file_path the snapshot was created with)\n"
"  --eager-mem          a restore (--restore or PUT /snapshot/load) reads the\n"
"                       whole memory file before the guest runs, instead of\n"
"                       loading each page when first touched (userfaultfd)\n"
"  --prefetch-mem       a restore from a memory file loads each page when first\n"
"                       touched and, while the guest runs, the pages it has not\n"
"                       touched yet (for a rollback; every clone then holds all\n"
"                       of its RAM)\n"
"  --describe-snapshot SNAPSHOT\n"
"                       print SNAPSHOT's format version (first line, as\n"
"                       Firecracker), then what it holds, and exit\n"
"  --snapshot-version   print the snapshot format version azote writes\n"
"\n"
"Logs and metrics (Firecracker's flags; the API's PUT /logger and PUT /metrics\n"
"at start-up):\n"
"  --level LEVEL        Error, Warning, Info, Debug, Trace or Off\n"
"  --log-path PATH      log to this file or FIFO instead of stderr\n"
"  --show-level, --show-log-origin\n"
"                       prefix each line with its level, its source file:line\n"
"  --module DIR         only lines from src/DIR\n"
"  --metrics-path PATH  write metrics lines to this file or FIFO\n"
"\n"
"Sandbox:\n"
"  --seccomp MODE       kill (default): each vCPU thread, the main thread,\n"
"                       the API's HTTP thread and the metrics writer run\n"
"                       under a seccomp allow-list of their own\n"
"                       (docs/security.md), and a call outside it kills\n"
"                       azote (SIGSYS); log: allow it and log it to the\n"
"                       kernel log; off: no filters. The cards azote starts\n"
"                       get the same mode.\n"
"  --no-seccomp         --seccomp off (Firecracker's spelling)\n"
"  --seccomp-filter FILE\n"
"                       Firecracker's compiled filters (seccompiler-bin's\n"
"                       output, 1.0-1.14 or 1.15+ format) instead of azote's\n"
"                       lists: \"vcpu\" on the vCPU threads, \"api\" on the\n"
"                       HTTP thread, \"vmm\" on the main thread and the\n"
"                       metrics writer; cards keep their own lists\n"
"  --card-user UID[:GID]|none\n"
"                       once a card holds its image or TAP, it moves into\n"
"                       mount, IPC and UTS namespaces of its own with an empty\n"
"                       root and runs as UID:GID with no capabilities. Needs\n"
"                       azote to run as root; default then 65534:65534\n"
"                       (nobody), and not confined when azote is not root.\n"
"                       none: cards keep azote's uid and namespaces\n"
"\n"
"Firecracker's other flags:\n"
"  --enable-pci         with --api-sock or --config-file: virtio-pci devices\n"
"                       (without it they are virtio-mmio, as Firecracker's)\n"
"  --start-time-us US, --start-time-cpu-us US, --parent-cpu-time-us US\n"
"                       what Firecracker's jailer passes: api_server's\n"
"                       process_startup_time_us and _cpu_us metrics\n"
"  --boot-timer         Firecracker's boot timer: a guest that writes the byte\n"
"                       123 to physical address 0xc0000000 once it has booted\n"
"                       has the time since the boot was requested logged at\n"
"                       info level (\"Guest-boot-time = US us MS ms, US CPU us\n"
"                       MS CPU ms\"; --log-level info or --level Info to see\n"
"                       it). Not after a restore\n"
"\n"
"Other:\n"
"  --log-level LEVEL    error, warning (default), info or debug\n"
"  --help, -h           this text (wherever it is on the line)\n"
"  --version            the Firecracker API version azote implements, then\n"
"                       azote's own\n"
"\n"
"Exit status: 0 when the guest shuts down or resets itself, 1 when azote\n"
"cannot start the VM, 2 when the guest faults (triple fault, KVM error,\n"
"unhandled exit; a register dump goes to stderr), 128+N when stopped by\n"
"signal N.\n";

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_BOOT_ENTRY, OPT_CPUS,
	OPT_MEMORY, OPT_HUGE_PAGES, OPT_DRIVE, OPT_VHOST_USER_BLK, OPT_NET, OPT_VHOST_USER_NET, OPT_VSOCK, OPT_RNG,
	OPT_BALLOON, OPT_PMEM,
	OPT_API_SOCK, OPT_CONFIG_FILE, OPT_NO_API, OPT_ID, OPT_CPU_TEMPLATE, OPT_LOG_LEVEL, OPT_HELP,
	OPT_VERSION, OPT_SECCOMP, OPT_NO_SECCOMP, OPT_CARD_USER, OPT_TRANSPORT,
	/* Firecracker's flags (firecracker --help) */
	OPT_LEVEL, OPT_LOG_PATH, OPT_SHOW_LEVEL, OPT_SHOW_LOG_ORIGIN, OPT_MODULE,
	OPT_METRICS_PATH, OPT_MAX_PAYLOAD, OPT_ENABLE_PCI, OPT_START_TIME,
	OPT_START_CPU_TIME, OPT_PARENT_CPU_TIME, OPT_SECCOMP_FILTER, OPT_BOOT_TIMER,
	OPT_METADATA, OPT_MMDS_SIZE_LIMIT, OPT_DESCRIBE_SNAPSHOT, OPT_SNAPSHOT_VERSION,
	OPT_RESTORE, OPT_RESTORE_MEM, OPT_EAGER_MEM, OPT_PREFETCH_MEM,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "boot-entry", required_argument, NULL, OPT_BOOT_ENTRY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "huge-pages", no_argument, NULL, OPT_HUGE_PAGES },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "vhost-user-blk", required_argument, NULL, OPT_VHOST_USER_BLK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "vhost-user-net", required_argument, NULL, OPT_VHOST_USER_NET },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "rng", optional_argument, NULL, OPT_RNG },
	{ "balloon", required_argument, NULL, OPT_BALLOON },
	{ "pmem", required_argument, NULL, OPT_PMEM },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "config-file", required_argument, NULL, OPT_CONFIG_FILE },
	{ "no-api", no_argument, NULL, OPT_NO_API },
	{ "id", required_argument, NULL, OPT_ID },
	{ "cpu-template", required_argument, NULL, OPT_CPU_TEMPLATE },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ "card-user", required_argument, NULL, OPT_CARD_USER },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "log-path", required_argument, NULL, OPT_LOG_PATH },
	{ "show-level", no_argument, NULL, OPT_SHOW_LEVEL },
	{ "show-log-origin", no_argument, NULL, OPT_SHOW_LOG_ORIGIN },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "metrics-path", required_argument, NULL, OPT_METRICS_PATH },
	{ "http-api-max-payload-size", required_argument, NULL, OPT_MAX_PAYLOAD },
	{ "enable-pci", no_argument, NULL, OPT_ENABLE_PCI },
	{ "start-time-us", required_argument, NULL, OPT_START_TIME },
	{ "start-time-cpu-us", required_argument, NULL, OPT_START_CPU_TIME },
	{ "parent-cpu-time-us", required_argument, NULL, OPT_PARENT_CPU_TIME },
	{ "seccomp-filter", required_argument, NULL, OPT_SECCOMP_FILTER },
	{ "boot-timer", no_argument, NULL, OPT_BOOT_TIMER },
	{ "metadata", required_argument, NULL, OPT_METADATA },
	{ "mmds-size-limit", required_argument, NULL, OPT_MMDS_SIZE_LIMIT },
	{ "describe-snapshot", required_argument, NULL, OPT_DESCRIBE_SNAPSHOT },
	{ "snapshot-version", no_argument, NULL, OPT_SNAPSHOT_VERSION },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "restore-mem", required_argument, NULL, OPT_RESTORE_MEM },
	{ "eager-mem", no_argument, NULL, OPT_EAGER_MEM },
	{ "prefetch-mem", no_argument, NULL, OPT_PREFETCH_MEM },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Replaces *dst with a copy of src. */
static int set_string(char **dst, const char *src, const char *opt, struct azerr *e)
{
	char *copy = strdup(src);

	if (!copy)
		return azerr_set(e, "%s: out of memory", opt);
	free(*dst);
	*dst = copy;
	return 0;
}

static int parse_boot_entry(const char *s, enum boot_entry_pref *out, struct azerr *e)
{
	if (!strcmp(s, "auto"))
		*out = BOOT_ENTRY_AUTO;
	else if (!strcmp(s, "pvh"))
		*out = BOOT_ENTRY_PVH;
	else if (!strcmp(s, "linux64"))
		*out = BOOT_ENTRY_LINUX64;
	else
		return azerr_set(e, "--boot-entry '%s': expected auto, pvh or linux64", s);
	return 0;
}


/* A device ID: what Firecracker accepts for drive_id and iface_id, plus
 * '-', and short enough for messages and socket names. */
static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= VM_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

static int set_id(char id[VM_ID_MAX], const char *opt, const char *val, struct azerr *e)
{
	if (!valid_id(val))
		return azerr_set(e, "%s id='%s': use 1-%d letters, digits, '_' or '-'",
				 opt, val, VM_ID_MAX - 1);
	snprintf(id, VM_ID_MAX, "%s", val);
	return 0;
}

static int bad_item(const char *opt, const char *key, const char *val, struct azerr *e)
{
	return azerr_set(e, "%s: unknown or malformed item '%s%s%s'", opt, key,
			 val ? "=" : "", val ? val : "");
}

/* A rate-limit item, KEY=SIZE/REFILL_MS[/ONE_TIME_BURST], into rl: 1 when
 * key (after its direction, for a NIC) is not one. */
static int limit_item(struct rate_limiter *rl, const char *opt, const char *key,
		      const char *name, const char *val, struct azerr *e)
{
	bool ops = !strcmp(name, "ops_limit");
	char what[64];

	if (!ops && strcmp(name, "bw_limit"))
		return 1;
	if (!val)
		return bad_item(opt, key, val, e);
	snprintf(what, sizeof(what), "%s %s=", opt, key);
	if (token_bucket_parse_short(what, val, ops ? &rl->ops : &rl->bandwidth, e) < 0)
		return -1;
	*(ops ? &rl->has_ops : &rl->has_bandwidth) = true;
	return 0;
}

/* One key[=value] item of a --drive / --vhost-user-blk list. */
static int drive_key(void *dev, bool vhost, const char *opt, const char *key,
		     const char *val, struct azerr *e)
{
	struct drive_config *d = dev;
	uint64_t v;
	bool flag = !val;
	int r;

	if (!strcmp(key, "id") && val)
		return set_id(d->id, opt, val, e);
	/* The card enforces limits: a back-end someone else runs does not. */
	if (!vhost && (r = limit_item(&d->rate_limiter, opt, key, key, val, e)) <= 0)
		return r;
	if (vhost) {
		if (!strcmp(key, "socket") && val)
			return set_string(&d->socket, val, opt, e);
	} else if (!strcmp(key, "path") && val) {
		return set_string(&d->path, val, opt, e);
	} else if (!strcmp(key, "ro") && flag) {
		d->read_only = true;
		return 0;
	} else if (!strcmp(key, "direct") && flag) {
		d->direct = true;
		return 0;
	} else if (!strcmp(key, "queues") && val) {
		if (parse_uint(val, 1, CARD_BLK_MAX_QUEUES, &v) < 0)
			return azerr_set(e, "%s queues='%s': expected 1 to %d", opt, val,
					 CARD_BLK_MAX_QUEUES);
		d->queues = (unsigned)v;
		return 0;
	} else if (!strcmp(key, "poll_us") && val) {
		if (parse_uint(val, 0, CARD_BLK_MAX_POLL_US, &v) < 0)
			return azerr_set(e, "%s poll_us='%s': expected 0 to %d", opt, val,
					 CARD_BLK_MAX_POLL_US);
		d->poll_us = (unsigned)v;
		d->has_poll_us = true;
		return 0;
	} else if (!strcmp(key, "uring") && val) {
		if (blk_uring_mode_parse(val, &d->uring) < 0)
			return azerr_set(e, "%s uring='%s': expected %s", opt, val, BLK_URING_MODES);
		return 0;
	}
	return bad_item(opt, key, val, e);
}

/* One key=value item of a --net / --vhost-user-net list. */
static int net_key(void *dev, bool vhost, const char *opt, const char *key,
		   const char *val, struct azerr *e)
{
	struct net_config *n = dev;
	char what[32];
	uint64_t v;
	int r;

	if (!val)
		return bad_item(opt, key, val, e);
	if (!strcmp(key, "id"))
		return set_id(n->id, opt, val, e);
	if (!strcmp(key, "mac")) {
		snprintf(what, sizeof(what), "%s mac=", opt);
		n->has_mac = !mac_parse(val, n->mac, what, e);
		return n->has_mac ? 0 : -1;
	}
	if (vhost && !strcmp(key, "socket"))
		return set_string(&n->socket, val, opt, e);
	if (!vhost && !strcmp(key, "tap")) {
		if (!ifname_valid(val))
			return azerr_set(e, "%s tap='%s': not an interface name (1-15 "
					 "characters, no '/', ':' or spaces)", opt, val);
		return set_string(&n->tap, val, opt, e);
	}
	bool rx = !strncmp(key, "rx_", 3);
	if (!vhost && (rx || !strncmp(key, "tx_", 3)) &&
	    (r = limit_item(rx ? &n->rx_rate_limiter : &n->tx_rate_limiter, opt, key, key + 3,
			    val, e)) <= 0)
		return r;
	if (!vhost && !strcmp(key, "queues")) {
		if (parse_uint(val, 1, CARD_NET_MAX_PAIRS, &v) < 0)
			return azerr_set(e, "%s queues='%s': expected 1 to %d queue pairs",
					 opt, val, CARD_NET_MAX_PAIRS);
		n->queues = (unsigned)v;
		return 0;
	}
	return bad_item(opt, key, val, e);
}

/* One key=value item of a --vsock list. */
static int vsock_key(void *dev, bool vhost, const char *opt, const char *key,
		     const char *val, struct azerr *e)
{
	struct vsock_config *v = dev;
	const char *why;
	uint64_t n;

	(void)vhost;
	if (!val)
		return bad_item(opt, key, val, e);
	if (!strcmp(key, "id"))
		return set_id(v->id, opt, val, e);
	if (!strcmp(key, "cid")) {
		if (parse_uint(val, CARD_VSOCK_MIN_CID, UINT32_MAX, &n) < 0)
			return azerr_set(e, "%s cid='%s': expected %d to %u", opt, val,
					 CARD_VSOCK_MIN_CID, UINT32_MAX);
		v->guest_cid = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "uds")) {
		if ((why = card_vsock_uds_problem(val)))
			return azerr_set(e, "%s uds='%s': %s", opt, val, why);
		return set_string(&v->uds_path, val, opt, e);
	}
	return bad_item(opt, key, val, e);
}

/* A --vsock needs both its CID and its socket. */
static int vsock_done(const struct vm_config *c, const void *dev, const char *opt,
		      const char *arg, struct azerr *e)
{
	const struct vsock_config *v = dev;

	(void)c;
	return v->guest_cid ? 0 : azerr_set(e, "%s '%s': cid= is required", opt, arg);
}

/* One key=value item of a --rng list. */
static int rng_key(void *dev, bool vhost, const char *opt, const char *key,
		   const char *val, struct azerr *e)
{
	struct rng_config *r = dev;
	int ret;

	(void)vhost;
	if (!strcmp(key, "id") && val)
		return set_id(r->id, opt, val, e);
	if ((ret = limit_item(&r->rate_limiter, opt, key, key, val, e)) <= 0)
		return ret;
	return bad_item(opt, key, val, e);
}

/* One key[=value] item of a --balloon list: Firecracker's field names. */
static int balloon_key(void *dev, bool vhost, const char *opt, const char *key,
		       const char *val, struct azerr *e)
{
	struct balloon_config *b = dev;
	uint64_t v;

	(void)vhost;
	if (!strcmp(key, "amount_mib") && val) {
		if (parse_uint(val, 0, UINT32_MAX, &v) < 0)
			return azerr_set(e, "%s amount_mib='%s': expected 0 to %u MiB", opt, val,
					 UINT32_MAX);
		b->amount_mib = (uint32_t)v;
		return 0;
	}
	if (!strcmp(key, "stats_polling_interval_s") && val) {
		if (parse_uint(val, 0, CARD_BALLOON_MAX_STATS_INTERVAL, &v) < 0)
			return azerr_set(e, "%s stats_polling_interval_s='%s': expected 0 to %u "
					 "seconds", opt, val, CARD_BALLOON_MAX_STATS_INTERVAL);
		b->stats_polling_interval_s = (uint16_t)v;
		return 0;
	}
	if (!strcmp(key, "deflate_on_oom") && !val) {
		b->deflate_on_oom = true;
		return 0;
	}
	if (!strcmp(key, "free_page_reporting") && !val) {
		b->free_page_reporting = true;
		return 0;
	}
	if (!strcmp(key, "free_page_hinting"))
		return azerr_set(e, "%s free_page_hinting: azote does not implement free page "
				 "hinting (Firecracker's developer preview)", opt);
	return bad_item(opt, key, val, e);
}

/* One key[=value] item of a --pmem list: Firecracker's fields, short. */
static int pmem_key(void *dev, bool vhost, const char *opt, const char *key,
		    const char *val, struct azerr *e)
{
	struct pmem_config *p = dev;
	int ret;

	(void)vhost;
	if (!strcmp(key, "id") && val)
		return set_id(p->id, opt, val, e);
	if (!strcmp(key, "path") && val)
		return set_string(&p->path, val, opt, e);
	if (!strcmp(key, "ro") && !val) {
		p->read_only = true;
		return 0;
	}
	if (!strcmp(key, "root") && !val) {
		p->root_device = true;
		return 0;
	}
	if ((ret = limit_item(&p->rate_limiter, opt, key, key, val, e)) <= 0)
		return ret;
	return bad_item(opt, key, val, e);
}

/* A second root pmem device is refused, as by Firecracker. */
static int pmem_done(const struct vm_config *c, const void *dev, const char *opt,
		     const char *arg, struct azerr *e)
{
	const char *why = vm_pmem_root_conflict(c, dev);

	return why ? azerr_set(e, "%s '%s': %s", opt, arg, why) : 0;
}

typedef int item_fn(void *dev, bool vhost, const char *opt, const char *key,
		    const char *val, struct azerr *e);

/* The options that add a device: which list of vm_config it joins, its
 * items, and the item it cannot do without. */
struct device_opt {
	const char *opt;
	const struct vm_device_list *list;
	bool vhost;                 /* served by someone else's back-end */
	item_fn *item;
	const char *required;       /* NULL: the list may be empty */
	/* Checks the device once every item is in, against the devices before
	 * it in c (NULL: nothing more). */
	int (*done)(const struct vm_config *c, const void *dev, const char *opt, const char *arg,
		    struct azerr *e);
};

static const struct device_opt device_opts[] = {
	[OPT_DRIVE - OPT_DRIVE] = { "--drive", &vm_drives, false, drive_key, "path", NULL },
	[OPT_VHOST_USER_BLK - OPT_DRIVE] = { "--vhost-user-blk", &vm_drives, true, drive_key,
					     "socket", NULL },
	[OPT_NET - OPT_DRIVE] = { "--net", &vm_nets, false, net_key, "tap", NULL },
	[OPT_VHOST_USER_NET - OPT_DRIVE] = { "--vhost-user-net", &vm_nets, true, net_key,
					     "socket", NULL },
	[OPT_VSOCK - OPT_DRIVE] = { "--vsock", &vm_vsocks, false, vsock_key, "uds", vsock_done },
	[OPT_RNG - OPT_DRIVE] = { "--rng", &vm_rngs, false, rng_key, NULL, NULL },
	[OPT_BALLOON - OPT_DRIVE] = { "--balloon", &vm_balloons, false, balloon_key, "amount_mib",
				      NULL },
	[OPT_PMEM - OPT_DRIVE] = { "--pmem", &vm_pmems, false, pmem_key, "path", pmem_done },
};

/* Calls d->item for each key[=value] item of a comma-separated list; sets
 * *required when d->required was among them. */
static int parse_items(const char *arg, const struct device_opt *d, void *dev,
		       bool *required, struct azerr *e)
{
	char *copy = strdup(arg), *item, *save = NULL;
	int ret = 0;

	if (!copy)
		return azerr_set(e, "%s: out of memory", d->opt);
	for (item = strtok_r(copy, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq)
			*eq = '\0';
		ret = d->item(dev, d->vhost, d->opt, item, eq ? eq + 1 : NULL, e);
		*required |= eq && d->required && !strcmp(item, d->required);
	}
	free(copy);
	return ret;
}

/* A device without an ID gets the first free "<prefix><n>" (drive0,
 * net1, ...); an ID given twice is refused. */
static int settle_id(const struct vm_config *c, const struct device_opt *d, char *id,
		     struct azerr *e)
{
	if (id[0])
		return vm_config_find(c, d->list, id) >= 0
			? azerr_set(e, "%s: id '%s' is used twice", d->opt, id) : 0;
	for (unsigned n = vm_device_count(c, d->list);
	     !id[0] || vm_config_find(c, d->list, id) >= 0; n++)
		snprintf(id, VM_ID_MAX, "%s%u", d->list->id_prefix, n);
	return 0;
}

/* --drive, --vhost-user-blk, --net, --vhost-user-net: one more device. */
static int parse_device(struct vm_config *c, const char *arg, const struct device_opt *d,
			struct azerr *e)
{
	unsigned n = vm_device_count(c, d->list);
	bool required = false;

	if (n == d->list->max)
		return d->list->max == 1
			? azerr_set(e, "%s: at most one %s", d->opt, d->list->noun)
			: azerr_set(e, "%s: at most %u %ss", d->opt, d->list->max, d->list->noun);
	void *dev = vm_device(c, d->list, n);
	/* Not counted yet: settle_id looks at the others only. */
	char *id = (char *)vm_device_id(d->list, dev);
	d->list->free(dev);
	int ret = parse_items(arg, d, dev, &required, e);
	if (!ret && d->required && !required)
		ret = azerr_set(e, "%s '%s': %s= is required", d->opt, arg, d->required);
	if (!ret && d->done)
		ret = d->done(c, dev, d->opt, arg, e);
	if (!ret)
		ret = settle_id(c, d, id, e);
	if (ret) {
		d->list->free(dev);
		return -1;
	}
	vm_device_added(c, d->list);
	return 0;
}

/* Firecracker's logger flags: a PUT /logger given at start-up. */
static int parse_logger_flag(int opt, const char *arg, struct logger_config *l,
			     struct azerr *e)
{
	enum log_level level;

	l->configured = true;
	switch (opt) {
	case OPT_LEVEL:
		if (strcasecmp(arg, "off") && log_parse_level(arg, &level) < 0)
			return azerr_set(e, "--level '%s': expected Error, Warning, Info, Debug, "
					 "Trace or Off", arg);
		return set_string(&l->level, arg, "--level", e);
	case OPT_LOG_PATH:
		return set_string(&l->log_path, arg, "--log-path", e);
	case OPT_SHOW_LEVEL:
		l->show_level = true;
		return 0;
	case OPT_SHOW_LOG_ORIGIN:
		l->show_log_origin = true;
		return 0;
	default: /* OPT_MODULE */
		if (!*arg || strlen(arg) > 100 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") != strlen(arg))
			return azerr_set(e, "--module '%s': a directory or file under src/ (1-100 "
					 "letters, digits, '_', '-', '.', '/')", arg);
		return set_string(&l->module, arg, "--module", e);
	}
}

/* A number of microseconds Firecracker's jailer passes. */
static int parse_us(const char *opt, const char *arg, uint64_t *out, bool *given,
		    struct azerr *e)
{
	if (parse_uint(arg, 0, UINT64_MAX, out) < 0)
		return azerr_set(e, "%s '%s': expected a number of microseconds", opt, arg);
	if (given)
		*given = true;
	return 0;
}

/* A limit in bytes, 1 to 1 GiB (the API's body, the MMDS document). */
static int parse_bytes(const char *opt, const char *arg, size_t *out, struct azerr *e)
{
	uint64_t v;

	if (parse_uint(arg, 1, 1 << 30, &v) < 0)
		return azerr_set(e, "%s '%s': expected a number of bytes from 1 to %d", opt, arg,
				 1 << 30);
	*out = (size_t)v;
	return 0;
}

static int parse_fc_flag(int opt, const char *arg, struct vm_config *c, struct cli_opts *o,
			 struct azerr *e)
{
	switch (opt) {
	case OPT_LEVEL: case OPT_LOG_PATH: case OPT_SHOW_LEVEL: case OPT_SHOW_LOG_ORIGIN:
	case OPT_MODULE:
		return parse_logger_flag(opt, arg, &c->logger, e);
	case OPT_METRICS_PATH:
		return set_string(&c->metrics_path, arg, "--metrics-path", e);
	case OPT_MAX_PAYLOAD:
		return parse_bytes("--http-api-max-payload-size", arg, &o->max_payload, e);
	case OPT_METADATA:
		return set_string(&o->metadata, arg, "--metadata", e);
	case OPT_MMDS_SIZE_LIMIT:
		return parse_bytes("--mmds-size-limit", arg, &o->mmds_size_limit, e);
	case OPT_ENABLE_PCI:
		o->enable_pci = true;
		return 0;
	case OPT_BOOT_TIMER:
		c->boot_timer = true;
		return 0;
	case OPT_START_TIME:
		return parse_us("--start-time-us", arg, &o->start_time_us, &o->has_start_time, e);
	case OPT_START_CPU_TIME:
		return parse_us("--start-time-cpu-us", arg, &o->start_cpu_time_us,
				&o->has_start_cpu_time, e);
	default: /* OPT_PARENT_CPU_TIME */
		return parse_us("--parent-cpu-time-us", arg, &o->parent_cpu_time_us, NULL, e);
	}
}

static int parse_one(int opt, const char *arg, struct vm_config *c,
		     struct cli_opts *o, struct azerr *e)
{
	uint64_t v;

	switch (opt) {
	case OPT_KERNEL:
		return set_string(&c->kernel_path, arg, "--kernel", e);
	case OPT_INITRD:
		return set_string(&c->initrd_path, arg, "--initrd", e);
	case OPT_CMDLINE:
		return set_string(&c->cmdline, arg, "--cmdline", e);
	case OPT_BOOT_ENTRY:
		return parse_boot_entry(arg, &c->entry_pref, e);
	case OPT_CPUS:
		if (parse_uint(arg, 1, 1024, &v) < 0)
			return azerr_set(e, "--cpus '%s': expected a number from 1 to 1024", arg);
		c->nr_cpus = (unsigned)v;
		return 0;
	case OPT_MEMORY:
		if (parse_size(arg, 1ULL << 20, &v) < 0)
			return azerr_set(e, "--memory '%s': expected a size such as 512M or 2G", arg);
		c->mem_bytes = v;
		return 0;
	case OPT_HUGE_PAGES:
		c->huge_pages = true;
		return 0;
	case OPT_DRIVE:
	case OPT_VHOST_USER_BLK:
	case OPT_NET:
	case OPT_VHOST_USER_NET:
	case OPT_VSOCK:
	case OPT_RNG:
	case OPT_BALLOON:
	case OPT_PMEM:
		/* --rng alone: an entropy device with no limit. */
		return parse_device(c, arg ? arg : "", &device_opts[opt - OPT_DRIVE], e);
	case OPT_API_SOCK:
		return set_string(&o->api_sock, arg, "--api-sock", e);
	case OPT_CONFIG_FILE:
		return set_string(&o->config_file, arg, "--config-file", e);
	case OPT_CPU_TEMPLATE:
		return set_string(&o->cpu_template, arg, "--cpu-template", e);
	case OPT_NO_API:
		o->no_api = true;
		return 0;
	case OPT_ID:
		if (!valid_id(arg))
			return azerr_set(e, "--id '%s': use 1-%d letters, digits, '_' or '-'",
					 arg, VM_ID_MAX - 1);
		return set_string(&o->id, arg, "--id", e);
	case OPT_LOG_LEVEL:
		if (log_parse_level(arg, &o->log_level) < 0)
			return azerr_set(e, "--log-level '%s': expected error, warning, info or debug", arg);
		o->log_level_given = true;
		return 0;
	case OPT_SECCOMP:
	case OPT_NO_SECCOMP:
		if (o->seccomp_given)
			return azerr_set(e, "--seccomp or --no-seccomp given twice: give one");
		o->seccomp_given = true;
		if (opt == OPT_NO_SECCOMP)
			o->seccomp = JAIL_SECCOMP_OFF;
		else if (jail_seccomp_parse(arg, &o->seccomp) < 0)
			return azerr_set(e, "--seccomp '%s': expected kill, log or off", arg);
		return 0;
	case OPT_SECCOMP_FILTER:
		return set_string(&o->seccomp_filter, arg, "--seccomp-filter", e);
	case OPT_CARD_USER:
		if (o->card_user_given)
			return azerr_set(e, "--card-user given twice: give one");
		o->card_user_given = true;
		o->card_confine = strcmp(arg, "none") != 0;
		if (o->card_confine &&
		    jail_identity_parse("--card-user", arg, &o->card_user, e) < 0)
			return -1;
		return 0;
	case OPT_TRANSPORT:
		if (!strcmp(arg, "pci"))
			c->transport = VM_TRANSPORT_PCI;
		else if (!strcmp(arg, "mmio"))
			c->transport = VM_TRANSPORT_MMIO;
		else
			return azerr_set(e, "--transport '%s': expected pci or mmio", arg);
		o->transport_given = true;
		return 0;
	case OPT_RESTORE:
		return set_string(&o->restore, arg, "--restore", e);
	case OPT_RESTORE_MEM:
		return set_string(&o->restore_mem, arg, "--restore-mem", e);
	case OPT_EAGER_MEM:
		o->eager_mem = true;
		return 0;
	case OPT_PREFETCH_MEM:
		o->prefetch_mem = true;
		return 0;
	case OPT_DESCRIBE_SNAPSHOT:
		o->action = CLI_DESCRIBE_SNAPSHOT;
		return set_string(&o->describe_snapshot, arg, "--describe-snapshot", e);
	case OPT_SNAPSHOT_VERSION:
		o->action = CLI_SNAPSHOT_VERSION;
		return 0;
	case OPT_HELP:
		o->action = CLI_HELP;
		return 0;
	case OPT_VERSION:
		o->action = CLI_VERSION;
		return 0;
	default:
		return parse_fc_flag(opt, arg, c, o, e);
	}
}

void cli_opts_free(struct cli_opts *o)
{
	free(o->api_sock);
	free(o->config_file);
	free(o->cpu_template);
	free(o->id);
	free(o->seccomp_filter);
	free(o->describe_snapshot);
	free(o->restore);
	free(o->restore_mem);
	free(o->metadata);
	o->metadata = NULL;
	o->api_sock = o->config_file = o->cpu_template = o->id = NULL;
	o->seccomp_filter = NULL;
	o->describe_snapshot = o->restore = o->restore_mem = NULL;
}

/* The options that describe the VM itself (as opposed to how azote runs). */
static bool is_vm_option(int opt)
{
	return opt == OPT_KERNEL || opt == OPT_INITRD || opt == OPT_CMDLINE ||
	       opt == OPT_BOOT_ENTRY || opt == OPT_CPUS || opt == OPT_MEMORY ||
	       opt == OPT_HUGE_PAGES ||
	       opt == OPT_CPU_TEMPLATE || opt == OPT_DRIVE || opt == OPT_VHOST_USER_BLK ||
	       opt == OPT_NET || opt == OPT_VHOST_USER_NET || opt == OPT_VSOCK ||
	       opt == OPT_RNG || opt == OPT_BALLOON || opt == OPT_PMEM;
}

/* Firecracker's devices are virtio-mmio unless --enable-pci (since 1.14);
 * azote's own command line keeps virtio-pci. A VM described through
 * Firecracker's interfaces (the API, the config file) gets Firecracker's
 * choice unless --transport says otherwise. */
static int settle_transport(struct vm_config *c, const struct cli_opts *o, struct azerr *e)
{
	if (o->transport_given && o->enable_pci && c->transport != VM_TRANSPORT_PCI)
		return azerr_set(e, "--transport mmio and --enable-pci contradict each other");
	if (!o->transport_given && (o->api_sock || o->config_file))
		c->transport = o->enable_pci ? VM_TRANSPORT_PCI : VM_TRANSPORT_MMIO;
	return 0;
}

static int check_modes(const struct vm_config *c, const struct cli_opts *o, struct azerr *e)
{
	if (o->restore && (o->vm_options || o->config_file))
		return azerr_set(e, "--restore runs the VM its snapshot describes: it cannot be "
				 "combined with --config-file, --kernel, --drive and the other VM "
				 "options");
	if (o->restore_mem && !o->restore)
		return azerr_set(e, "--restore-mem needs --restore");
	if (o->eager_mem && o->prefetch_mem)
		return azerr_set(e, "--eager-mem reads the memory file before the guest runs, "
				 "--prefetch-mem while it runs: give one");
	if (o->config_file && o->vm_options)
		return azerr_set(e, "--config-file describes the whole VM: it cannot be combined "
				 "with --kernel, --drive and the other VM options");
	if (o->log_level_given && c->logger.level)
		return azerr_set(e, "--log-level and --level both set the log level: give one");
	if (o->no_api && o->api_sock)
		return azerr_set(e, "--no-api and --api-sock contradict each other");
	/* Once --memory is known, whatever the order: Firecracker's
	 * TooManyPagesRequested. */
	char why[128];
	if (c->nr_balloons && vm_balloon_too_large(c->balloons[0].amount_mib, c->mem_bytes,
						   "--balloon amount_mib", why, sizeof(why)))
		return azerr_set(e, "%s (--memory)", why);
	if (c->huge_pages && c->mem_bytes % GUEST_MEM_HUGE_PAGE)
		return azerr_set(e, "--memory %lluM on --huge-pages: not a whole number of "
				 "2 MiB pages", (unsigned long long)(c->mem_bytes >> 20));
	/* As Firecracker, which forbids --seccomp-filter with --no-seccomp. */
	if (o->seccomp_filter && o->seccomp_given)
		return azerr_set(e, "--seccomp-filter replaces azote's own filters: it cannot be "
				 "combined with --seccomp or --no-seccomp");
	if (o->no_api && !o->config_file && !c->kernel_path && !o->restore)
		return azerr_set(e, "--no-api needs --config-file, --kernel or --restore: nothing "
				 "could start the VM");
	if (!o->config_file && !c->kernel_path && !o->api_sock && !o->restore)
		return azerr_set(e, "nothing to boot: give --kernel PATH, --config-file FILE, "
				 "--restore SNAPSHOT or --api-sock PATH (see --help)");
	return 0;
}

/* Whether a bare --rng was given: its items, if any, must follow an '=',
 * which a user writing "--rng ops_limit=..." may not expect. */
static bool rng_alone(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--rng"))
			return true;
	return false;
}

int cli_parse(int argc, char **argv, struct vm_config *c, struct cli_opts *o,
	      struct azerr *e)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->action = CLI_RUN;
	o->log_level = LOG_WARN;
	switch (args_ask(argc, argv)) {
	case ARGS_HELP:
		o->action = CLI_HELP;
		return 0;
	case ARGS_VERSION:
		o->action = CLI_VERSION;
		return 0;
	case ARGS_RUN:
		break;
	}
	opterr = 0;
	optind = 0; /* full re-initialisation, so the parser can run again */
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == '?')
			return args_refuse(argc, argv, optind, optopt, " (see --help)", e);
		if (parse_one(opt, optarg, c, o, e) < 0)
			return -1;
		o->vm_options |= is_vm_option(opt);
	}
	if (optind < argc)
		return azerr_set(e, "unexpected argument '%s' (see --help)%s", argv[optind],
				 rng_alone(argc, argv) ? "; --rng takes its items after '=', as "
				 "--rng=ITEMS" : "");
	if (o->action != CLI_RUN)
		return 0;
	if (check_modes(c, o, e) < 0 || settle_transport(c, o, e) < 0)
		return -1;
	/* Firecracker serves its API unless --no-api, on /run/firecracker.socket
	 * unless --api-sock; a client that starts it with only --config-file
	 * (Kata, through the jailer) looks there. */
	if (o->config_file && !o->api_sock && !o->no_api)
		return set_string(&o->api_sock, CLI_DEFAULT_API_SOCK, "--api-sock", e);
	return 0;
}
