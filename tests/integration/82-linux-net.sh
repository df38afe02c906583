#!/usr/bin/env bash
# needs: kvm
# Linux's virtio-net driver on azote's net card: eth0 has the MAC azote was
# given, and the host's TAP address inside a network namespace made for the
# test answers its ICMP echo requests. Its queues
# interrupt through MSI-X, and the counts rise (irq check).
. "$(dirname "$0")/../linux-guest/lib/itest.sh"
require_kvm
lg_itest_init
need_built "$AZOTE"
require_root "a network namespace and a TAP"
lg_run --vmm azote --net --checks boot,net,irq
finish
