#!/usr/bin/env bash
# gdgpu's CPU backend against torch on the CPU, alternately (ABBA), for
# BENCHMARKS.md's "Against torch on the CPU". On a shared machine one run of
# each side says little; alternating them several times and taking medians
# (bench/cpu_vs_torch_summary.py) spreads the other load over both.
#
# Usage: bench/cpu_vs_torch.sh GDGPU_BINARY OUTDIR [CYCLES]
#   CYCLES (default 2) ABBA cycles of each phase: the mlp step (gdgpu bench
#   --mlp --device cpu against torch.nn in float64), then the sweep
#   (1e5, 1e6, 1e7); then one A C D D C A round of context runs: torch's
#   float32 mlp step (C) and, when TORCH_OPENBLAS names a folder holding
#   OpenBLAS's libblas.so.3, torch's float64 step with it (D).
# Environment: PYTHON (default /usr/bin/python3, the interpreter with torch),
# THREADS (default 2: torch.set_num_threads, and GOMAXPROCS for gdgpu),
# PHASES (default "mlp sweep ctx": which phases run, in the order above;
# "mlp-openblas" is the mlp phase against torch's float64 step with
# TORCH_OPENBLAS's BLAS, and, when BEFORE names another gdgpu binary, with
# that binary's runs too: each cycle runs BEFORE, gdgpu, torch, torch,
# gdgpu, BEFORE, named gdgpu-before-mlp, gdgpu-mlp, torch-mlp-f64-openblas).
# Each run writes NAME.json and NAME.time (/usr/bin/time: wall, user and
# system CPU seconds) and appends /proc/loadavg before and after it to
# OUTDIR/load.txt.
set -euo pipefail
bin=${1:?usage: bench/cpu_vs_torch.sh GDGPU_BINARY OUTDIR [CYCLES]}
out=${2:?usage: bench/cpu_vs_torch.sh GDGPU_BINARY OUTDIR [CYCLES]}
cycles=${3:-2}
py=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# run NAME CMD...: one timed run, its load average before and after.
run() {
	local name=$1
	shift
	echo "$name before $(cat /proc/loadavg)" >>"$out/load.txt"
	/usr/bin/time -f '%e %U %S' -o "$out/$name.time" "$@" >"$out/$name.json"
	echo "$name after $(cat /proc/loadavg)" >>"$out/load.txt"
}

gmlp() { run "$1" env GOMAXPROCS="$threads" "$bin" bench --mlp --device cpu --reps 5 --json; }
# tmlp NAME PRECISION [VAR=VALUE...]: the variables go to torch's environment.
tmlp() { run "$1" env "${@:3}" "$py" "$here/torch_baseline.py" --mlp --device cpu --threads "$threads" --precision "$2" --reps 5 --warmup 1; }
gsweep() { run "$1" env GOMAXPROCS="$threads" "$bin" bench --device cpu --sizes 1e5,1e6,1e7 --reps 10 --loop-steps 10 --json; }
tsweep() { run "$1" "$py" "$here/torch_baseline.py" --device cpu --threads "$threads" --precision f64 --n 1e5,1e6,1e7 --reps 10 --warmup 2; }

phases=" ${PHASES:-mlp sweep ctx} "
ob() { tmlp "$1" f64 OPENBLAS_NUM_THREADS="$threads" LD_LIBRARY_PATH="$TORCH_OPENBLAS"; }
if [[ $phases == *" mlp "* ]]; then
	for ((c = 1; c <= cycles; c++)); do
		gmlp "gdgpu-mlp-$c-a"
		tmlp "torch-mlp-f64-$c-a" f64
		tmlp "torch-mlp-f64-$c-b" f64
		gmlp "gdgpu-mlp-$c-b"
	done
fi
if [[ $phases == *" mlp-openblas "* ]]; then
	: "${TORCH_OPENBLAS:?the mlp-openblas phase needs TORCH_OPENBLAS}"
	before() { [ -z "${BEFORE:-}" ] || run "$1" env GOMAXPROCS="$threads" "$BEFORE" bench --mlp --device cpu --reps 5 --json; }
	for ((c = 1; c <= cycles; c++)); do
		before "gdgpu-before-mlp-$c-a"
		gmlp "gdgpu-mlp-$c-a"
		ob "torch-mlp-f64-openblas-$c-a"
		ob "torch-mlp-f64-openblas-$c-b"
		gmlp "gdgpu-mlp-$c-b"
		before "gdgpu-before-mlp-$c-b"
	done
fi
if [[ $phases == *" sweep "* ]]; then
	for ((c = 1; c <= cycles; c++)); do
		gsweep "gdgpu-sweep-$c-a"
		tsweep "torch-sweep-f64-$c-a"
		tsweep "torch-sweep-f64-$c-b"
		gsweep "gdgpu-sweep-$c-b"
	done
fi
if [[ $phases == *" ctx "* ]]; then
	gmlp gdgpu-mlp-ctx-a
	tmlp torch-mlp-f32-a f32
	if [ -n "${TORCH_OPENBLAS:-}" ]; then ob torch-mlp-f64-openblas-a; ob torch-mlp-f64-openblas-b; fi
	tmlp torch-mlp-f32-b f32
	gmlp gdgpu-mlp-ctx-b
fi
