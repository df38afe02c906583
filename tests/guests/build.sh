#!/usr/bin/env bash
# tests/guests/build.sh NAME OUTDIR: assembles and links tests/guests/NAME.S
# into OUTDIR/NAME.elf, a PVH ELF.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
name=$1 out=$2
mkdir -p "$out"
${CC:-gcc} -c -I"$dir" -o "$out/$name.o" "$dir/$name.S"
ld -T "$dir/pvh.ld" -o "$out/$name.elf" "$out/$name.o"
echo "$out/$name.elf"
