/* The main thread's loop while the VM runs: console input into the UART,
 * host signals, and the VM's request to stop. */
#ifndef AZOTE_VMM_EVENT_LOOP_H
#define AZOTE_VMM_EVENT_LOOP_H

#include "common/err.h"
#include "vmm/vm.h"

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and so in every
 * thread it starts afterwards: call before the vCPU threads exist. */
void event_loop_block_signals(void);

/* Runs until the VM stops (guest exit, fault, or SIGINT/SIGTERM/SIGHUP,
 * which stop it with status 128 + signal). in_fd feeds the console; it may
 * be a terminal, a pipe, a regular file or /dev/null. */
int event_loop_run(struct vm *vm, int in_fd, struct azerr *e);

#endif
