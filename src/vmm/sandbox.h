/* azote's own seccomp allow-lists, one per thread role, each installed by
 * the thread itself before it does what its role exposes: a vCPU thread
 * before its first KVM_RUN (every guest-facing device model runs there), the
 * main thread before its event loop serves the running VM, the API's HTTP
 * thread before it reads its first request. Each list holds only what that
 * role calls from then on: the main thread builds the VM (files, fork/exec
 * of cards, KVM set-up) before its filter, and handles every API request,
 * so the HTTP thread only moves bytes. A filter binds only the thread that
 * installs it (and threads it creates later).
 *
 * The mode is process-wide and set once, at start, from the command line
 * (--seccomp kill|log|off, --no-seccomp); see jail/seccomp.h for
 * debugging a kill. --seccomp-filter FILE puts Firecracker's compiled
 * filters (vmm/fc_filter.h) in place of azote's lists, with Firecracker's
 * meaning: its "vcpu" program on the vCPU threads, "api" on the HTTP
 * thread, "vmm" on the main thread and on the metrics writer (Firecracker
 * writes metrics from its VMM thread), an empty one leaving that thread
 * unfiltered. The cards keep their own lists either way. */
#ifndef AZOTE_VMM_SANDBOX_H
#define AZOTE_VMM_SANDBOX_H

#include "jail/confine.h"
#include "jail/seccomp.h"
#include "vmm/fc_filter.h"

enum vmm_role {
	VMM_ROLE_VCPU,       /* KVM_RUN and the exits azote handles */
	VMM_ROLE_EVENT_LOOP, /* the main thread serving the VM, then ending it */
	VMM_ROLE_API,        /* the HTTP thread: parses requests, hands them over */
	VMM_ROLE_METRICS,    /* the periodic metrics writer */
	VMM_ROLE_PAGER,      /* a lazy restore's page-fault server (vmm/lazy_mem.h) */
	VMM_ROLE_RELAY,      /* a card's page relay (vmm/page_relay.h) */
};

/* Sets the mode every later vmm_sandbox_enter uses (default: kill). */
void vmm_sandbox_set_mode(enum jail_seccomp_mode mode);
enum jail_seccomp_mode vmm_sandbox_mode(void);

/* Takes f (kept, not copied: it must live as long as the process) in place
 * of azote's lists, after checking that the kernel accepts each of its
 * programs (each is installed once in a short-lived child), so that a bad
 * file is refused at start and not when a vCPU first runs. */
int vmm_sandbox_set_custom(const struct fc_filters *f, struct azerr *e);

/* What the threads run under, for log lines: "kill", "log", "off" or
 * "--seccomp-filter". */
const char *vmm_sandbox_name(void);
/* Whether --seccomp-filter's programs are in place of azote's lists. */
bool vmm_sandbox_custom(void);

/* Whom the cards azote starts run as, confined (jail/confine.h); NULL
 * (the default): not confined. Set once, at start. */
void vmm_sandbox_set_card_user(const struct jail_identity *id);
const struct jail_identity *vmm_sandbox_card_user(void);

/* Binds the calling thread to role's list. Returns the number of rules in
 * *nr_rules if not NULL (0 with the mode off; instructions of the program
 * with --seccomp-filter, 0 for an empty one). */
int vmm_sandbox_enter(enum vmm_role role, unsigned *nr_rules, struct azerr *e);

#endif
