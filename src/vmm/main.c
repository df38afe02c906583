/* azote: the hypervisor process of one microVM.
 *
 * Every way of describing the VM (command line, --config-file, the HTTP
 * API) goes through the API layer, which owns the configuration and the
 * instance state; InstanceStart builds and starts the VM (instance.c) and
 * the main thread then serves it until it stops. As in Firecracker, the
 * process ends with the guest. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "api/api.h"
#include "api/server.h"
#include "common/clock.h"
#include "common/log.h"
#include "vmm/cli.h"
#include "vmm/fc_filter.h"
#include "base/event_loop.h"
#include "vmm/instance.h"
#include "vmm/lazy_mem.h"
#include "vmm/sandbox.h"
#include "vmm/snapshot.h"
#include "vmm/snapshot_file.h"
#include "vmm/terminal.h"

/* Serves API requests until one starts the VM (started_fd readable) or a
 * stop signal comes; returns 0 when started, else the exit status the
 * signal asks for. */
static int wait_for_start(int started_fd, int sig_fd, struct api_server *srv)
{
	struct pollfd p[3] = {
		{ .fd = started_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = api_server_fd(srv), .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return AZOTE_EXIT_ERROR;
		}
		if (p[2].revents)
			api_server_serve(srv);
		if (p[0].revents)
			return 0;
		struct signalfd_siginfo si;
		if (p[1].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			log_info("signal %u before the VM started", si.ssi_signo);
			return 128 + (int)si.ssi_signo;
		}
	}
}

static int enter_sandbox(enum vmm_role role, const char *who, struct azerr *e)
{
	unsigned rules;

	if (vmm_sandbox_enter(role, &rules, e) < 0)
		return -1;
	log_info("%s: seccomp %s, %u rules", who, vmm_sandbox_name(),
		 rules);
	return 0;
}

/* Run by the API's HTTP thread before it reads its first request. */
static int enter_api_sandbox(struct azerr *e)
{
	return enter_sandbox(VMM_ROLE_API, "API thread", e);
}

/* Run by the periodic metrics writer before its first line. */
static int enter_metrics_sandbox(struct azerr *e)
{
	return enter_sandbox(VMM_ROLE_METRICS, "metrics thread", e);
}

static void api_ready(struct event_handler *h, uint32_t events)
{
	(void)events;
	api_server_serve(h->arg);
}

/* The main thread from here on only serves the running VM, and the API's
 * requests, and ends it: its role's seccomp list first (vmm/sandbox.h). */
static int serve(struct vm *vm, int sig_fd, struct api_server *srv, struct azerr *e)
{
	struct event_handler api = { .ready = api_ready, .arg = srv };
	int ret;

	if (srv) {
		api.fd = api_server_fd(srv);
		if (event_loop_add(&vm->loop, &api, EPOLLIN) < 0)
			return azerr_set(e, "cannot watch the API: %s", strerror(errno));
	}
	ret = enter_sandbox(VMM_ROLE_EVENT_LOOP, "event loop", e);
	if (!ret)
		ret = vm_serve(vm, STDIN_FILENO, sig_fd, e);
	if (srv)
		event_loop_del(&vm->loop, &api);
	return ret;
}

/* Firecracker's jailer says when it started (monotonic clock) and its CPU
 * time; once the API serves, the metrics say how long start-up took, as
 * Firecracker's do (api_server.process_startup_time_us, _cpu_us). */
static void report_startup(const struct cli_opts *o, struct metrics *m)
{
	uint64_t now;

	if (o->has_start_time && (now = clock_us(CLOCK_MONOTONIC)) >= o->start_time_us)
		metric_store(&m->api_server.process_startup_time_us, now - o->start_time_us);
	if (o->has_start_cpu_time &&
	    (now = clock_us(CLOCK_PROCESS_CPUTIME_ID)) >= o->start_cpu_time_us)
		metric_store(&m->api_server.process_startup_time_cpu_us,
			     now - o->start_cpu_time_us + o->parent_cpu_time_us);
}

static int run(struct vm_config *cfg, const struct cli_opts *o)
{
	struct instance inst = { .created = false };
	struct api_server *srv = NULL;
	struct api *api = NULL;
	struct azerr err;
	int code = AZOTE_EXIT_ERROR;
	bool boot_now = o->config_file || cfg->kernel_path || o->restore;

	int sig_fd = event_loop_signal_fd(&err);
	if (sig_fd < 0)
		goto fail;
	metrics_init(&inst.metrics);
	metrics_set_sandbox(&inst.metrics, enter_metrics_sandbox);
	struct api_server_limits lim = API_DEFAULT_LIMITS;
	if (o->max_payload)
		lim.max_body = o->max_payload;
	/* Firecracker's default for the MMDS limit is the body limit. */
	struct api_params params = {
		.ops = &instance_ops, .ctx = &inst, .metrics = &inst.metrics,
		.instance_id = o->id,
		.mmds_size_limit = o->mmds_size_limit ? o->mmds_size_limit : lim.max_body,
	};
	api = api_new(&params, cfg, &err);
	if (!api || (o->metadata && api_mmds_load_file(api, o->metadata, &err) < 0))
		goto fail;
	if (o->api_sock) {
		if (!(srv = api_server_start(o->api_sock, api, &lim, enter_api_sandbox, &err)))
			goto fail;
		report_startup(o, &inst.metrics);
	}
	if (boot_now) {
		terminal_raw(STDIN_FILENO);
		if ((o->restore ? api_snapshot_load(api, o->restore, o->restore_mem, true, &err)
				: api_start(api, &err)) < 0)
			goto fail;
	} else {
		log_info("waiting for InstanceStart on %s", o->api_sock);
		code = wait_for_start(api_started_fd(api), sig_fd, srv);
		if (code)
			goto out;
		/* A console in a file (PUT /serial) leaves the terminal be. */
		if (inst.vm.serial.fd < 0)
			terminal_raw(STDIN_FILENO);
	}
	if (serve(&inst.vm, sig_fd, srv, &err) < 0) {
		log_error("%s", err.msg);
		vm_request_stop(&inst.vm, AZOTE_EXIT_ERROR);
	}
	/* No API request may reach the VM while it is torn down. */
	api_server_stop(srv);
	srv = NULL;
	metrics_set_collector(&inst.metrics, NULL, NULL);
	code = vm_destroy(&inst.vm);
	inst.created = false;
	goto out;
fail:
	log_error("%s", err.msg);
out:
	api_server_stop(srv);
	metrics_set_collector(&inst.metrics, NULL, NULL);
	if (inst.created)
		vm_destroy(&inst.vm);
	api_free(api);
	metrics_destroy(&inst.metrics);
	if (sig_fd >= 0)
		close(sig_fd);
	terminal_restore();
	return code;
}

/* Whom the cards run as: --card-user, or nobody when azote is root (only
 * root may confine them), else no one. */
static int set_card_user(const struct cli_opts *o, struct azerr *e)
{
	struct jail_identity nobody = JAIL_IDENTITY_DEFAULT;
	bool root = geteuid() == 0;

	if (o->card_user_given && o->card_confine && !root)
		return azerr_set(e, "--card-user needs azote to run as root: a card "
				 "confines itself with CAP_SYS_ADMIN, CAP_SETUID and "
				 "CAP_SETGID (give --card-user none, or run as root)");
	if (o->card_user_given)
		vmm_sandbox_set_card_user(o->card_confine ? &o->card_user : NULL);
	else
		vmm_sandbox_set_card_user(root ? &nobody : NULL);
	return 0;
}

/* --seccomp-filter: read, decoded and tried on the kernel at start, so that
 * a bad file stops azote before anything is built. */
static int set_custom_filters(const struct cli_opts *o, struct fc_filters *f,
			      struct azerr *e)
{
	struct azerr why;

	if (!o->seccomp_filter)
		return 0;
	if (fc_filters_load(o->seccomp_filter, f, e) < 0)
		return -1;
	if (vmm_sandbox_set_custom(f, &why) < 0)
		return azerr_set(e, "--seccomp-filter %s: %s", o->seccomp_filter, why.msg);
	log_info("--seccomp-filter %s: Firecracker's %s format; vmm %u, api %u, vcpu %u "
		 "instructions", o->seccomp_filter, f->format, f->len[FC_CAT_VMM],
		 f->len[FC_CAT_API], f->len[FC_CAT_VCPU]);
	return 0;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct cli_opts opts;
	struct fc_filters filters = { 0 };
	struct azerr err;
	int code;

	log_init("azote", LOG_WARN);
	vm_config_init(&cfg);
	if (cli_parse(argc, argv, &cfg, &opts, &err) < 0) {
		log_error("%s", err.msg);
		code = AZOTE_EXIT_ERROR;
	} else if (opts.action == CLI_DESCRIBE_SNAPSHOT) {
		code = snapshot_print(stdout, opts.describe_snapshot, &err) < 0 ?
			AZOTE_EXIT_ERROR : 0;
		if (code)
			log_error("%s", err.msg);
	} else if (opts.action == CLI_SNAPSHOT_VERSION) {
		printf("v%u\n", SNAPSHOT_FORMAT_VERSION);
		code = 0;
	} else if (opts.action != CLI_RUN) {
		if (opts.action == CLI_HELP)
			fputs(cli_usage, stdout);
		else
			/* Kata reads the second word of the first line as
			 * Firecracker's version. */
			printf("azote v%s (the Firecracker API it implements)\n"
			       "azote %s\n", AZOTE_FIRECRACKER_API_VERSION, AZOTE_VERSION);
		code = 0;
	} else if ((opts.config_file && api_config_file_load(opts.config_file, &cfg, &err) < 0) ||
		   (opts.cpu_template && api_cpu_template_load(opts.cpu_template, &cfg, &err) < 0) ||
		   set_card_user(&opts, &err) < 0) {
		log_error("%s", err.msg);
		code = AZOTE_EXIT_ERROR;
	} else {
		log_set_level(opts.log_level);
		vmm_sandbox_set_mode(opts.seccomp);
		lazy_mem_set_mode(opts.eager_mem ? LAZY_MEM_EAGER :
				  opts.prefetch_mem ? LAZY_MEM_PREFETCH : LAZY_MEM_ON_FAULT);
		/* A console reader that goes away must not kill the VMM. */
		signal(SIGPIPE, SIG_IGN);
		/* Before any thread exists (the API's, the vCPUs'): stop
		 * signals are read from a signalfd, nowhere else. */
		event_loop_block_signals();
		if (set_custom_filters(&opts, &filters, &err) < 0) {
			log_error("%s", err.msg);
			code = AZOTE_EXIT_ERROR;
		} else {
			code = run(&cfg, &opts);
		}
	}
	vm_config_free(&cfg);
	cli_opts_free(&opts);
	fc_filters_free(&filters);
	return code;
}
