/* A minimal MC146818 CMOS real-time clock at ports 0x70/0x71: the time of
 * day from the host clock (UTC, BCD, 24-hour), a never-updating UIP bit so
 * that readers never spin, "valid RAM" in register D, and 128 bytes of CMOS
 * RAM that the guest may use. No alarm or periodic interrupt: Linux uses
 * the RTC only to read the wall clock at boot. */
#ifndef AZOTE_DEVICES_RTC_H
#define AZOTE_DEVICES_RTC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "base/io_bus.h"
#include "base/state.h"
#include "common/err.h"

#define RTC_PORT     0x70
#define RTC_PORT_LEN 2

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
	time_t (*now)(void);   /* the clock; time() outside tests */
};

extern const struct io_ops rtc_io_ops;

void rtc_init(struct rtc *r, time_t (*now)(void));
void rtc_destroy(struct rtc *r);

/* The index register and CMOS RAM as section STATE_RTC #index. The time
 * of day is not saved: it is the host's when the guest reads it. */
int rtc_save(struct rtc *r, struct state_set *s, uint32_t index, struct azerr *e);
int rtc_load(struct rtc *r, const struct state_set *s, uint32_t index, struct azerr *e);

#endif
