#!/usr/bin/env bash
# Checks the workflow-manager integrations in workflows/ (docs/workflows.md). No network; a few
# seconds, plus about 10 s when a homolog binary is at hand.
#
#  1. Nextflow module (workflows/nextflow/modules/homolog/run): meta.yml has the nf-core schema's
#     required fields and shapes (needs python3 with PyYAML; skipped with a message otherwise), and
#     main.nf declares process HOMOLOG_RUN with the inputs and outputs that meta.yml names, a
#     container directive, task.ext.args, --threads from task.cpus, versions.yml and a stub; the
#     example pipeline includes the module.
#  2. The module's script block, rendered as Nextflow would (Groovy ${...} substituted, \$ and \\
#     unescaped, indentation stripped), runs in a work directory laid out like a Nextflow task's
#     (staged links to the FASTA, the reference folder and the config) on 20 demo queries, and the
#     output globs */summary.csv, */topgo, <prefix>_* and versions.yml match. Needs a homolog
#     binary: $HOMOLOG_BIN, else target/release/homolog, else `homolog` on PATH.
#  3. Snakemake (workflows/snakemake): `snakemake --lint`, a dry run and a real run of the example
#     on the same demo data, when snakemake is installed ($SNAKEMAKE or on PATH;
#     `pip install snakemake`; scripts/setup.d/90-workflows.sh installs it for CI).
#  4. When a working `nextflow` is on PATH (not installable here: the launcher from PyPI downloads
#     its jar from www.nextflow.io): the example pipeline on the same data. Untested so far.
#
# Only a missing optional tool (PyYAML, snakemake, nextflow, the homolog binary) skips a part;
# anything wrong in the files fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
module=workflows/nextflow/modules/homolog/run

fail() { echo "check-workflows: FAIL: $*" >&2; exit 1; }
# A tool CI installs (scripts/setup.sh --test) must be there when HOMOLOG_REQUIRE_DATA=1;
# Nextflow cannot be installed offline, so its run is only ever noted.
skip() {
  if [ "${HOMOLOG_REQUIRE_DATA:-0}" != 0 ]; then
    fail "$* (HOMOLOG_REQUIRE_DATA=1: scripts/setup.sh --test installs it)"
  fi
  echo "check-workflows: skipped: $*" >&2
}
note() { echo "check-workflows: not run: $*" >&2; }
ok() { echo "check-workflows: ok: $*"; }

for f in "$module/main.nf" "$module/meta.yml" workflows/nextflow/main.nf \
         workflows/nextflow/nextflow.config workflows/snakemake/Snakefile \
         workflows/snakemake/config.yaml workflows/snakemake/homolog.yaml; do
  [ -f "$f" ] || fail "$f is missing"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- 1. the Nextflow module, statically
command -v python3 >/dev/null 2>&1 || fail "python3 is needed"
python3 - "$module" <<'EOF' || fail "Nextflow module checks"
import os, re, sys
module = sys.argv[1]
nf = open(f"{module}/main.nf").read()
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)

m = re.search(r"^process\s+(\w+)\s*\{", nf, re.M)
need(m and m.group(1) == "HOMOLOG_RUN", "main.nf: no `process HOMOLOG_RUN {`")
def block(name, text=nf):
    b = re.search(rf"^\s*{name}:\s*\n(.*?)(?=^\s*\w+:\s*\n|\Z)", text, re.M | re.S)
    return b.group(1) if b else ""
inputs, outputs = block("input"), block("output")
need(re.search(r"^\s*container\s+\S", nf, re.M), "main.nf: no container directive")
need("task.ext.args" in nf, "main.nf: task.ext.args unused")
need(re.search(r"--threads\s+\$\{task\.cpus\}", nf), "main.nf: --threads is not ${task.cpus}")
need("versions.yml" in outputs, "main.nf: versions.yml is not an output")
need(re.search(r"^\s*stub:", nf, re.M), "main.nf: no stub block")
need(re.search(r"^\s*tag\s", nf, re.M), "main.nf: no tag")

try:
    import yaml
except ImportError:
    if os.environ.get("HOMOLOG_REQUIRE_DATA", "0") != "0":
        sys.exit("check-workflows: FAIL: python3 has no PyYAML (scripts/setup.sh --test installs it)")
    print("check-workflows: skipped: meta.yml checks (python3 has no PyYAML; pip install pyyaml)",
          file=sys.stderr)
    yaml = None
if yaml:
    meta = yaml.safe_load(open(f"{module}/meta.yml"))
    for key in ["name", "description", "keywords", "authors", "input", "output", "tools"]:
        need(key in meta, f"meta.yml: no {key}")
    need(meta.get("name") == "homolog_run", "meta.yml: name is not homolog_run")
    kw = meta.get("keywords") or []
    need(len(kw) >= 3 and len(set(kw)) == len(kw), "meta.yml: keywords: at least 3, unique")
    for tool in meta.get("tools") or []:
        for tname, t in tool.items():
            need(isinstance(t, dict) and "description" in t, f"meta.yml: tool {tname}: no description")
            need(any(k in t for k in ("homepage", "documentation", "tool_dev_url", "doi")),
                 f"meta.yml: tool {tname}: no homepage/documentation/tool_dev_url/doi")
            need(isinstance(t.get("licence"), list), f"meta.yml: tool {tname}: licence is not a list")
    kinds = {"map", "file", "directory", "string", "integer", "float", "boolean", "list"}
    def elements(items, where):
        for el in items:
            need(isinstance(el, dict) and len(el) == 1, f"meta.yml: {where}: an element is not a one-key map")
            for ename, e in el.items():
                need(isinstance(e, dict) and e.get("type") in kinds and "description" in e,
                     f"meta.yml: {where}/{ename}: needs type (one of {sorted(kinds)}) and description")
                yield ename, e
    # input: a list of channels, each a list of elements; each element is declared in main.nf.
    for i, channel in enumerate(meta.get("input") or []):
        need(isinstance(channel, list), f"meta.yml: input {i} is not a list")
        for ename, e in elements(channel, f"input {i}"):
            need(re.search(rf"(val|path)\s*\(?\s*{re.escape(ename)}\b", inputs),
                 f"main.nf: input {ename} of meta.yml is not declared")
    # output: a list of {emit name: [elements]}; each is emitted by main.nf with its patterns.
    for out in meta.get("output") or []:
        need(isinstance(out, dict) and len(out) == 1, "meta.yml: an output is not a one-key map")
        for emit, items in out.items():
            line = next((l for l in outputs.splitlines() if re.search(rf"emit:\s*{emit}\b", l)), None)
            need(line is not None, f"main.nf: no output emit: {emit}")
            for ename, e in elements(items, f"output {emit}"):
                if e["type"] in ("file", "directory") and line:
                    name = ename.replace("${prefix}", "${task.ext.prefix ?: meta.id}")
                    need(name in line, f"main.nf: output {emit} does not name {ename}")
                if e["type"] == "map" and line:
                    need("val(meta)" in line, f"main.nf: output {emit} has no val(meta)")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
EOF
grep -q "include { HOMOLOG_RUN } from './modules/homolog/run/main'" workflows/nextflow/main.nf \
  || fail "workflows/nextflow/main.nf does not include the module"
ok "Nextflow module: main.nf declares what meta.yml describes"

# --- demo data for the runs: 20 queries, the reference built from data/demo
if [ -n "${HOMOLOG_BIN:-}" ]; then homolog="$HOMOLOG_BIN"
elif [ -x target/release/homolog ]; then homolog="$repo/target/release/homolog"
else homolog="$(command -v homolog || true)"
fi
if [ -z "$homolog" ]; then
  skip "the module and example runs: no homolog binary (build target/release/homolog or set HOMOLOG_BIN)"
  exit 0
fi
mkdir -p "$work/bin" "$work/data"
ln -s "$homolog" "$work/bin/homolog"
export PATH="$work/bin:$PATH"
cp data/demo/*.gz "$work/data/"
gzip -dc data/demo/queries.fasta.gz | awk '/^>/ { n++ } n <= 20' >"$work/data/queries20.fasta"
cat >"$work/homolog.yaml" <<EOF
prefix: run
reference:
  path: $work/reference
  sequences: [$work/data/reference.fasta.gz]
  annotations: [$work/data/reference_go.tsv.gz]
  ontology: $work/data/go-basic-demo.obo.gz
  evidence_codes: []
lookup:
  limit_per_entry: 30
postprocess:
  score: vote
EOF
homolog -q initialize --config "$work/homolog.yaml" >"$work/initialize.log" 2>&1 \
  || { cat "$work/initialize.log" >&2; fail "homolog initialize on the demo data"; }

# --- 2. the module's script block, run as a Nextflow task would run it
python3 - "$module/main.nf" >"$work/task.sh" <<'EOF' || fail "rendering the module's script block"
import re, sys, textwrap
nf = open(sys.argv[1]).read()
body = re.search(r'^\s*script:\s*\n(.*?)^\s*stub:', nf, re.M | re.S).group(1)
script = re.search(r'"""\n(.*?)"""', body, re.S).group(1)
values = {"config_arg": "--config homolog.yaml", "fasta": "queries20.fasta", "task.cpus": "2",
          "reference": "reference", "prefix": "sample1", "args": "--set lookup.limit_per_entry=10",
          "task.process": "HOMOLOG_RUN"}
def sub(m):
    if m.group(1) not in values:
        sys.exit(f"unknown Groovy expression ${{{m.group(1)}}} in the script block")
    return values[m.group(1)]
out = re.sub(r"(?<!\\)\$\{([^}]*)\}", sub, script)
out = out.replace("\\$", "$").replace("\\\\", "\\")
print("set -euo pipefail")  # Nextflow runs the task script with bash -ue (and pipefail)
print(textwrap.dedent(out))
EOF
mkdir "$work/task"
ln -s "$work/data/queries20.fasta" "$work/task/queries20.fasta"
ln -s "$work/reference" "$work/task/reference"
ln -s "$work/homolog.yaml" "$work/task/homolog.yaml"
(cd "$work/task" && bash "$work/task.sh" >"$work/task.log" 2>&1) \
  || { cat "$work/task.sh" "$work/task.log" >&2; fail "the module's script block"; }
(
  cd "$work/task"
  shopt -s nullglob
  s=(*/summary.csv) t=(*/topgo) e=(sample1_[0-9]*)
  [ ${#s[@]} = 1 ] && [ -s "${s[0]}" ] || fail "module: */summary.csv matches ${#s[@]} files"
  [ ${#t[@]} = 1 ] && [ -d "${t[0]}" ] && [ -n "$(ls "${t[0]}")" ] || fail "module: */topgo"
  [ ${#e[@]} = 1 ] && [ -d "${e[0]}" ] || fail "module: sample1_* matches ${#e[@]}"
  [ ! -e homolog_runs ] || fail "module: homolog_runs left behind"
  grep -q '^HOMOLOG_RUN:' versions.yml 2>/dev/null || grep -q '^"HOMOLOG_RUN":' versions.yml \
    || fail "module: versions.yml: $(cat versions.yml)"
  ver="$(python3 -c 'import sys,yaml; print(yaml.safe_load(open("versions.yml"))["HOMOLOG_RUN"]["homolog"])' 2>/dev/null \
         || sed -n 's/^ *homolog: *//p' versions.yml)"
  [ -n "$ver" ] || fail "module: versions.yml has no homolog version"
  queries="$(cut -d, -f1 "${s[0]}" | tail -n +2 | sort -u | wc -l)"
  [ "$queries" -ge 15 ] || fail "module: summary.csv annotates only $queries of 20 queries"
  ok "Nextflow module script: ${s[0]} ($queries queries annotated), ${t[0]}, versions.yml (homolog $ver)"
) || exit 1

# --- 3. Snakemake
snakemake="${SNAKEMAKE:-$(command -v snakemake || true)}"
if [ -z "$snakemake" ]; then
  skip "Snakemake lint, dry run and run: snakemake is not installed (pip install snakemake)"
else
  cp -r workflows/snakemake "$work/smk"
  mkdir -p "$work/smk/demo-out"
  ln -s "$work/data" "$work/smk/demo-out/data"
  (
    cd "$work/smk"
    "$snakemake" --lint >"$work/lint.log" 2>&1 || { cat "$work/lint.log" >&2; fail "snakemake --lint"; }
    "$snakemake" -n --cores 2 --config homolog="$homolog" >"$work/dry.log" 2>&1 \
      || { cat "$work/dry.log" >&2; fail "snakemake -n"; }
    "$snakemake" --cores 2 --config homolog="$homolog" \
      'samples={"demo": "demo-out/data/queries20.fasta"}' >"$work/smk.log" 2>&1 \
      || { cat "$work/smk.log" results/logs/* >&2 2>/dev/null; fail "snakemake run"; }
    [ -s results/demo/summary.csv ] && [ -d results/demo/topgo/ensemble ] || fail "snakemake outputs"
    ok "Snakemake: lint clean, dry run, run -> results/demo/summary.csv and topgo/ ($("$snakemake" --version))"
  ) || exit 1
fi

# --- 4. Nextflow itself, when it works here
if command -v nextflow >/dev/null 2>&1 \
   && (cd "$work" && NXF_TEMP="$work" timeout 60 nextflow -version >/dev/null 2>&1); then
  (
    cd "$work"
    export NXF_TEMP="$work"
    nextflow run "$repo/workflows/nextflow/main.nf" --fasta "$work/data/queries20.fasta" \
      --reference "$work/reference" --config "$work/homolog.yaml" --outdir "$work/nf-results" \
      >"$work/nf.log" 2>&1 || { cat "$work/nf.log" >&2; fail "nextflow run"; }
    ls "$work"/nf-results/queries20/queries20_*/summary.csv >/dev/null || fail "nextflow outputs"
    ok "Nextflow: the example pipeline ran"
  ) || exit 1
else
  note "the Nextflow example: no working nextflow (its launcher downloads its jar from www.nextflow.io)"
fi
