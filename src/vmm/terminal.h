/* The controlling terminal as the guest's console: raw mode while the VM
 * runs (so that the guest sees every key and does its own echo), restored
 * on every way out of azote — normal exit, error exit, or a fatal signal. */
#ifndef AZOTE_VMM_TERMINAL_H
#define AZOTE_VMM_TERMINAL_H

/* Puts fd in raw mode if it is a terminal; a no-op otherwise. */
void terminal_raw(int fd);
/* Restores the saved mode (idempotent, async-signal-safe). */
void terminal_restore(void);

#endif
