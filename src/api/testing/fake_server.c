/* azote-api-fake: the real API server in front of the fake VMM, so that the
 * HTTP layer can be tested over a real socket without booting anything.
 * Each VMM call is printed on stdout ("start", "pause", ...).
 *
 *   azote-api-fake --api-sock PATH [--config-file FILE]
 *                  [--max-body N] [--idle-timeout S] [--request-timeout S]
 *                  [--metrics-period-ms MS] [--log-level LEVEL]
 *
 * Runs until SIGTERM or SIGINT, then removes the socket and exits 0.
 * Requests are handled on the main thread, as in azote, and the HTTP
 * thread runs under azote's API seccomp list (vmm/sandbox.h, kill mode):
 * the tests that drive this server, hostile clients included, exercise
 * that list on machines without KVM. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "api/api.h"
#include "api/server.h"
#include "api/testing/fake_vmm.h"
#include "common/log.h"
#include "common/size.h"
#include "vmm/sandbox.h"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: azote-api-fake --api-sock PATH "
		"[--config-file FILE] [--max-body N] [--idle-timeout S] "
		"[--request-timeout S] [--metrics-period-ms MS] "
		"[--log-level LEVEL]\n");
	exit(2);
}

static int enter_api_sandbox(struct azerr *e)
{
	return vmm_sandbox_enter(VMM_ROLE_API, NULL, e);
}

/* Serves requests until SIGTERM or SIGINT (sig_fd). */
static int serve(struct api_server *srv, int sig_fd)
{
	struct pollfd p[2] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = api_server_fd(srv), .events = POLLIN },
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("azote-api-fake: poll");
			return 1;
		}
		if (p[1].revents)
			api_server_serve(srv);
		if (p[0].revents)
			return 0;
	}
}

static unsigned number(const char *s)
{
	uint64_t v;

	if (!s || parse_uint(s, 1, 1u << 30, &v))
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct api_server_limits lim = {
		.max_body = API_DEFAULT_MAX_BODY,
		.idle_timeout_s = API_DEFAULT_IDLE_TIMEOUT,
		.request_timeout_s = API_DEFAULT_REQUEST_TIMEOUT,
		.max_connections = API_DEFAULT_MAX_CONNECTIONS,
	};
	struct fake_vmm fake = { .trace = stdout };
	struct api_params p = { .ops = &fake_vmm_ops, .ctx = &fake };
	const char *sock = NULL, *config = NULL;
	struct api_server *srv;
	struct metrics metrics;
	struct vm_config cfg;
	struct azerr e;
	enum log_level level;
	struct api *api;
	sigset_t sigs;
	int sig_fd, code;

	log_init("azote-api-fake", LOG_INFO);
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--api-sock") && v)
			sock = v;
		else if (!strcmp(a, "--config-file") && v)
			config = v;
		else if (!strcmp(a, "--max-body"))
			lim.max_body = number(v);
		else if (!strcmp(a, "--idle-timeout"))
			lim.idle_timeout_s = number(v);
		else if (!strcmp(a, "--request-timeout"))
			lim.request_timeout_s = number(v);
		else if (!strcmp(a, "--metrics-period-ms"))
			p.metrics_period_ms = number(v);
		else if (!strcmp(a, "--log-level") && v &&
			 !log_parse_level(v, &level))
			log_set_level(level);
		else
			usage();
	}
	if (!sock)
		usage();

	/* Signals are read from a signalfd below; the server's thread must
	 * not see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		perror("azote-api-fake: signalfd");
		return 1;
	}

	metrics_init(&metrics);
	p.metrics = &metrics;
	vm_config_init(&cfg);
	if (config && api_config_file_load(config, &cfg, &e)) {
		fprintf(stderr, "azote-api-fake: %s\n", e.msg);
		return 1;
	}
	api = api_new(&p, &cfg, &e);
	if (!api || (config && api_start(api, &e))) {
		fprintf(stderr, "azote-api-fake: %s\n", e.msg);
		return 1;
	}
	srv = api_server_start(sock, api, &lim, enter_api_sandbox, &e);
	if (!srv) {
		fprintf(stderr, "azote-api-fake: %s\n", e.msg);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	code = serve(srv, sig_fd);
	api_server_stop(srv);
	api_free(api);
	metrics_destroy(&metrics);
	close(sig_fd);
	return code;
}
