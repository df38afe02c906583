/* How each of azote-card-blk's queue workers sets up its io_uring
 * (--uring MODE; azote: --drive ...,uring=MODE): part of the card
 * interface, linked into both, so that azote refuses at its command line
 * what the card would refuse at start-up. The modes are issue 17's
 * write-path experiments, off by default until a machine with /dev/kvm
 * shows what each gives (docs/card-blk.md):
 * - default: the worker's ring as it always was;
 * - single-issuer: IORING_SETUP_SINGLE_ISSUER, the worker the only task
 *   that submits (the kernel can skip its submission lock);
 * - defer-taskrun: that, and IORING_SETUP_DEFER_TASKRUN: completions are
 *   posted only when the worker asks for them (io_uring_enter with
 *   GETEVENTS), instead of interrupting it with task work as they come.
 * Both need Linux 6.1. */
#ifndef AZOTE_IFACE_BLK_URING_H
#define AZOTE_IFACE_BLK_URING_H

enum blk_uring_mode { BLK_URING_DEFAULT, BLK_URING_SINGLE_ISSUER, BLK_URING_DEFER_TASKRUN };

/* "default, single-issuer or defer-taskrun", for error messages. */
#define BLK_URING_MODES "default, single-issuer or defer-taskrun"

/* The mode named s: 0, or -1 when s names none. */
int blk_uring_mode_parse(const char *s, enum blk_uring_mode *mode);

const char *blk_uring_mode_name(enum blk_uring_mode mode);

#endif
