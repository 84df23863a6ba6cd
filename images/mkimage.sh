#!/usr/bin/env bash
# Builds the Meshgate appliance disk image without root (`make image`).
#
#   images/mkimage.sh OUTDIR GATEWAY INIT
#
# 1. the kernel: Debian's linux-image-cloud-amd64 (its ABI package, fetched with
#    `apt-get download`, never installed on the host), unpacked under OUTDIR/kernel;
#    igb_uio built against its headers (OUTDIR/kbuild);
# 2. the initramfs: PID 1 (INIT) as /init, the static GATEWAY as /usr/bin/gateway, the kernel
#    modules PID 1 loads (with their dependencies, in load order, from `modprobe
#    --show-depends` on the unpacked tree), the embedded default config; a reproducible cpio
#    (images/mkcpio.py) compressed with zstd;
# 3. a Unified Kernel Image: systemd-boot's EFI stub with the kernel, initramfs, command line
#    and os-release as PE sections (objcopy);
# 4. a GPT disk: an EFI System Partition (FAT, \EFI\BOOT\BOOTX64.EFI) and the config
#    partition "meshgate-config" (an empty store: the embedded default runs), with fixed
#    disk and partition GUIDs, written with sgdisk, mkfs.vfat, mtools and dd;
# 5. OUTDIR/meshgate.raw and OUTDIR/meshgate.qcow2, with their sizes and SHA-256.
#
# Same inputs, same bytes: every timestamp is SOURCE_DATE_EPOCH (default: the commit time of
# HEAD), file systems get fixed ids, and nothing depends on the build host's clock or user.
set -euo pipefail

out=${1:?usage: mkimage.sh OUTDIR GATEWAY INIT}
gateway=${2:?}
init=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)}
export TZ=UTC LC_ALL=C

ESP_MIB=64
CONFIG_MIB=16
# Kernel command line: serial console (EC2's and QEMU's ttyS0), 2 MiB hugepages for DPDK,
# reboot 10 s after a panic.
CMDLINE=${MG_CMDLINE:-"console=ttyS0,115200n8 quiet loglevel=4 panic=10 hugepages=128"}
# Modules PID 1 loads, in this order (dependencies are added before each): uio for the data
# NICs, virtio (QEMU, KVM clouds) and ENA (EC2) for the management NIC and the disk, the ACPI
# power button.  NVMe (EC2's disks) is built into this kernel.
# Intel's e1000e/igb/ixgbe/i40e/ice (management NICs of bare-metal boxes) exist only in the
# generic flavour; a module the kernel lacks is skipped.
MODULES=(uio uio_pci_generic virtio_pci virtio_blk virtio_net ena e1000e igb ixgbe i40e ice
	button evdev)
# Fixed GUIDs: reproducible bytes.  A disk cloned from this image shares them, as any
# cloud image does.
DISK_GUID=6d657368-6761-7465-0000-000000000001
ESP_GUID=6d657368-6761-7465-0000-000000000002
CFG_GUID=6d657368-6761-7465-0000-000000000003
ESP_TYPE=c12a7328-f81f-11d2-ba4b-00a0c93ec93b
CFG_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

die() { echo "image: $*" >&2; exit 1; }
for t in objcopy sgdisk mkfs.vfat mcopy mmd qemu-img zstd modprobe depmod dpkg-deb; do
	command -v "$t" >/dev/null || die "missing $t (make deps installs it)"
done
[ -f "$STUB" ] || die "missing $STUB (Debian package systemd-boot-efi)"

# ---- 1. kernel ----
# MG_KERNEL_PKG=linux-image-amd64 takes Debian's generic flavour instead (bare-metal boxes whose
# management NIC needs a driver the cloud flavour lacks).  The unpacked kernel is reused until
# the package's resolved name or version changes.
kpkg=${MG_KERNEL_PKG:-linux-image-cloud-amd64}
kdir=$out/kernel
abi=$(apt-cache depends "$kpkg" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
[ -n "$abi" ] || die "cannot resolve $kpkg (apt-get update?)"
kid="$abi $(apt-cache show --no-all-versions "$abi" | awk '/^Version:/ { print $2; exit }')"
if [ ! -f "$kdir/.done" ] || [ "$(cat "$kdir/.done")" != "$kid" ]; then
	rm -rf "$kdir" "$out/dl"
	mkdir -p "$kdir" "$out/dl"
	(cd "$out/dl" && apt-get download -q "$abi" >"$out/dl/download.log" 2>&1) ||
		die "apt-get download $abi failed (see $out/dl/download.log)"
	dpkg-deb -x "$out"/dl/"$abi"_*.deb "$kdir/root"
	echo "$kid" >"$kdir/.done"
fi
kver=$(ls "$kdir/root/lib/modules" | head -1)
vmlinuz=$kdir/root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "no kernel in $kdir"
[ -f "$kdir/root/lib/modules/$kver/modules.dep" ] || depmod -b "$kdir/root" "$kver"

# ---- 1b. igb_uio, for ENA data NICs (EC2) ----
# Built from Debian's dpdk-kmods-dkms source against the image kernel's headers, all fetched
# with `apt-get download` and unpacked under OUTDIR/kbuild (nothing installed on the host).
# Best effort: without it the image still boots, and PID 1 says ENA data NICs are unusable.
build_igb_uio() {
	local kb=$out/kbuild common series
	common=$(echo "$kver" | grep -o '^[0-9.]*-[0-9]*')
	series=$(echo "$kver" | cut -d. -f1-2)
	if [ ! -f "$kb/.done" ] || [ "$(cat "$kb/.done")" != "$kid" ]; then
		rm -rf "$kb"
		mkdir -p "$kb/dl"
		(cd "$kb/dl" && apt-get download -q dpdk-kmods-dkms "linux-headers-$kver" \
			"linux-headers-$common-common" "linux-kbuild-$series") >"$kb/download.log" 2>&1 || return 1
		for d in "$kb"/dl/*.deb; do dpkg-deb -x "$d" "$kb/root"; done
		# The headers' Makefile includes the common tree by absolute path: point it here.
		sed -i "s|include /usr/src/|include $kb/root/usr/src/|" "$kb/root/usr/src/linux-headers-$kver/Makefile"
		echo "$kid" >"$kb/.done"
	fi
	rm -rf "$kb/igb_uio"
	cp -r "$kb"/root/usr/src/dpdk-kmods-*/ "$kb/igb_uio"
	# Paths of this build directory must not end up in the module: map them away.
	make -C "$kb/root/usr/src/linux-headers-$kver" M="$kb/igb_uio" \
		KCFLAGS="-ffile-prefix-map=$kb/=/" modules >"$kb/build.log" 2>&1 || return 1
	strip --strip-debug -o "$out/igb_uio.ko" "$kb/igb_uio/igb_uio.ko"
}
if [ "${MG_IGB_UIO:-1}" = 1 ]; then
	build_igb_uio || { rm -f "$out/igb_uio.ko"; echo "image: warning: igb_uio not built (see $out/kbuild/*.log): ENA data NICs will not work" >&2; }
fi

# ---- 2. initramfs ----
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/lib/modules" "$root/usr/share/meshgate/default" \
	"$root/etc/meshgate" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" "$root/var"
install -m 0755 "$init" "$root/init"
install -m 0755 "$gateway" "$root/usr/bin/gateway"
strip --strip-debug -o "$root/usr/bin/gateway" "$gateway"
strip --strip-debug -o "$root/init" "$init"
install -m 0644 "$top/images/default/meshgate.json" "$root/usr/share/meshgate/default/meshgate.json"
# Debian's CA bundle (package ca-certificates): the default caBundle of remote JWT key sets.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
	mkdir -p "$root/etc/ssl/certs"
	install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
else
	echo "image: warning: no /etc/ssl/certs/ca-certificates.crt: remote JWT providers need a caBundle" >&2
fi
load=$root/lib/modules/modules.load
: >"$load"
extra_ko=()
[ -f "$out/igb_uio.ko" ] && extra_ko=("$out/igb_uio.ko")
for m in "${MODULES[@]}"; do
	{ modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" 2>/dev/null || true; } |
		awk '$1 == "insmod" { print $2 }' | while read -r ko; do
		name=$(basename "$ko" .ko)
		grep -qx "$name" "$load" || { echo "$name" >>"$load"; cp "$ko" "$root/lib/modules/$name.ko"; }
	done
done
for ko in "${extra_ko[@]}"; do
	cp "$ko" "$root/lib/modules/"
	echo "igb_uio wc_activate=1" >>"$load"
done
chmod 0644 "$root"/lib/modules/*
/usr/bin/python3 "$top/images/mkcpio.py" "$root" "$out/initramfs.cpio"
zstd -q -f -19 -T1 --no-progress "$out/initramfs.cpio" -o "$out/initramfs.cpio.zst"

# ---- 3. Unified Kernel Image ----
printf '%s' "$CMDLINE" >"$out/cmdline.txt"
mgver=$("$gateway" --version 2>/dev/null | awk '{ print $2; exit }')
printf 'NAME="Meshgate"\nID=meshgate\nVERSION_ID="%s"\nPRETTY_NAME="Meshgate %s (kernel %s)"\n' \
	"$mgver" "$mgver" "$kver" >"$out/os-release"
objcopy \
	--add-section .osrel="$out/os-release" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$out/cmdline.txt" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$vmlinuz" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$out/initramfs.cpio.zst" --change-section-vma .initrd=0x3000000 \
	"$STUB" "$out/meshgate.efi"
# objcopy stamps the PE header with the current time: use SOURCE_DATE_EPOCH instead, and
# clear the optional PE checksum (firmware does not check it) that depends on the stamp.
/usr/bin/python3 - "$out/meshgate.efi" <<'PY'
import os, struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0x3c)
    pe = struct.unpack("<I", f.read(4))[0]
    f.seek(pe + 8)
    f.write(struct.pack("<I", int(os.environ["SOURCE_DATE_EPOCH"]) & 0xffffffff))
    f.seek(pe + 24 + 64)
    f.write(struct.pack("<I", 0))
PY

# ---- 4. disk ----
touch -d "@$SOURCE_DATE_EPOCH" "$out/meshgate.efi"
rm -f "$out/esp.img"
mkfs.vfat -C -F 32 -i 4d475745 -n MESHGATE --invariant "$out/esp.img" $((ESP_MIB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out/esp.img" ::/EFI ::/EFI/BOOT
mcopy -m -i "$out/esp.img" "$out/meshgate.efi" ::/EFI/BOOT/BOOTX64.EFI
raw=$out/meshgate.raw
rm -f "$raw"
truncate -s $(((1 + ESP_MIB + CONFIG_MIB + 1) * 1024 * 1024)) "$raw"
sgdisk -U "$DISK_GUID" \
	-n "1:2048:+${ESP_MIB}M" -t "1:$ESP_TYPE" -c 1:"EFI System" -u "1:$ESP_GUID" \
	-n "2:0:+${CONFIG_MIB}M" -t "2:$CFG_TYPE" -c 2:meshgate-config -u "2:$CFG_GUID" \
	"$raw" >"$out/sgdisk.log" 2>&1 || die "sgdisk failed (see $out/sgdisk.log)"
dd if="$out/esp.img" of="$raw" bs=1M seek=1 conv=notrunc status=none
rm -f "$out/meshgate.qcow2"
qemu-img convert -f raw -O qcow2 "$raw" "$out/meshgate.qcow2"

# ---- 5. report ----
{
	echo "kernel     $kver (Debian $kpkg, $kid)"
	echo "modules    $(tr '\n' ' ' <"$load")"
	printf 'gateway    %s bytes (stripped of debug info)\n' "$(stat -c %s "$root/usr/bin/gateway")"
	printf 'initramfs  %s bytes (%s bytes zstd)\n' "$(stat -c %s "$out/initramfs.cpio")" "$(stat -c %s "$out/initramfs.cpio.zst")"
	printf 'UKI        %s bytes\n' "$(stat -c %s "$out/meshgate.efi")"
	printf 'raw        %s bytes (%s MiB: ESP %s MiB, config %s MiB), %s KiB allocated\n' \
		"$(stat -c %s "$raw")" $(($(stat -c %s "$raw") >> 20)) "$ESP_MIB" "$CONFIG_MIB" "$(du -k "$raw" | cut -f1)"
	printf 'qcow2      %s bytes\n' "$(stat -c %s "$out/meshgate.qcow2")"
	(cd "$out" && sha256sum meshgate.efi meshgate.raw meshgate.qcow2)
	echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
} | tee "$out/image.txt" | sed 's/^/image: /'
