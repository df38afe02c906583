"""azbench: azote against QEMU on the probe guest's workloads (bench/run)."""
