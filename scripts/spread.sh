#!/usr/bin/env bash
# spread.sh: the --out bytes of a spread of runs, for checking that a
# refactor changes no result (the team's rule: record them before the
# change, compare after).
#
#   scripts/spread.sh BIN DIR     run BIN (a gdgpu binary) over the spread,
#                                 writing DIR/NAME.npy, DIR/NAME.txt (stdout,
#                                 stderr, exit code) and DIR/SUMS (sha256 of
#                                 every .npy)
#   diff before/SUMS after/SUMS   what changed
#
# The spread: every problem with adam or sgd+momentum, every torch rule,
# clipping by norm and by value, the models at batch sizes 7, 16 and 1,
# torch's L-BFGS with and without the line search, and gonum's methods;
# on the CPU and, where a GL context opens (llvmpipe included), on the GPU
# in f32 and f64. About a minute on 2 cores. GPU runs that cannot open a
# context leave their .txt with the error and no .npy.
set -u
if [ $# -ne 2 ]; then
	echo "usage: scripts/spread.sh BIN DIR" >&2
	exit 2
fi
bin=$(realpath "$1")
dir=$2
mkdir -p "$dir" && rm -f "$dir"/*.npy "$dir"/*.txt "$dir"/SUMS
cd "$(dirname "$0")/.." || exit 2
run() {
	local name=$1
	shift
	"$bin" run "$@" --out "$dir/$name.npy" >"$dir/$name.txt" 2>&1
	echo "rc=$?" >>"$dir/$name.txt"
}
for dev in cpu gpu32 gpu64; do
	case $dev in
	cpu) F=(--device cpu) ;;
	gpu32) F=(--device gpu --precision f32) ;;
	gpu64) F=(--device gpu --precision f64) ;;
	esac
	for p in quadratic rosenbrock rastrigin styblinski-tang levy ackley griewank; do
		run "$dev-$p-adam" --problem $p --dim 1000 --steps 30 --log-every 10 --lr 0.01 "${F[@]}"
	done
	for p in beale himmelblau booth matyas three-hump-camel six-hump-camel goldstein-price saddle; do
		run "$dev-$p-sgd" --problem $p --optimizer sgd --lr 0.001 --momentum 0.9 --steps 40 --log-every 10 "${F[@]}"
	done
	run "$dev-quadc-nadam" --problem quadratic --cond 100 --dim 5000 --optimizer nadam --steps 30 "${F[@]}"
	run "$dev-rosen-radam" --problem rosenbrock --dim 3000 --optimizer radam --steps 30 --seed 3 "${F[@]}"
	run "$dev-rosen-clipn" --problem rosenbrock --dim 3000 --optimizer sgd --lr 0.01 --clip-grad-norm 10 --steps 20 "${F[@]}"
	run "$dev-rosen-clipv" --problem rosenbrock --dim 3000 --optimizer rmsprop --clip-grad-value 1 --steps 20 "${F[@]}"
	run "$dev-rast-adamw" --problem rastrigin --dim 777 --optimizer adamw --weight-decay 0.1 --steps 20 "${F[@]}"
	run "$dev-grie-adagrad" --problem griewank --dim 2049 --optimizer adagrad --steps 20 "${F[@]}"
	run "$dev-ack-adamax" --problem ackley --dim 1500 --optimizer adamax --steps 20 "${F[@]}"
	run "$dev-levy-adadelta" --problem levy --dim 600 --optimizer adadelta --steps 20 "${F[@]}"
	run "$dev-rosen-lbfgs" --problem rosenbrock --dim 2000 --optimizer lbfgs --history-size 5 --max-iter 4 --steps 5 "${F[@]}"
	run "$dev-styb-lbfgs-wolfe" --problem styblinski-tang --dim 1500 --optimizer lbfgs --strong-wolfe --history-size 7 --max-iter 5 --steps 4 "${F[@]}"
	run "$dev-lin-b7" --problem linear --synthetic regression --samples 300 --features 5 --batch-size 7 --epochs 2 "${F[@]}"
	run "$dev-iris" --problem softmax --data data/testdata/iris.csv --target species --standardize --val-fraction 0.2 --seed 1 --batch-size 16 --epochs 3 --lr 0.05 "${F[@]}"
	run "$dev-logit-b1" --problem logistic --synthetic classification --samples 100 --features 3 --batch-size 1 --epochs 1 --l2 0.01 "${F[@]}"
done
run cpu-rosen-big --device cpu --problem rosenbrock --dim 300000 --steps 10
run cpu-quad-big-clip --device cpu --problem quadratic --cond 10 --dim 300000 --steps 10 --clip-grad-norm 1 --optimizer sgd
run cpu-gonum-lbfgs --device cpu --problem rosenbrock --dim 100 --optimizer gonum-lbfgs --steps 50
run cpu-gonum-bfgs --device cpu --problem himmelblau --optimizer gonum-bfgs --steps 20
run cpu-gonum-cg --device cpu --problem ackley --dim 50 --optimizer gonum-cg --steps 20
run cpu-gonum-lbfgs-grie --device cpu --problem griewank --dim 50 --optimizer gonum-lbfgs --steps 20
(cd "$dir" && sha256sum -- *.npy >SUMS)
echo "spread.sh: $(wc -l <"$dir/SUMS") --out files, sums in $dir/SUMS"
