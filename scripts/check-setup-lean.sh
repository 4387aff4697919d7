#!/usr/bin/env bash
# Asserts that the lean `scripts/setup.sh` (what scripts/demo.sh runs) asks for the build needs and
# nothing else, and that what those packages pull in on Debian 12 holds none of the test-only or
# heavy tools (MPI, Slurm, clang, Python, aligners). Run by scripts/test.sh, so CI runs it.
#
#   scripts/check-setup-lean.sh                 the lists, and the lean list's dependency closure
#                                               from apt's package lists (a second or two)
#   scripts/check-setup-lean.sh --chroot [DIR]  also runs the lean setup for real in a fresh
#                                               Debian 12 chroot (debootstrap --variant=minbase,
#                                               the base of the debian:12 image; made in DIR or a
#                                               temporary folder) and asserts that exactly the
#                                               simulated packages were installed; prints the count,
#                                               megabytes and seconds, and the same numbers
#                                               simulated for --test. Needs root, debootstrap and
#                                               about 1 GB of disk; not run by CI (minutes, disk).
# The Rust toolchain is outside both checks: rustup's installer is not a Debian package (in the
# chroot the host's ~/.cargo is mounted read-only so that setup.sh finds cargo and skips it).
set -euo pipefail
cd "$(dirname "$0")/.."

# The build needs, and why (scripts/setup.sh says the same): a C compiler and make
# (build-essential) for the -sys crates, cmake for HDF5 and zlib (linked
# statically, built from source), curl + CA certificates for rustup and crates.io.
expected="build-essential ca-certificates cmake curl"
# Never part of the lean closure, whatever the lists say (the issue's complaint). The system
# HDF5 headers are no build need since HDF5 is linked statically; OpenSSL is not used (rustls).
heavy="python3 python3-pip openmpi-bin libopenmpi-dev mpi-default-bin clang libclang-dev
  slurm-wlm slurmd slurmctld munge mmseqs2 ncbi-blast+ parasail hdf5-tools shellcheck
  postgresql rabbitmq-server libhdf5-dev libhdf5-103-1 libssl-dev"

fail() { echo "check-setup-lean: FAIL: $*" >&2; exit 1; }

lean="$(scripts/setup.sh --list | tr '\n' ' ' | sed 's/ $//')"
full="$(scripts/setup.sh --test --list | tr '\n' ' ' | sed 's/ $//')"
[ "$lean" = "$expected" ] || fail "scripts/setup.sh --list is '$lean', expected exactly '$expected'"
for p in $lean; do
  case " $full " in *" $p "*) ;; *) fail "--test does not include the build package $p" ;; esac
done
# The lean mode must not run the area scripts, and demo.sh must call only the lean mode.
grep -qE '^[^#]*scripts/setup\.sh( |$|\))' scripts/demo.sh || fail "scripts/demo.sh does not call scripts/setup.sh"
! grep -qE '^[^#]*setup\.sh[^#]*--test' scripts/demo.sh || fail "scripts/demo.sh calls setup.sh --test"
! grep -qE '^[^#]*setup\.d/' scripts/demo.sh || fail "scripts/demo.sh runs an area script"
for f in scripts/test.sh .ci/run; do
  grep -qE '^[^#]*scripts/setup\.sh --test' "$f" || fail "$f does not call scripts/setup.sh --test"
done

# Everything the lean list pulls in (Depends and Pre-Depends, no Recommends: setup.sh installs
# with --no-install-recommends), from apt's lists, whatever is installed here already.
if [ -z "$(apt-cache policy build-essential 2>/dev/null | grep -v '(none)' | grep Candidate || true)" ]; then
  apt-get update -qq
fi
read -r -a lean_pkgs <<<"$lean"
closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${lean_pkgs[@]}" | grep -v '^ ' | grep -v '^<' | sort -u)"
[ -n "$closure" ] || fail "apt-cache depends resolved nothing (no apt lists?)"
test_only=" $heavy "
for p in $full; do
  case " $lean " in *" $p "*) ;; *) test_only+="$p " ;; esac
done
bad=()
while read -r p; do
  case "$test_only" in *" ${p%%:*} "*) bad+=("$p") ;; esac
done <<<"$closure"
[ ${#bad[@]} -eq 0 ] || fail "the lean packages pull in test-only or heavy packages: ${bad[*]}"
echo "check-setup-lean: lean list ok ($lean); its dependency closure has $(wc -l <<<"$closure") packages, none test-only"

[ "${1:-}" = --chroot ] || exit 0

# --chroot: a fresh Debian 12, the lean setup for real.
root="${2:-}"
if [ -z "$root" ]; then
  root="$(mktemp -d /var/tmp/homolog-lean-XXXXXX)"
  made_root=1
else
  made_root=0
fi
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || true; done
  if [ "$made_root" = 1 ]; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
if [ ! -x "$root/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null 2>&1 || { apt-get install -y -qq debootstrap >/dev/null; }
  echo "check-setup-lean: debootstrap --variant=minbase bookworm $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mkdir -p "$root/root/.cargo" "$root/repo"
if [ -x "$HOME/.cargo/bin/cargo" ]; then
  mount --bind -o ro "$HOME/.cargo" "$root/root/.cargo" && mounts+=("$root/root/.cargo")
fi
rm -rf "$root/repo/scripts" && cp -r scripts "$root/repo/scripts"
in_root() { chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

in_root dpkg-query -W -f "\${Package}\n" | sort >"$root/repo/before.txt"
in_root du -sxm /usr /var/lib | awk '{s+=$1} END {print s}' >"$root/repo/before-mb.txt"
# setup.sh takes cmake from bookworm-backports (Debian 12's is older than HDF5's build needs) and
# adds that source itself; it is added here first so that the simulation can ask for it too.
echo "deb http://deb.debian.org/debian bookworm-backports main" >"$root/etc/apt/sources.list.d/bookworm-backports.list"
in_root apt-get update -qq
# What each mode would install here, simulated before anything is installed: cmake from the
# backports, the rest from the release, as setup.sh installs them.
simulate() {
  local pkgs
  pkgs="$(in_root bash /repo/scripts/setup.sh "$@" --list | grep -vx cmake | tr '\n' ' ')"
  {
    # shellcheck disable=SC2086 # one word per package
    in_root apt-get -s install --no-install-recommends $pkgs
    in_root apt-get -s install --no-install-recommends --target-release=bookworm-backports cmake
  } | awk '/^Inst /{print $2}' | sort -u
}
report_sizes() {
  # shellcheck disable=SC2046,SC2086
  in_root apt-cache show --no-all-versions $(cat) 2>/dev/null \
    | awk '/^Size:/{d+=$2} /^Installed-Size:/{i+=$2} END {printf "%.0f MB download, %.0f MB installed", d/1e6, i/1024}'
}
simulate >"$root/repo/sim-lean.txt"
simulate --test >"$root/repo/sim-test.txt"
echo "check-setup-lean: simulated lean: $(wc -l <"$root/repo/sim-lean.txt") packages, $(report_sizes <"$root/repo/sim-lean.txt")"
echo "check-setup-lean: simulated --test (Debian packages only; pip and rustup not counted): $(wc -l <"$root/repo/sim-test.txt") packages, $(report_sizes <"$root/repo/sim-test.txt")"

start=$(date +%s)
in_root bash /repo/scripts/setup.sh
secs=$(($(date +%s) - start))
in_root dpkg-query -W -f "\${Package}\n" | sort >"$root/repo/after.txt"
comm -13 "$root/repo/before.txt" "$root/repo/after.txt" >"$root/repo/new.txt"
mb=$(($(in_root du -sxm /usr /var/lib | awk '{s+=$1} END {print s}') - $(cat "$root/repo/before-mb.txt")))
if ! diff -u "$root/repo/sim-lean.txt" "$root/repo/new.txt" >&2; then
  fail "the lean setup installed other packages than simulated (diff above)"
fi
bad=()
while read -r p; do
  case "$test_only" in *" $p "*) bad+=("$p") ;; esac
done <"$root/repo/new.txt"
[ ${#bad[@]} -eq 0 ] || fail "the lean setup installed test-only or heavy packages: ${bad[*]}"
echo "check-setup-lean: fresh Debian 12 chroot: the lean setup installed $(wc -l <"$root/repo/new.txt") packages, +$mb MB on disk, in $secs s (apt only; the Rust toolchain was mounted)"
echo "check-setup-lean: ok"
