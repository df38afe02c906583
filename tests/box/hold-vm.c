/* hold-vm: keeps one empty KVM VM open for the whole life of the box
 * (tests/box/init starts it).
 *
 * Why: the first VM created and the last one destroyed flip kernel static
 * keys (KVM's preempt notifiers, whose branches sit in __schedule). The
 * box's kernel rewrites that code live, with int3 breakpoints and cross-CPU
 * syncs, and under QEMU 7.2's multi-threaded TCG both box CPUs were seen
 * stuck for good on the breakpoint in __schedule, interrupts off: three of
 * four boxes running tests 47 and 48 over and over hung so within four
 * rounds; with a VM held open, none in twelve. With one VM always open,
 * the tests' VMs coming and going no longer flip the key. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0 || ioctl(kvm, KVM_CREATE_VM, 0) < 0) {
		perror("hold-vm: /dev/kvm");
		return 1;
	}
	for (;;)
		pause();
}
