#include "devices/rtc.h"

#include <string.h>

enum {
	RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04,
	RTC_DAY_OF_WEEK = 0x06, RTC_DAY = 0x07, RTC_MONTH = 0x08,
	RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

#define REG_A_DIV_32K  0x20  /* 32.768 kHz time base, UIP clear */
#define REG_A_RATE_1K  0x06
#define REG_B_24H      0x02
#define REG_D_VRT      0x80  /* valid RAM and time */
#define INDEX_MASK     0x7f  /* bit 7 of the index port is NMI disable */

static uint8_t bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_time_reg(const struct rtc *r, uint8_t reg)
{
	time_t t = r->now();
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS: return bcd((unsigned)tm.tm_sec);
	case RTC_MINUTES: return bcd((unsigned)tm.tm_min);
	case RTC_HOURS: return bcd((unsigned)tm.tm_hour);
	case RTC_DAY_OF_WEEK: return bcd((unsigned)tm.tm_wday + 1);
	case RTC_DAY: return bcd((unsigned)tm.tm_mday);
	case RTC_MONTH: return bcd((unsigned)tm.tm_mon + 1);
	case RTC_YEAR: return bcd((unsigned)tm.tm_year % 100);
	default: return bcd((unsigned)(tm.tm_year + 1900) / 100);
	}
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS:
	case RTC_DAY_OF_WEEK: case RTC_DAY: case RTC_MONTH:
	case RTC_YEAR: case RTC_CENTURY:
		return rtc_time_reg(r, reg);
	case RTC_REG_C: {
		uint8_t v = r->cmos[RTC_REG_C];
		r->cmos[RTC_REG_C] = 0; /* interrupt flags clear on read */
		return v;
	}
	default:
		return r->cmos[reg];
	}
}

static void rtc_write_reg(struct rtc *r, uint8_t reg, uint8_t v)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS:
	case RTC_DAY_OF_WEEK: case RTC_DAY: case RTC_MONTH:
	case RTC_YEAR: case RTC_CENTURY:
		/* The guest's clock follows the host's: setting it is a no-op,
		 * as with a read-only time source. */
		break;
	case RTC_REG_A:
		/* UIP (bit 7) is read-only and always clear. */
		r->cmos[reg] = v & 0x7f;
		break;
	case RTC_REG_B:
		/* Binary mode and 12-hour mode are not offered: keep BCD,
		 * 24-hour, which every reader checks for. */
		r->cmos[reg] = (uint8_t)((v & ~0x06) | REG_B_24H);
		break;
	case RTC_REG_C: case RTC_REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

static void rtc_io_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct rtc *r = opaque;

	memset(data, 0xff, len);
	pthread_mutex_lock(&r->lock);
	if (off == 1)
		*(uint8_t *)data = rtc_read_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_io_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct rtc *r = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = v & INDEX_MASK;
	else
		rtc_write_reg(r, r->index, v);
	pthread_mutex_unlock(&r->lock);
}

const struct io_ops rtc_io_ops = { .read = rtc_io_read, .write = rtc_io_write };

void rtc_init(struct rtc *r, time_t (*now)(void))
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->now = now;
	r->cmos[RTC_REG_A] = REG_A_DIV_32K | REG_A_RATE_1K;
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* STATE_RTC's layout. */
struct rtc_wire {
	uint8_t index, pad[3];
	uint8_t cmos[128];
};
_Static_assert(sizeof(struct rtc_wire) == 4 + 128, "no padding in rtc_wire");

int rtc_save(struct rtc *r, struct state_set *s, uint32_t index, struct azerr *e)
{
	struct rtc_wire w = { .index = 0 };

	pthread_mutex_lock(&r->lock);
	w.index = r->index;
	memcpy(w.cmos, r->cmos, sizeof(w.cmos));
	pthread_mutex_unlock(&r->lock);
	return state_put(s, STATE_RTC, index, &w, sizeof(w), e);
}

int rtc_load(struct rtc *r, const struct state_set *s, uint32_t index, struct azerr *e)
{
	const struct rtc_wire *w = state_get(s, STATE_RTC, index, sizeof(*w), e);

	if (!w)
		return -1;
	/* Registers whose bits the model keeps fixed must hold them, or a
	 * reader would see what no guest write could have produced. */
	if (w->index & ~INDEX_MASK)
		return state_refuse(e, STATE_RTC, index, "index", "0x%x is past CMOS RAM",
				    w->index);
	if (w->cmos[RTC_REG_A] & 0x80)
		return state_refuse(e, STATE_RTC, index, "register A",
				    "0x%x has UIP set", w->cmos[RTC_REG_A]);
	if ((w->cmos[RTC_REG_B] & 0x06) != REG_B_24H)
		return state_refuse(e, STATE_RTC, index, "register B",
				    "0x%x is not BCD and 24-hour", w->cmos[RTC_REG_B]);
	pthread_mutex_lock(&r->lock);
	r->index = w->index;
	memcpy(r->cmos, w->cmos, sizeof(r->cmos));
	pthread_mutex_unlock(&r->lock);
	return 0;
}
