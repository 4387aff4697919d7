#!/usr/bin/env bash
# Checks the container recipes (Dockerfile, homolog.def) where no container daemon runs (the
# project's machines and CI): the images themselves are built elsewhere with `docker build` /
# `apptainer build` (docs/containers.md). Run by scripts/test.sh, so CI runs it; a few seconds.
#
#  1. hadolint on the Dockerfile; shellcheck on the step script and on every %post, %test and
#     %runscript section extracted from homolog.def.
#  2. The two recipes agree: the same default base images, the same build context (.dockerignore's
#     allow-list = the build stage's %files), both run scripts/container-steps.sh build/runtime,
#     the Docker user is the non-root uid the runtime step creates, the binary is the entrypoint.
#  3. Each %post section of homolog.def, and each RUN line of the Dockerfile, runs as a script in
#     a throwaway root (bubblewrap: the host's /usr read-only, everything else a tmpfs) with
#     apt-get, dpkg, cargo, useradd, groupadd and chown replaced by stubs that log their
#     arguments: for the CPU and the `cuda` build arguments, the build stage must run the lean
#     setup (exactly scripts/setup.sh --list) and `cargo build --release --locked -p homolog-cli`
#     with the features asked for and install the binary stripped; the runtime stage must install exactly
#     the run-time packages, create uid/gid 10001 and /data, and leave the binary runnable.
#  4. When target/release/homolog exists: every shared library it links comes from the run-time
#     packages, their dependencies or Debian's required base (what debian:12-slim has).
# The real package installs and the release build are not run here (minutes, network, disk);
# scripts/check-setup-lean.sh --chroot runs the lean setup in a fresh Debian 12 for real.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

fail() { echo "check-containers: FAIL: $*" >&2; exit 1; }

if ! command -v hadolint >/dev/null 2>&1 || ! command -v shellcheck >/dev/null 2>&1 \
   || ! command -v bwrap >/dev/null 2>&1; then
  bash scripts/setup.d/30-containers.sh
  hash -r
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- homolog.def, parsed: a stage starts at each `Bootstrap:` header line.
# def_section N NAME: the body of section %NAME of stage N (1-based), its indentation removed.
def_section() {
  awk -v want_stage="$1" -v want="%$2" '
    /^Bootstrap:/ { stage++ ; insec = 0; next }
    /^#/ { next }
    /^%/ { insec = (stage == want_stage && $1 == want); next }
    insec && /^[^ \t#]/ { insec = 0 }
    insec { sub(/^    /, ""); print }
  ' homolog.def
}
def_header() {
  awk -v want_stage="$1" -v key="$2:" '
    /^Bootstrap:/ { stage++ }
    stage == want_stage && $1 == key { sub(/^[^:]*:[ \t]*/, ""); print; exit }
  ' homolog.def
}
def_arg() {
  def_section 1 arguments | awk -F= -v k="$1" '$1 ~ "^[ \t]*" k "$" { print $2; exit }'
}
# Replaces {{ NAME }} with the given NAME=VALUE pairs, then with the %arguments defaults.
def_render() {
  local text="$1" kv name value
  shift
  for kv in "$@" $(def_section 1 arguments | tr -d ' \t'); do
    name="${kv%%=*}" value="${kv#*=}"
    text="${text//"{{ $name }}"/$value}"
  done
  case "$text" in *"{{"*) fail "homolog.def: a build argument without a value: $text" ;; esac
  printf '%s\n' "$text"
}
dockerfile_arg() { sed -n "s/^ARG $1=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}\$/\\1/p" Dockerfile | head -1; }

# --- 1. linters
hadolint Dockerfile
shellcheck scripts/container-steps.sh scripts/check-containers.sh scripts/check-setup-lean.sh \
  scripts/setup.sh scripts/setup.d/30-containers.sh
for stage in 1 2; do
  for sec in post test runscript; do
    body="$(def_section "$stage" "$sec")"
    [ -n "$body" ] || continue
    printf '#!/bin/sh\n%s\n' "$(def_render "$body")" >"$work/def-$stage-$sec.sh"
    shellcheck -s sh "$work/def-$stage-$sec.sh" || fail "shellcheck: homolog.def stage $stage %$sec"
  done
done
echo "check-containers: hadolint and shellcheck clean"

# --- 2. the two recipes agree
if [ "$(def_header 1 Stage)" != build ] || [ "$(def_header 2 Stage)" != runtime ]; then
  fail "homolog.def: expected the stages build, runtime"
fi
if [ "$(def_header 1 From)" != "{{ BUILD_IMAGE }}" ] || [ "$(def_header 2 From)" != "{{ RUNTIME_IMAGE }}" ]; then
  fail "homolog.def: From: must be {{ BUILD_IMAGE }} and {{ RUNTIME_IMAGE }}"
fi
for a in BUILD_IMAGE RUNTIME_IMAGE; do
  if [ -z "$(def_arg $a)" ] || [ "$(def_arg $a)" != "$(dockerfile_arg $a)" ]; then
    fail "default $a differs: homolog.def '$(def_arg $a)', Dockerfile '$(dockerfile_arg $a)'"
  fi
done
case "$(def_arg RUNTIME_IMAGE)" in debian:12-slim) ;; *) fail "the runtime image is not debian:12-slim" ;; esac
case "$(def_arg BUILD_IMAGE)" in *bookworm*) ;; *) fail "the build image is not Debian 12 (bookworm)" ;; esac
grep -E '^!' .dockerignore | sed 's/^!//' | sort >"$work/context-docker"
def_section 1 files | awk 'NF { print $1 }' | sort >"$work/context-def"
diff -u "$work/context-docker" "$work/context-def" >&2 \
  || fail ".dockerignore's allow-list and homolog.def's build %files differ (above)"
while read -r p; do [ -e "$p" ] || fail "build context path $p does not exist"; done <"$work/context-docker"
for from in "FROM \${BUILD_IMAGE} AS build" "FROM \${RUNTIME_IMAGE} AS runtime"; do
  grep -qxF "$from" Dockerfile || fail "Dockerfile: expected the line $from"
done
for step in build runtime; do
  grep -qE "^RUN .*container-steps\.sh $step" Dockerfile || fail "Dockerfile does not run container-steps.sh $step"
  def_section "$([ $step = build ] && echo 1 || echo 2)" post | grep -q "container-steps.sh $step" \
    || fail "homolog.def does not run container-steps.sh $step"
done
grep -qx 'USER 10001:10001' Dockerfile || fail "Dockerfile: the runtime user must be USER 10001:10001"
grep -q 'uid=10001' scripts/container-steps.sh || fail "container-steps.sh no longer creates uid 10001"
grep -qx 'ENTRYPOINT \["/usr/local/bin/homolog"\]' Dockerfile || fail "Dockerfile: the binary must be the ENTRYPOINT"
def_section 2 runscript | grep -q 'exec /usr/local/bin/homolog "\$@"' || fail "homolog.def: %runscript must exec the binary"
! grep -q -- '--test' <(def_section 1 post; grep '^RUN' Dockerfile; sed -n '/^  build)/,/;;/p' scripts/container-steps.sh) \
  || fail "a container build step runs the test setup"
echo "check-containers: Dockerfile and homolog.def agree"

# --- 3. the steps, run in a throwaway root with stubs
stubs="$work/stubs"
mkdir -p "$stubs"
stub() { printf '#!/bin/sh\n%s\n' "$2" >"$stubs/$1"; chmod +x "$stubs/$1"; }
# Each stub appends its name and arguments to /log/calls (expanded in the stub, not here).
# shellcheck disable=SC2016
log='echo "$(basename "$0") $*" >>/log/calls'
stub apt-get "$log"
stub dpkg "$log; exit 1"  # nothing is installed: setup.sh then asks apt-get for every package
stub groupadd "$log"
stub useradd "$log"
stub chown "$log"
stub strip "$log"  # install -s strips with the strip on PATH; the stub binary is not ELF
stub curl "$log; echo 'curl must not run: cargo is on PATH' >&2; exit 1"
stub rustup "$log; exit 1"
stub cargo "$log
echo \"CUDA_COMPUTE_CAP=\${CUDA_COMPUTE_CAP-unset}\" >>/log/calls
mkdir -p \"\${CARGO_TARGET_DIR:-target}/release\"
printf '#!/bin/sh\\necho homolog 0.1.0\\n' >\"\${CARGO_TARGET_DIR:-target}/release/homolog\"
chmod +x \"\${CARGO_TARGET_DIR:-target}/release/homolog\""
# sandbox ROOT SCRIPT [bwrap options...]: runs SCRIPT with /bin/sh -e in a root made of the host's
# /usr (read-only, /usr/local/bin replaced by ROOT/bin) and tmpfs elsewhere, stubs first on PATH.
sandbox() {
  local root="$1" script="$2"
  shift 2
  mkdir -p "$root/bin" "$root/log" "$root/data"
  : >"$root/log/calls"
  # The steps' own output goes to ROOT/log/out, shown when a step fails.
  bwrap --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib \
    --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin --ro-bind /etc /etc \
    --proc /proc --dev /dev --tmpfs /tmp --dir /root --dir /var/lib/apt/lists \
    --bind "$root/bin" /usr/local/bin --bind "$root/log" /log --ro-bind "$stubs" /stubs \
    --ro-bind "$script" /step.sh "$@" \
    --clearenv --setenv PATH /stubs:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --setenv HOME /root \
    /bin/sh -e /step.sh >"$root/log/out" 2>&1 || { cat "$root/log/out" >&2; return 1; }
  cat "$root/log/out"
}
# The build context as both recipes copy it into /src (read-only: a step writes only target/).
context_binds=()
while read -r p; do context_binds+=(--ro-bind "$repo/$p" "/src/$p"); done <"$work/context-docker"

# expect_install ROOT LABEL PACKAGES: the one `apt-get install` of the log asks for exactly PACKAGES.
expect_install() {
  local got want
  got="$(awk '$1 == "apt-get" && $2 == "install" { for (i = 3; i <= NF; i++) if ($i !~ /^-/) print $i }' \
    "$1/log/calls" | sort | tr '\n' ' ')"
  local -a pkgs
  read -r -a pkgs <<<"$3"
  want="$(printf '%s\n' "${pkgs[@]}" | sort | tr '\n' ' ')"
  [ "$got" = "$want" ] || { cat "$1/log/calls" >&2; fail "$2: apt-get install asked for '$got', expected '$want'"; }
}
expect_calls() {  # ROOT LABEL PATTERN...: each pattern matches a line of the call log, in order
  local root="$1" label="$2" pat line=0 n
  shift 2
  for pat in "$@"; do
    n="$(awk -v from="$line" -v pat="$pat" 'NR > from && $0 ~ pat { print NR; exit }' "$root/log/calls")"
    [ -n "$n" ] || { cat "$root/log/calls" >&2; fail "$label: no call matching '$pat' (log above)"; }
    line="$n"
  done
}
lean="$(scripts/setup.sh --list | tr '\n' ' ' | sed 's/ $//')"
runtime="$(bash scripts/container-steps.sh --list-runtime | tr '\n' ' ' | sed 's/ $//')"

for variant in cpu cuda; do
  if [ "$variant" = cuda ]; then
    def_args=(FEATURES=cuda CUDA_COMPUTE_CAP=90)
    docker_env=(FEATURES=cuda CUDA_COMPUTE_CAP=90)
    cargo_pat="^cargo build --release --locked -p homolog-cli --features cuda$"
    cap_pat="^CUDA_COMPUTE_CAP=90$"
  else
    def_args=()
    docker_env=(FEATURES="$(dockerfile_arg FEATURES)" CUDA_COMPUTE_CAP="$(dockerfile_arg CUDA_COMPUTE_CAP)")
    cargo_pat="^cargo build --release --locked -p homolog-cli$"
    cap_pat="^CUDA_COMPUTE_CAP=unset$"
  fi
  # Apptainer: the build stage's %post, then the runtime stage's with its %files from build.
  b="$work/def-$variant-build" r="$work/def-$variant-runtime"
  def_render "$(def_section 1 post)" "${def_args[@]}" >"$work/def-$variant-build.sh"
  sandbox "$b" "$work/def-$variant-build.sh" --dir /src "${context_binds[@]}" >/dev/null \
    || fail "homolog.def build %post ($variant) failed"
  expect_install "$b" "homolog.def build ($variant)" "$lean"
  expect_calls "$b" "homolog.def build ($variant)" "^apt-get install " "$cargo_pat" "$cap_pat" "^strip "
  [ -x "$b/bin/homolog" ] || fail "homolog.def build ($variant): /usr/local/bin/homolog not installed"
  mkdir -p "$r"
  cp scripts/container-steps.sh "$r/steps.sh"
  def_render "$(def_section 2 post)" >"$work/def-$variant-runtime.sh"
  printf '%s\n' "$(def_section 2 test)" "$(def_section 2 runscript | sed 's/"\$@"/--version/')" \
    >"$work/def-$variant-check.sh"
  sandbox "$r" "$work/def-$variant-runtime.sh" --file 3 /tmp/container-steps.sh 3<"$r/steps.sh" >/dev/null \
    || fail "homolog.def runtime %post ($variant) failed"
  expect_install "$r" "homolog.def runtime ($variant)" "$runtime"
  expect_calls "$r" "homolog.def runtime ($variant)" "^apt-get update" \
    "^apt-get install " "^groupadd --gid 10001 homolog$" \
    "^useradd --uid 10001 --gid 10001 .*homolog$" "^chown homolog:homolog /data$"
  cp "$b/bin/homolog" "$r/bin/homolog"
  [ "$(sandbox "$r" "$work/def-$variant-check.sh" | tail -1)" = "homolog 0.1.0" ] \
    || fail "homolog.def ($variant): %test / %runscript do not run the binary"

  # Docker: the RUN lines of each stage, with the stage's ARG values in the environment.
  for stage in build runtime; do
    d="$work/docker-$variant-$stage"
    mkdir -p "$d"
    awk -v want="$stage" '/^FROM /{ st = $NF } st == want && /^RUN /{ sub(/^RUN /, ""); print }' Dockerfile \
      >"$d.run"
    ! grep -q '\\$' "$d.run" || fail "Dockerfile: a continued RUN line; the check reads one line per RUN"
    {
      printf 'export %q\n' "${docker_env[@]}"
      [ "$stage" = build ] && echo "cd /src"
      cat "$d.run"
    } >"$d.sh"
    if [ "$stage" = build ]; then
      sandbox "$d" "$d.sh" --dir /src "${context_binds[@]}" >/dev/null || fail "Dockerfile build RUN ($variant) failed"
      expect_install "$d" "Dockerfile build ($variant)" "$lean"
      expect_calls "$d" "Dockerfile build ($variant)" "^apt-get install " "$cargo_pat" "$cap_pat" "^strip "
      [ -x "$d/bin/homolog" ] || fail "Dockerfile build ($variant): /usr/local/bin/homolog not installed"
    else
      cp scripts/container-steps.sh "$d/steps.sh"
      sandbox "$d" "$d.sh" --file 3 /tmp/container-steps.sh 3<"$d/steps.sh" >/dev/null || fail "Dockerfile runtime RUN failed"
      expect_install "$d" "Dockerfile runtime ($variant)" "$runtime"
      expect_calls "$d" "Dockerfile runtime ($variant)" "^apt-get install " "^useradd --uid 10001 --gid 10001 "
    fi
  done
done
echo "check-containers: the %post sections and RUN steps ran in a sandbox (CPU and cuda arguments)"

# --- 4. the run-time packages cover what the binary links (when a release binary is at hand)
bin=target/release/homolog
if [ -x "$bin" ] && command -v ldd >/dev/null 2>&1 && command -v apt-cache >/dev/null 2>&1; then
  # shellcheck disable=SC2086 # one word per package
  allowed=" $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $runtime 2>/dev/null | grep -v '^[ <]' | sort -u | tr '\n' ' ')"
  allowed+=" $(dpkg-query -W -f '${Package} ${Priority}\n' | awk '$2 == "required" { print $1 }' | tr '\n' ' ') "
  missing=()
  while read -r lib; do
    pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || true)"
    pkg="${pkg%%:*}"
    [ -n "$pkg" ] || { missing+=("$lib(no package)"); continue; }
    case "$allowed" in *" $pkg "*) ;; *) missing+=("$lib($pkg)") ;; esac
  done < <(ldd "$bin" | awk '$3 ~ /^\// { print $3 }')
  [ ${#missing[@]} -eq 0 ] || fail "$bin links libraries the runtime stage lacks: ${missing[*]}"
  echo "check-containers: every library $bin links is in the runtime packages ($runtime) or the base"
else
  echo "check-containers: no $bin here; the linked-library check is skipped (cargo build --release -p homolog-cli)"
fi
echo "check-containers: ok"
