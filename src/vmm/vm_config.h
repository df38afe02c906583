/* What a microVM is made of: the one configuration model that the command
 * line, the config file and the HTTP API all fill, and that the VMM boots
 * from. Strings are owned (malloc'd) by the config; vm_config_free releases
 * them. Field names follow Firecracker's API where one exists. */
#ifndef AZOTE_VMM_VM_CONFIG_H
#define AZOTE_VMM_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
/* struct token_bucket and struct rate_limiter: the card interface's, since
 * the cards get them on their command line. */
#include "iface/blk_uring.h"
#include "iface/rate_limit.h"

struct cpu_template;

#define VM_MAX_DRIVES 16
#define VM_MAX_NETS   16
#define VM_MAX_VSOCKS 1    /* Firecracker's one vsock device */
#define VM_MAX_RNGS   1    /* Firecracker's one entropy device */
#define VM_MAX_BALLOONS 1  /* Firecracker's one balloon device */
#define VM_MAX_PMEMS  8
#define VM_ID_MAX     64   /* drive_id / iface_id, including the NUL */

/* Firecracker's cache_type, kept and shown (GET /vm/config) but not passed
 * on: the block card always offers VIRTIO_BLK_F_FLUSH and syncs on a
 * flush, so Unsafe is as safe as Writeback. */
enum drive_cache_type { DRIVE_CACHE_UNSAFE, DRIVE_CACHE_WRITEBACK };
/* Firecracker's io_engine, kept and shown but not passed on: the block
 * card always uses io_uring. */
enum drive_io_engine { DRIVE_IO_SYNC, DRIVE_IO_ASYNC };

struct drive_config {
	char id[VM_ID_MAX];
	char *path;          /* image for a card azote starts; NULL with socket */
	char *socket;        /* vhost-user socket someone else serves */
	bool read_only;
	bool is_root_device;
	bool direct;         /* O_DIRECT in the card */
	unsigned queues;     /* 0: card default */
	bool has_poll_us;    /* else the card's default polling */
	unsigned poll_us;
	enum blk_uring_mode uring;  /* the card's io_uring set-up (iface/blk_uring.h) */
	/* Firecracker's Drive fields beyond the above. partuuid: with
	 * is_root_device, the kernel gets root=PARTUUID=<partuuid>. */
	char *partuuid;
	enum drive_cache_type cache_type;
	enum drive_io_engine io_engine;
	struct rate_limiter rate_limiter;
};

struct net_config {
	char id[VM_ID_MAX];
	char *tap;           /* host TAP device name */
	char *socket;        /* vhost-user-net socket someone else serves */
	uint8_t mac[6];
	bool has_mac;
	unsigned queues;     /* queue pairs, 0: 1 */
	unsigned mtu;        /* advertised with VIRTIO_NET_F_MTU; 0: not */
	struct rate_limiter rx_rate_limiter, tx_rate_limiter;
	/* Named in MMDS's network_interfaces: its card answers the guest's
	 * MMDS requests. A new PUT of the interface clears it, as
	 * Firecracker's new device has no MMDS stack. */
	bool mmds;
};

/* Firecracker's Vsock: guest_cid and uds_path, served by azote's vsock
 * card; id is Firecracker's deprecated vsock_id ("vsock" by default). */
struct vsock_config {
	char id[VM_ID_MAX];
	char *uds_path;      /* the host socket the card creates */
	char *socket;        /* always NULL: no one else's vsock back-end */
	uint32_t guest_cid;  /* 3 and above */
};

/* Firecracker's Entropy device (PUT /entropy): virtio-rng served by
 * azote's rng card, with its optional rate_limiter. */
struct rng_config {
	char id[VM_ID_MAX];
	char *socket;        /* always NULL: no one else's rng back-end */
	struct rate_limiter rate_limiter;
};

/* Firecracker's Balloon (PUT /balloon): virtio-balloon served by azote's
 * balloon card. amount_mib is the target (the device configuration's
 * num_pages, azote's to set: PATCH /balloon changes it after boot);
 * stats_polling_interval_s 0 means no statistics (PATCH
 * /balloon/statistics changes a non-zero one). Firecracker's
 * free_page_hinting is refused: azote does not implement it. */
struct balloon_config {
	char id[VM_ID_MAX];
	char *socket;        /* always NULL: no one else's balloon back-end */
	uint32_t amount_mib;
	bool deflate_on_oom;
	uint16_t stats_polling_interval_s;
	bool free_page_reporting;
};

/* Firecracker's Pmem (PUT /pmem/{id}, since 1.14): virtio-pmem, the file
 * at path mapped into the guest's physical address space by azote
 * (vmm/pmem_region.h), its flush requests served by azote's pmem card.
 * root_device: the kernel gets root=/dev/pmemN (N its place among the
 * pmem devices), rw or, with read_only, ro; read_only maps the file
 * read-only, and the guest's writes to it are dropped. */
struct pmem_config {
	char id[VM_ID_MAX];
	char *path;
	char *socket;        /* always NULL: no one else's pmem back-end */
	bool root_device;
	bool read_only;
	struct rate_limiter rate_limiter;
};

/* Firecracker's Logger: where azote's own log lines go. */
struct logger_config {
	bool configured;     /* set by PUT /logger or the config file */
	char *log_path;      /* NULL: stderr */
	char *level;         /* "Error" ... "Off" as given; NULL: Info */
	bool show_level;
	bool show_log_origin;
	char *module;        /* only lines from src/<module>; NULL: all */
};

/* Firecracker's serial console settings (PUT /serial): COM1's output to a
 * file or FIFO instead of stdout (NULL: stdout, with stdin as its input),
 * and a token bucket on its bytes, beyond which they are dropped. The
 * process's, as the logger is: a snapshot does not carry them. */
struct serial_config {
	char *out_path;
	bool has_limit;
	struct token_bucket limit;
};

/* Firecracker's MMDS: the settings of PUT /mmds/config (or the config
 * file's mmds-config) and the document of PUT and PATCH /mmds, which the
 * net cards of the interfaces marked mmds serve to the guest. */
#define VM_MMDS_DEFAULT_IPV4 0xa9fea9feu  /* 169.254.169.254, host order */
struct mmds_settings {
	uint8_t version;     /* 1 or 2 */
	bool imds_compat;
	uint32_t ipv4;       /* host byte order */
	/* The document as compact JSON with sorted keys (what GET /mmds
	 * returns and the cards get); NULL until a PUT /mmds. */
	char *data;
};

/* How virtio devices are shown to the guest: virtio-pci with MSI-X
 * (azote's own default), or virtio-mmio with a legacy interrupt line each,
 * described on the kernel command line and in ACPI (Firecracker's default
 * unless --enable-pci). */
enum vm_transport { VM_TRANSPORT_PCI, VM_TRANSPORT_MMIO };

struct vm_config {
	/* boot-source */
	char *kernel_path;
	char *initrd_path;
	char *cmdline;
	enum boot_entry_pref entry_pref;
	/* machine-config */
	unsigned nr_cpus;
	uint64_t mem_bytes;
	/* devices */
	struct drive_config drives[VM_MAX_DRIVES];
	unsigned nr_drives;
	struct net_config nets[VM_MAX_NETS];
	unsigned nr_nets;
	struct vsock_config vsocks[VM_MAX_VSOCKS];
	unsigned nr_vsocks;
	struct rng_config rngs[VM_MAX_RNGS];
	unsigned nr_rngs;
	struct balloon_config balloons[VM_MAX_BALLOONS];
	unsigned nr_balloons;
	struct pmem_config pmems[VM_MAX_PMEMS];
	unsigned nr_pmems;
	enum vm_transport transport;
	/* machine-config beyond the CPU count and memory size: smt exposes
	 * two threads per core in CPUID; track_dirty_pages asks for
	 * KVM_MEM_LOG_DIRTY_PAGES on guest RAM. */
	bool smt;
	bool track_dirty_pages;
	/* Firecracker's huge_pages "2M": guest RAM on 2 MiB hugetlbfs pages
	 * (base/guest_mem.h), its size a multiple of 2 MiB. */
	bool huge_pages;
	/* Firecracker's --boot-timer (its VmResources.boot_timer): a boot
	 * puts its boot timer on the bus (devices/boot_timer.h). A process
	 * flag, not the machine's: a snapshot does not record it, and a
	 * restore has no boot timer. */
	bool boot_timer;
	/* cpu-config: CPUID bits pinned for the guest, or NULL (owned) */
	struct cpu_template *cpu_template;
	/* logger and metrics (Firecracker's PUT /logger, PUT /metrics) */
	struct logger_config logger;
	char *metrics_path;  /* NULL: no metrics */
	struct serial_config serial;
	struct mmds_settings mmds;
};

#define VM_DEFAULT_CPUS 1
#define VM_DEFAULT_MEM  (128ULL << 20)

void vm_config_init(struct vm_config *c);
void vm_config_free(struct vm_config *c);
/* Whether any interface answers MMDS (Firecracker's MMDS exists after
 * boot only then). */
bool vm_config_has_mmds(const struct vm_config *c);
/* Frees what one drive / net entry owns and zeroes it. */
void drive_config_free(struct drive_config *d);
void net_config_free(struct net_config *n);
void vsock_config_free(struct vsock_config *v);
void rng_config_free(struct rng_config *r);
void balloon_config_free(struct balloon_config *b);
void pmem_config_free(struct pmem_config *p);

/* Where a vm_config keeps the devices of one kind, as data, so that code
 * that only names, counts, finds and frees them (the command line, the
 * device kinds of vmm/device_kind.h) needs no "drive or NIC?". */
struct vm_device_list {
	const char *noun;        /* "drive": "at most 16 drives" */
	const char *id_prefix;   /* ids given by default: drive0, drive1, ... */
	unsigned max;            /* elements of the array */
	/* offsetof the array and its count in struct vm_config, the size of
	 * an element, and offsetof its id and socket fields */
	size_t list, count, size, id, socket;
	void (*free)(void *dev); /* what one element owns, then zeroes it */
};

extern const struct vm_device_list vm_drives, vm_nets, vm_vsocks, vm_rngs, vm_balloons,
	vm_pmems;

unsigned vm_device_count(const struct vm_config *c, const struct vm_device_list *l);
/* Why a balloon of amount_mib does not fit a guest of mem_bytes (field
 * names the value: "balloon.amount_mib"), or NULL; the text is in buf. */
const char *vm_balloon_too_large(uint32_t amount_mib, uint64_t mem_bytes, const char *field,
				 char *buf, size_t len);
void *vm_device(struct vm_config *c, const struct vm_device_list *l, unsigned i);
const void *vm_device_const(const struct vm_config *c, const struct vm_device_list *l,
			    unsigned i);
/* Makes dev (an element of l, copied in) the one device of l, freeing the
 * one there was: a second PUT /vsock, /entropy or /balloon replaces the
 * first, as Firecracker's. */
void vm_device_set_only(struct vm_config *c, const struct vm_device_list *l, const void *dev);
/* Counts one more device: the element after the last, filled in. */
void vm_device_added(struct vm_config *c, const struct vm_device_list *l);
const char *vm_device_id(const struct vm_device_list *l, const void *dev);
const char *vm_device_socket(const struct vm_device_list *l, const void *dev);
/* Index of the device of that list with that id, -1 when there is none. */
int vm_config_find(const struct vm_config *c, const struct vm_device_list *l,
		   const char *id);

/* The kernel command line to boot with: the configured one plus, when a
 * drive or a pmem device is the root device, Firecracker's root= argument
 * ("root=/dev/vda rw", "root=PARTUUID=<id> ro", "root=/dev/pmem1 ro",
 * ...). The root drive is drives[0] (the first virtio-blk device, hence
 * /dev/vda); a root pmem device is /dev/pmemN, N its index. Returns a
 * malloc'd string, or NULL when out of memory. */
char *vm_config_boot_cmdline(const struct vm_config *c);

/* Why pmem device p (its id, root_device) cannot join c, as Firecracker
 * refuses it (a second root device: a drive's or another pmem device's;
 * a device of p's id is replaced, so it does not count), or NULL. */
const char *vm_pmem_root_conflict(const struct vm_config *c, const struct pmem_config *p);
/* Whether some pmem device is the root device (a drive may not be then). */
bool vm_config_has_pmem_root(const struct vm_config *c);

/* cmdline with args added among the kernel's arguments: before a "--"
 * token (what follows it is init's), else at the end. malloc'd, or NULL
 * when out of memory. */
char *cmdline_add(const char *cmdline, const char *args);

#endif
