#!/usr/bin/env bash
# Dependency bootstrap for Meshgate (`make deps`).
#
# 1. Installs the Debian binary packages the build and the tests need (by name).
# 2. Fetches the Debian *source* packages of mbedTLS 3.6.x and lwIP 2.2.x from
#    trixie into build/deps/, using a private apt list/state directory so that
#    the system's apt configuration is never changed, and checks their upstream
#    versions.  The mirror is read from this machine's own apt sources; no host
#    name is written in this repository.
# 3. Applies our patches (platform/PKG/patches/), if any.
# 4. The make fragments platform/mbedtls/mbedtls.mk and platform/lwip/lwip.mk
#    then compile them out of our tree, into build/, with our config headers.
#
# Idempotent: every step checks whether its result is already there.
# Usage: tools/deps.sh [BUILD_DIR]
# Environment: MG_APT_URI overrides the archive URI read from apt's sources
# for the trixie source packages (a local mirror or proxy).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
mkdir -p "$build/deps"
build=$(cd "$build" && pwd) # absolute: later steps run in other directories
deps=$build/deps

MBEDTLS_SERIES=3.6
LWIP_SERIES=2.2

# Binary packages: build, unit tests, fuzzing, end-to-end tests.
PKGS=(
	build-essential pkg-config dpkg-dev patch xz-utils ca-certificates
	dpdk-dev libdpdk-dev libjsmn-dev libpcre2-dev libnghttp2-dev
	libbsd-dev libmd-dev libelf-dev zlib1g-dev libnuma-dev libpcap-dev
	libarchive-dev libjansson-dev libbpf-dev libxdp-dev libibverbs-dev libisal-dev
	clang libclang-rt-14-dev clang-format valgrind
	python3 python3-websockets iproute2 iputils-ping curl procps kmod netcat-openbsd openssl nginx
	nghttp2-client testssl.sh python3-jwt python3-jwcrypto prometheus python3-h2 python3-grpcio
	# the appliance image (make image, run-vm, test-image); its kernel is fetched with
	# `apt-get download` by images/mkimage.sh and never installed here
	binutils systemd-boot-efi dosfstools mtools gdisk zstd qemu-utils qemu-system-x86 ovmf
)
# `make bench` (tools/bench/bench.py) also needs HAProxy, gnuplot, ethtool (veth offloads),
# and perf for profiles.
if [ "${MG_DEPS_BENCH:-0}" = 1 ]; then
	PKGS+=(haproxy gnuplot-nox linux-perf ethtool)
fi

die() { echo "deps: $*" >&2; exit 1; }
log() { echo "deps: $*"; }

need_root() {
	[ "$(id -u)" = 0 ] || die "installing packages needs root: run 'make deps' as root (missing: $*)"
}

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	need_root "${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine may have no package lists yet; refresh once, then install.
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$deps/apt-install.log" 2>&1; then
		apt-get update -q >"$deps/apt-update.log" 2>&1 ||
			die "cannot reach the Debian package registry (apt-get update failed; see $deps/apt-update.log)"
		apt-get install -y -q --no-install-recommends "${missing[@]}" >"$deps/apt-install.log" 2>&1 ||
			die "apt-get install failed for: ${missing[*]} (see $deps/apt-install.log)"
	fi
fi

# ---------------------------------------------------------------------------
# Source packages from trixie, through a private apt configuration.
# ---------------------------------------------------------------------------

# Prints "URI|KEYRING" for the machine's main Debian archive, read from its own
# apt configuration (deb822 .sources first, then one-line sources.list).
debian_archive() {
	local f uri="" key=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas: take the first stanza whose Suites name a plain release
		# (not -security), which is the main archive.
		uri=$(awk -v RS= '/Suites:[^\n]*(bookworm|trixie|stable)( |$|\n|-updates)/ && !/debian-security/ {
			if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit }
		}' "$f")
		key=$(awk -v RS= -v u="$uri" 'index($0, u) {
			if (match($0, /Signed-By:[ \t]*[^ \t\n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/Signed-By:[ \t]*/, "", s); print s; exit }
		}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			uri=$(awk '$1 == "deb" && $0 !~ /security/ {
				for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f")
			key=$(awk '$1 == "deb" && $0 !~ /security/ && match($0, /signed-by=[^] ]+/) {
				print substr($0, RSTART + 10, RLENGTH - 10); exit }' "$f")
			[ -n "$uri" ] && break
		done
	fi
	[ -n "$uri" ] || die "no Debian archive found in this machine's apt sources"
	[ -n "$key" ] || key=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "$uri|$key"
}

# fetch_source PKG SERIES: leaves the unpacked tree at $deps/PKG (upstream
# version checked against SERIES) and prints nothing on success.
APT=()
apt_private_init() {
	[ ${#APT[@]} -gt 0 ] && return 0
	local a uri key dir=$deps/apt
	a=$(debian_archive)
	uri=${MG_APT_URI:-${a%%|*}}	# MG_APT_URI: another mirror or proxy, if wanted
	key=${a#*|}
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb-src [signed-by=$key] $uri trixie main" >"$dir/sources.list"
	APT=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	if ! apt-get "${APT[@]}" update -q >"$dir/update.log" 2>&1 ||
		grep -qE '^(E:|Err:)' "$dir/update.log"; then
		die "cannot reach the Debian package registry for trixie sources (see $dir/update.log)"
	fi
}

# The identity of an unpacked tree: its series and the hash of our patches
# for it (platform/PKG/patches/*.patch, applied in name order).  A change to
# the patches re-unpacks the tree.
tree_id() {
	local pkg=$1 series=$2 sum
	sum=$(cat "$top/platform/$pkg/patches/"*.patch 2>/dev/null | sha256sum | cut -c1-16)
	echo "$series patches=$sum"
}

fetch_source() {
	local pkg=$1 series=$2 dsc ver up id p
	id=$(tree_id "$pkg" "$series")
	if [ -f "$deps/$pkg/.meshgate-id" ] && [ "$(cat "$deps/$pkg/.meshgate-id")" = "$id" ]; then
		return 0
	fi
	mkdir -p "$deps/dl"
	dsc=$(ls -t "$deps/dl/${pkg}"_*.dsc 2>/dev/null | head -1 || true)
	if [ -z "$dsc" ]; then
		apt_private_init
		(cd "$deps/dl" && apt-get "${APT[@]}" source --download-only -q "$pkg" >"$deps/dl/$pkg.log" 2>&1) ||
			die "could not download the Debian source package '$pkg' from trixie (see $deps/dl/$pkg.log)"
		dsc=$(ls -t "$deps/dl/${pkg}"_*.dsc | head -1)
	fi
	ver=$(awk '/^Version:/ { print $2; exit }' "$dsc")
	up=${ver#*:}
	up=${up%-*}
	case "$up" in
	"$series".*) ;;
	*) die "source package $pkg is upstream $up, but Meshgate needs $series.x" ;;
	esac
	rm -rf "$deps/$pkg" "$deps/$pkg.tmp"
	dpkg-source -x "$dsc" "$deps/$pkg.tmp" >"$deps/dl/$pkg-unpack.log" 2>&1 ||
		die "could not unpack $dsc (see $deps/dl/$pkg-unpack.log)"
	for p in "$top/platform/$pkg/patches/"*.patch; do
		[ -f "$p" ] || continue
		patch -d "$deps/$pkg.tmp" -p1 --forward --quiet <"$p" >>"$deps/dl/$pkg-unpack.log" 2>&1 ||
			die "our patch $(basename "$p") does not apply to $pkg $up (see $deps/dl/$pkg-unpack.log)"
	done
	echo "$up" >"$deps/$pkg.tmp/.meshgate-version"
	echo "$id" >"$deps/$pkg.tmp/.meshgate-id"
	mv "$deps/$pkg.tmp" "$deps/$pkg"
	log "$pkg $up (Debian $ver) unpacked in $deps/$pkg"
}

fetch_source mbedtls "$MBEDTLS_SERIES"
fetch_source lwip "$LWIP_SERIES"
