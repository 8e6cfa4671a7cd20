#!/usr/bin/env bash
# One-shot check of the CUDA backend on a GPU machine (issue 16), in under 8 minutes with
# only what that machine has (nvcc 13, CMake, ninja, pybind11, numpy, pytest, Python 3.12;
# no network, no dp-accounting / flwr / cryptography, none of which tests/gpu imports):
#   1. build pyppml/_core and pyppml/_gpu with -DPYPPML_CUDA=ON (direct CMake, modules
#      copied into this tree's pyppml/, which is a throwaway copy on that machine);
#   2. run tests/gpu (every kernel and CKKS operation against the CPU scalar backend);
#   3. run bench/gpu/bench_gpu.py (JSON lines).
# Everything lands in $OUT (default ./gpu-check-out): summary.txt, env.txt, build.log,
# probe.json, tests.log, tests.xml, bench_gpu.jsonl, bench.log, sanitizer_*.log (when
# compute-sanitizer is installed). Exit status: 0 when the
# build and the tests passed (the benchmark's failure is reported, not fatal).
#   usage: OUT=/some/dir bash bench/gpu/check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
start=$(date +%s)
log() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/summary.txt"; }
# A step's time limit: its own, or what is left of 470 s for the whole script.
cap() { local left=$(( 470 - ($(date +%s) - start) )); (( left < 5 )) && left=5; (( left < $1 )) && echo "$left" || echo "$1"; }
jobs=$(nproc 2>/dev/null || echo 4)

{
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown) $(git status --porcelain 2>/dev/null | wc -l) changed files"
  python3 --version; cmake --version | head -1; nvcc --version | tail -2
  nvidia-smi --query-gpu=name,memory.total,compute_cap,driver_version --format=csv 2>&1
  lscpu | grep -E "Model name|^CPU\(s\)"
} > "$OUT/env.txt" 2>&1
log "env: $(grep -m1 -A1 '^name' "$OUT/env.txt" | tail -1)"

# 1. Build (Release, CUDA required; sm_90 + compute_90 PTX).
build=build-gpu-check
if timeout "$(cap 90)" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPYPPML_CUDA=ON -DPPML_INPLACE=ON \
     -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" > "$OUT/build.log" 2>&1 &&
   timeout "$(cap 240)" cmake --build "$build" -j "$jobs" --target _core _gpu >> "$OUT/build.log" 2>&1; then
  log "build: ok"
else
  log "build: FAILED (see build.log)"; tail -30 "$OUT/build.log" | tee -a "$OUT/summary.txt"; exit 1
fi

# 2. Is the GPU usable from Python, and does import pyppml stay free of CUDA?
python3 - > "$OUT/probe.json" 2>&1 <<'PY'
import json, sys
import pyppml
assert not any(m.startswith("pyppml._gpu") for m in sys.modules), "import pyppml loaded the CUDA module"
print(json.dumps({"gpu": pyppml.info()["gpu"], "available_backends": pyppml.available_backends()}))
PY
log "probe: $(head -c 600 "$OUT/probe.json")"

# 3. tests/gpu (cuda parameter runs; the emulated ones skip: no emulation build here).
timeout "$(cap 180)" python3 -m pytest -q -p no:cacheprovider -rs tests/gpu --junitxml="$OUT/tests.xml" > "$OUT/tests.log" 2>&1
tests_rc=$?
log "tests/gpu: rc=$tests_rc, $(tail -1 "$OUT/tests.log")"

# 4. Benchmark: n = 2^16, 36 limbs / L = 35, dnum = 3, beside one CPU core.
: > "$OUT/bench_gpu.jsonl"
if timeout "$(cap 150)" python3 bench/gpu/bench_gpu.py --runs 20 --cpu-runs 3 --out "$OUT/bench_gpu.jsonl" > /dev/null 2> "$OUT/bench.log"; then
  log "bench: ok"
else
  log "bench: FAILED or timed out (rc=$?; see bench.log)"
fi
grep "^#" "$OUT/bench.log" | tee -a "$OUT/summary.txt"

# 5. Where the toolkit has it: shared-memory races and out-of-bounds accesses of the NTT
#    and key-switching kernels (compute-sanitizer racecheck / memcheck, small rings only).
if command -v compute-sanitizer > /dev/null; then
  for tool in racecheck memcheck; do
    timeout "$(cap 60)" compute-sanitizer --tool "$tool" --error-exitcode 99 python3 -m pytest -q -p no:cacheprovider tests/gpu \
      -k "cuda and n4096 and (ntt or rotate or multiply)" > "$OUT/sanitizer_$tool.log" 2>&1
    log "compute-sanitizer $tool: rc=$? $(grep -m1 -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer_$tool.log")"
  done
else
  log "compute-sanitizer: not installed, skipped"
fi
log "done"
exit $tests_rc
