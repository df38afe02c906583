/* Reading a clock in microseconds, as Firecracker's start-up times are
 * passed (the jailer) and reported (azote's metrics). */
#ifndef AZOTE_COMMON_CLOCK_H
#define AZOTE_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

uint64_t clock_us(clockid_t clock);

#endif
