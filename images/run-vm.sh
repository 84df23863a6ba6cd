#!/usr/bin/env bash
# `make run-vm`: boots the appliance image in QEMU (software emulation, UEFI firmware) with
# the serial console on this terminal.
#
#   images/run-vm.sh IMAGE_DIR
#
# NICs: 0000:00:03.0 management (QEMU user-mode network: DHCP, outbound only) and
# 0000:00:04.0 data (a TAP device in the network namespace 'meshgate-vm', host side
# 10.77.0.1/24), which the guest's DPDK drives.  The image's embedded default config puts the
# gateway at 10.77.0.2 with its admin listener on port 9901, so from another terminal:
#
#   ip netns exec meshgate-vm curl -s http://10.77.0.2:9901/ready
#   ip netns exec meshgate-vm ping -c 3 10.77.0.2
#
# The VM's disk is a copy kept in IMAGE_DIR/run-vm/disk.raw (made anew when the image is
# newer), so a config written to its config partition survives restarts.  Quit with
# Ctrl-A X; Ctrl-A C switches to the QEMU monitor (`system_powerdown` is the power button).
# Needs root (namespace, TAP).  MG_VM_ACCEL=kvm to try KVM (it hangs on some hosts).
set -euo pipefail
dir=${1:?usage: run-vm.sh IMAGE_DIR}
ns=meshgate-vm
tap=mgvm0
code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
die() { echo "run-vm: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespace and TAP device)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"
[ -f "$code" ] || die "no UEFI firmware at $code (Debian ovmf)"
vm=$dir/run-vm
mkdir -p "$vm"
[ "$dir/meshgate.raw" -ot "$vm/disk.raw" ] || cp "$dir/meshgate.raw" "$vm/disk.raw"
[ -f "$vm/vars.fd" ] || cp "$vars" "$vm/vars.fd"

cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev "$tap" mode tap
ip -n "$ns" addr add 10.77.0.1/24 dev "$tap"
ip -n "$ns" link set "$tap" up
echo "run-vm: booting $dir/meshgate.raw; data NIC on $tap in namespace $ns (10.77.0.1 -> 10.77.0.2)"
echo "run-vm: try: ip netns exec $ns curl -s http://10.77.0.2:9901/ready    (Ctrl-A X quits)"
ip netns exec "$ns" qemu-system-x86_64 -accel "${MG_VM_ACCEL:-tcg}" -cpu max -m 1024 -smp 2 \
	-nodefaults -nographic -serial mon:stdio \
	-drive "if=pflash,format=raw,readonly=on,file=$code" \
	-drive "if=pflash,format=raw,file=$vm/vars.fd" \
	-drive "if=virtio,format=raw,file=$vm/disk.raw" \
	-netdev user,id=mgmt -device virtio-net-pci,netdev=mgmt,addr=3,romfile= \
	-netdev "tap,id=data,ifname=$tap,script=no,downscript=no" \
	-device virtio-net-pci,netdev=data,addr=4,romfile=
