#!/usr/bin/env bash
# gpu-check.sh: prove and measure gdgpu on a GPU machine in one unattended
# command (at most about 8 minutes), writing everything into $GPU_CHECK_OUT
# (default gpu-report/) step by step, so that a run cut short still leaves
# what it finished. report.md there sums it up; BENCHMARKS.md says how it
# becomes a table there.
#
#   scripts/gpu-check.sh [--quick] [--allow-software] [--gpu N] [--build-only]
#
# Steps, in order (each under its own time limit; a failed step is noted
# and the next one runs, except that a refused device ends the check):
#   1. gdgpu info --devices (text and JSON); refuse a software renderer on
#      device N unless --allow-software;
#   2. the GL tests: first the fp64 rounding assumption, then the engine
#      suite, on device N (-gdgpu.gpu N, and -gdgpu.hardware unless
#      --allow-software); then the command's suite and the bench package's
#      (on device 0, the default of every gdgpu command);
#   3. gdgpu bench --json: f32 at 1e6, 1e7, 1e8, f64 at 1e8, lbfgs's
#      iteration at 1e7, and bench --mlp (issue 16: an mlp training step at
#      batch 256 and 1024 on the GPU and the CPU, the GEMM kernel alone),
#      and BenchmarkStepVector (the fused step with the scalar and the
#      vector path forced: whether the vector path pays, before a device class turns it on);
#   4. the PyTorch side (bench/torch_baseline.py, its --mlp rows too) when
#      torch sees CUDA, then bench/compare.py: each figure beside its goal;
#      and, where python3 has torch (CUDA or not), lbfgs against
#      torch.optim.LBFGS in float64 (bench/lbfgs_torch.py, on the CPU
#      backend) and the mlp step on torch's CPU in float64;
#   5. a headless race picture (view --png) and compare at 1e7 in f32 and f64;
#   6. gdgpu bench at 1e9 in f32 (a row that does not fit is skipped, with
#      the reason), last since it is the likeliest to be cut by the budget.
# The whole check has a budget of 480 s (300 s with --quick): each step's
# limit is cut to what is left, and a step with under 5 s left is skipped.
#
# --quick runs the same steps at small sizes and only a few tests; it is what
# CI runs on llvmpipe (with --allow-software), in well under 5 minutes.
#
# Binaries: with a Go toolchain the script builds bin/gdgpu and the test
# binaries in bin/gpu-check/; without one (a GPU machine with no Go) it uses
# those already there. --build-only builds them and stops: build here, carry
# bin/ to the GPU machine, run there.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.toolchain/go/bin:$PATH"

quick=0 allow_soft=0 gpu=0 build_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--allow-software) allow_soft=1 ;;
	--gpu) gpu="${2:?--gpu needs a device index}"; shift ;;
	--gpu=*) gpu="${1#--gpu=}" ;;
	--build-only) build_only=1 ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "gpu-check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$gpu" in '' | *[!0-9]*) echo "gpu-check.sh: --gpu $gpu is not a device index" >&2; exit 2 ;; esac

bin=bin/gdgpu tests=bin/gpu-check
if command -v go >/dev/null 2>&1; then
	echo "building bin/gdgpu and the test binaries"
	mkdir -p "$tests" &&
		go build -tags egl -o "$bin" ./cmd/gdgpu &&
		go test -tags egl -c -o "$tests/engine.test" ./engine &&
		go test -tags egl -c -o "$tests/gdgpu.test" ./cmd/gdgpu &&
		go test -tags egl -c -o "$tests/bench.test" ./bench || { echo "gpu-check.sh: build failed" >&2; exit 3; }
	# The commit travels with the binaries (a GPU machine may have no git).
	c=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	git diff --quiet HEAD 2>/dev/null
	[ $? -eq 1 ] && c="$c (with local changes)" # 1: changes; 128: no repository
	echo "$c" >"$tests/commit"
elif [ ! -x "$bin" ] || [ ! -x "$tests/engine.test" ] || [ ! -x "$tests/gdgpu.test" ] || [ ! -x "$tests/bench.test" ]; then
	echo "gpu-check.sh: no Go toolchain and no prebuilt $bin, $tests/engine.test, $tests/gdgpu.test, $tests/bench.test (run scripts/gpu-check.sh --build-only where Go is)" >&2
	exit 3
fi
[ "$build_only" = 1 ] && exit 0

# Containers often mount NVIDIA's driver under /usr/local/nvidia, where
# glvnd does not look for its EGL vendor file.
nv_vendor=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$nv_vendor" ] &&
	! ls /usr/share/glvnd/egl_vendor.d/*nvidia* /etc/glvnd/egl_vendor.d/*nvidia* >/dev/null 2>&1; then
	export __EGL_VENDOR_LIBRARY_FILENAMES=$nv_vendor
fi

out="${GPU_CHECK_OUT:-gpu-report}"
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	echo "gpu-check.sh: $out exists and is not empty; move it away or set GPU_CHECK_OUT" >&2
	exit 2
fi
mkdir -p "$out" || exit 3
report="$out/report.md"
failed=()
sw_flag=-gdgpu.hardware
[ "$allow_soft" = 1 ] && sw_flag=
mode=full
[ "$quick" = 1 ] && mode=quick

{
	echo "# gdgpu GPU check ($mode)"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- commit of the binaries: $(cat "$tests/commit" 2>/dev/null || echo unknown)"
	echo "- host: $(uname -srm), $(nproc) CPUs"
	echo "- gdgpu: $("$bin" --version 2>/dev/null | head -1 || echo unknown)"
	[ -n "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && echo "- __EGL_VENDOR_LIBRARY_FILENAMES=$__EGL_VENDOR_LIBRARY_FILENAMES"
	if command -v nvidia-smi >/dev/null 2>&1; then
		echo "- nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total,mig.mode.current --format=csv,noheader 2>&1 | head -4 | tr '\n' ';')"
	fi
	echo
} >"$report"

# The whole check's time: each step's limit is cut to what is left of it,
# and a step with less than 5 s left is skipped, so the check ends in time.
budget=480
[ "$quick" = 1 ] && budget=300
start=$SECONDS

# step NAME LIMIT_S CMD...: run CMD under a time limit with its output in
# $out/NAME.log, and note the outcome in report.md.
step() {
	local name=$1 limit=$2
	shift 2
	local left=$((budget - (SECONDS - start)))
	if [ "$left" -lt 5 ]; then
		echo "- $name: **skipped** (the check's ${budget}s are spent)" >>"$report"
		failed+=("$name")
		return 0
	fi
	[ "$limit" -gt "$left" ] && limit=$left
	local t0=$SECONDS rc
	echo "== $name (limit ${limit}s)"
	if declare -F "$1" >/dev/null; then # a function of this script: timeout needs a program
		timeout --kill-after=10 "$limit" bash -c '"$@"' _ "$@" >"$out/$name.log" 2>&1
	else
		timeout --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1
	fi
	rc=$?
	local took=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		echo "- $name: ok (${took}s)" >>"$report"
	else
		[ $rc -eq 124 ] && rc="$rc, time limit"
		echo "- $name: **failed** (exit $rc, ${took}s; see $name.log)" >>"$report"
		failed+=("$name")
		tail -5 "$out/$name.log" | sed 's/^/    /'
	fi
	return 0
}

# 1. The devices.
echo "## Devices" >>"$report"
step devices 30 "$bin" info --devices
timeout --kill-after=5 30 "$bin" info --devices --json >"$out/devices.json" 2>>"$out/devices.log"
timeout --kill-after=5 30 "$bin" info --gpu "$gpu" --json >"$out/device.json" 2>>"$out/devices.log"
{
	echo
	echo '```'
	cat "$out/devices.log"
	echo '```'
	echo
} >>"$report"
if ! grep -q '"renderer"' "$out/device.json"; then
	echo "**Stopped: no context on device $gpu** (see devices.log)." >>"$report"
	echo "gpu-check.sh: no GL context on device $gpu; see $out/devices.log" >&2
	exit 3
fi
if grep -q '"software": true' "$out/device.json" && [ "$allow_soft" = 0 ]; then
	echo "**Stopped: device $gpu is a software renderer** ($(grep -m1 '"renderer"' "$out/device.json" | sed 's/^ *//')); --allow-software runs on it anyway." >>"$report"
	echo "gpu-check.sh: device $gpu is a software renderer; pass --allow-software to check it anyway" >&2
	exit 3
fi

# 2. The GL tests on that device; the fp64 assumption first, since the
# parity tolerances rest on it.
echo "## Tests" >>"$report"
testrun() { # PKGDIR BINARY ARGS...: a test binary runs in its package's folder
	local dir=$1 tb=$PWD/$2
	shift 2
	(cd "$dir" && "$tb" -test.count=1 "$@" -gdgpu.gpu="$gpu" $sw_flag)
}
export gpu sw_flag out bin
export -f testrun
step test-fp64 30 testrun engine "$tests/engine.test" -test.v -test.run 'TestFP64DivSqrtCorrectlyRounded|TestModelMathFP64|TestFP64'
if [ "$quick" = 1 ]; then
	step test-engine 240 testrun engine "$tests/engine.test" -test.run 'TestDevices|TestSoftwarePolicy|TestRobust|TestParity|TestDeterministic|TestDiverged|TestVectorPath|TestWorkgroupSizes'
	step test-cmd 120 bash -c "cd cmd/gdgpu && ../../$tests/gdgpu.test -test.count=1 -test.run 'TestGPUInfo|TestGPURunAndCompare'"
else
	step test-engine 90 testrun engine "$tests/engine.test" -test.v
	step test-cmd 60 bash -c "cd cmd/gdgpu && ../../$tests/gdgpu.test -test.count=1 -test.v"
	step test-bench 60 bash -c "cd bench && ../$tests/bench.test -test.count=1 -test.v"
fi

# 3. Benchmarks.
echo >>"$report"
echo "## Benchmarks" >>"$report"
if [ "$quick" = 1 ]; then
	sizes=1e4,1e5 big=2e5 f64sizes=1e5 reps=(--reps 3 --loop-steps 20)
else
	sizes=1e6,1e7,1e8 big=1e9 f64sizes=1e8 reps=(--reps 20)
fi
benchjson() { # NAME ARGS...: JSON to NAME.json, stderr to NAME.log
	local name=$1
	shift
	"$bin" bench --gpu "$gpu" "$@" --json >"$out/$name.json"
}
export -f benchjson
# With Rosenbrock typed as an expression too: issue 14's goal compares it
# with the hand-written kernel (compare.py).
rosen='sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)'
step bench-f32 60 benchjson bench-f32 --sizes "$sizes" "${reps[@]}" --objective "$rosen"
step bench-f64 30 benchjson bench-f64 --precision f64 --sizes "$f64sizes" "${reps[@]}"
# lbfgs (issue 15): one iteration with 10 and 100 pairs held, by wall time.
lsize=1e7
[ "$quick" = 1 ] && lsize=1e4
step bench-lbfgs 40 benchjson bench-lbfgs --sizes "$lsize" --reps 3 --loop-steps 2 --lbfgs
# The mlp (issue 16): a training step of 784-1024-1024-10 at batch 256 and
# 1024 and the GEMM kernel at 1024^3 and 4096^3 (GFLOP/s); the CPU
# reference's step too. --quick: a small network, so llvmpipe is quick.
mlpargs=(--reps 10) mlpcpu=(--reps 3)
if [ "$quick" = 1 ]; then
	mlpargs=(--mlp-hidden 64,64 --mlp-batches 32 --gemm-sizes 128 --reps 2)
	mlpcpu=(--mlp-hidden 64,64 --mlp-batches 32 --reps 2)
fi
step bench-mlp 45 benchjson bench-mlp --mlp "${mlpargs[@]}"
step bench-mlp-cpu 30 bash -c "'$bin' bench --device cpu --mlp ${mlpcpu[*]} --json > '$out/bench-mlp-cpu.json'"
# The fused step with the scalar and the vector path forced (issue 17,
# item 2): whether 16-byte loads pay on this GPU (no device class turns them on until this says so).
# --quick: N = 1e5 only.
vshort=
[ "$quick" = 1 ] && vshort=-test.short
step bench-vector 40 testrun engine "$tests/engine.test" -test.run '^$' -test.bench 'BenchmarkStepVector' -test.benchtime 20x $vshort

# 4. PyTorch on the same GPU, then every figure beside its goal.
torch_files=()
if command -v python3 >/dev/null 2>&1 && python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
	tn=1e8
	[ "$quick" = 1 ] && tn=1e5
	step torch-f32 60 bash -c "python3 bench/torch_baseline.py --n $tn --reps 20 > '$out/torch-f32.json'"
	[ -s "$out/torch-f32.json" ] && torch_files+=("$out/torch-f32.json")
	step torch-lbfgs 40 bash -c "python3 bench/torch_baseline.py --n $lsize --reps 3 --lbfgs > '$out/torch-lbfgs.json'"
	[ -s "$out/torch-lbfgs.json" ] && torch_files+=("$out/torch-lbfgs.json")
	step torch-mlp 45 bash -c "python3 bench/torch_baseline.py --mlp ${mlpargs[*]} > '$out/torch-mlp.json'"
	[ -s "$out/torch-mlp.json" ] && torch_files+=("$out/torch-mlp.json")
else
	echo "- torch: not run (python3 with torch and CUDA not found)" >>"$report"
fi
if command -v python3 >/dev/null 2>&1 && python3 -c 'import torch' >/dev/null 2>&1; then
	# torch's own L-BFGS iterates beside gdgpu's (issue 15): the table goes
	# into the report whether or not the first step agrees.
	step lbfgs-torch 30 python3 bench/lbfgs_torch.py "$bin" --out "$out/lbfgs-torch"
	{ echo; echo "lbfgs against torch.optim.LBFGS (relative loss difference after each step):"; echo; cat "$out/lbfgs-torch.log"; } >>"$report"
	# The mlp step on torch's CPU, in float64 as the CPU reference computes.
	step torch-mlp-cpu 30 bash -c "python3 bench/torch_baseline.py --mlp --device cpu --precision f64 ${mlpcpu[*]} > '$out/torch-mlp-cpu.json'"
	[ -s "$out/torch-mlp-cpu.json" ] && torch_files+=("$out/torch-mlp-cpu.json")
else
	echo "- lbfgs-torch: not run (python3 with torch not found)" >>"$report"
fi
if command -v python3 >/dev/null 2>&1; then
	jsons=()
	for f in "$out"/bench-f32.json "$out"/bench-f64.json "$out"/bench-lbfgs.json "$out"/bench-mlp.json "$out"/bench-mlp-cpu.json; do
		[ -s "$f" ] && jsons+=("$f")
	done
	if [ ${#jsons[@]} -gt 0 ]; then
		step goals 10 python3 bench/compare.py --markdown "${jsons[@]}" "${torch_files[@]}"
		{ echo; cat "$out/goals.log"; } >>"$report"
	fi
else
	echo "- goals: not checked (no python3 for bench/compare.py)" >>"$report"
fi

# 5. A race picture and CPU/GPU comparisons.
echo >>"$report"
echo "## Picture and comparisons" >>"$report"
step race 20 "$bin" view --gpu "$gpu" --problem himmelblau --optimizer adam,sgd,rmsprop --lr 0.02 --steps 500 --png "$out/race.png"
cn=10000000 csteps=100
[ "$quick" = 1 ] && cn=10000 csteps=50
step compare-f32 25 "$bin" compare --gpu "$gpu" --dim "$cn" --steps "$csteps"
step compare-f64 25 "$bin" compare --gpu "$gpu" --precision f64 --dim "$cn" --steps "$csteps"
for c in compare-f32 compare-f64; do
	{ echo; echo "$c:"; echo '```'; cat "$out/$c.log"; echo '```'; } >>"$report"
done

# 6. The largest size last: it takes the longest to set up, and is the step
# the time budget most likely cuts.
if [ -n "$big" ]; then
	echo >>"$report"
	echo "## The largest size" >>"$report"
	step bench-f32-max 150 benchjson bench-f32-max --sizes "$big" --reps 5 --loop-steps 20
	if [ -s "$out/bench-f32-max.json" ] && command -v python3 >/dev/null 2>&1; then
		python3 bench/compare.py --markdown "$out/bench-f32-max.json" >"$out/goals-max.log" 2>&1
		{ echo; cat "$out/goals-max.log"; } >>"$report"
	fi
fi

echo >>"$report"
echo "Total: $((SECONDS - start)) s of the ${budget} s budget." >>"$report"
if [ ${#failed[@]} -gt 0 ]; then
	echo "**Failed steps: ${failed[*]}**" >>"$report"
	echo "gpu-check.sh: failed steps: ${failed[*]} (report: $report)" >&2
	exit 1
fi
echo "All steps passed." >>"$report"
echo "gpu-check.sh: all steps passed (report: $report)"
