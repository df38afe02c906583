/* How a host-only test driver reports: each check as a line "PASS: ..."
 * or "FAIL: ..." on stdout, the failures counted, and an error the driver
 * cannot go on from as "<name>: ..." on stderr and an exit status. */
#ifndef AZOTE_TESTS_HOST_DRV_REPORT_H
#define AZOTE_TESTS_HOST_DRV_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The driver's name for drv_die's lines ("vurng-drv"); set by main. */
extern const char *drv_name;

void drv_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* One check's line; a failed one counts in *failures. */
void drv_check(int *failures, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct vu_frontend;
/* The end of a run: closes fe and, for a card the driver started
 * (card_pid > 0), checks that it exits with status 0 once its front-end
 * is gone; prints the failures' count and returns the driver's exit
 * status (1 if any check failed). */
int drv_finish(struct vu_frontend *fe, pid_t card_pid, int *failures);
/* CLOCK_MONOTONIC in milliseconds, for timeouts and rates. */
uint64_t drv_now_ms(void);

#endif
