#include "drv_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "vmm/vhost_frontend.h"

const char *drv_name = "drv";

void drv_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", drv_name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(code);
}

void drv_check(int *failures, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
	if (!ok)
		(*failures)++;
}

int drv_finish(struct vu_frontend *fe, pid_t card_pid, int *failures)
{
	int status;

	vu_fe_close(fe);
	if (card_pid > 0) {
		waitpid(card_pid, &status, 0);
		drv_check(failures, WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "card exits cleanly when the front-end goes away (status 0x%x)", status);
	}
	printf("%d failed\n", *failures);
	return *failures ? 1 : 0;
}

uint64_t drv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
