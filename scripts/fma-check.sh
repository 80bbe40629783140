#!/usr/bin/env bash
# fma-check.sh: the float64 reference keeps its bits under the builds
# that fuse x*y+z into one FMA (package cpu's doc, "Rounding": gc does on
# arm64, loong64, ppc64x, riscv64, s390x, and on amd64 with GOAMD64=v3),
# and the scalar paths that stand in for the amd64 assembly build. Three
# checks, about 20 s with a warm build cache on 2 cores (2 to 3 minutes
# with a cold one, which compiles std for arm64 and for GOAMD64=v3):
#
#   1. GOARCH=arm64 go vet of every package that builds without cgo (all
#      but the GL ones), so the non-amd64 files never rot.
#   2. No fused multiply-add in gc's arm64 code of those packages (but
#      the viewer's, which draws pixels from the numbers) that the source
#      did not ask for: arm64 fuses a*b+c, a*b-c and c-a*b, a
#      superset of what GOAMD64=v3 fuses. Two kinds of line are let
#      through: a call of math.FMA (asked for; the line's other products
#      must be rounded, as they are), and a scaling of math/rand's Float64
#      (its product by 2^-53 is exact, so the fused instruction gives the
#      same bits).
#   3. Where this CPU has FMA and AVX2, the bit-identity tests of the
#      evaluator, the kernels and the CPU backend built with GOAMD64=v3.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
tags=-tags=egl
mod=$($GO list -m)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

pkgs=$(GOARCH=arm64 $GO list -e $tags -f '{{if not .DepsErrors}}{{if not .Error}}{{.ImportPath}}{{end}}{{end}}' ./...)
# vet builds the tests too: leave out the packages whose tests need GL.
gl=$(GOARCH=arm64 $GO list -e $tags -test -f '{{if .DepsErrors}}{{.ImportPath}}{{end}}' ./... |
	sed -E 's/ .*//; s/(_test|\.test)$//' | sort -u)
vet=$(comm -23 <(echo "$pkgs" | sort) <(echo "$gl"))

echo "fma-check: GOARCH=arm64 go vet"
GOARCH=arm64 $GO vet $tags $vet

echo "fma-check: fused multiply-adds in the arm64 code"
if ! GOARCH=arm64 $GO build $tags -gcflags="$mod/...=-S" -o /dev/null $(echo "$pkgs" | grep -v "^$mod/viewer") >"$tmp" 2>&1; then
	cat "$tmp" >&2
	exit 1
fi
root=$(pwd)/
bad=0
while IFS=: read -r file line; do
	src=$(sed -n "${line}p" "$file")
	case $src in
	*math.FMA\(*) continue ;;
	# Only an exact scaling of math/rand's Float64 (a small integer times it,
	# as 2*r.Float64()-1), not any line that calls it.
	*[0-9]\*[a-zA-Z.]*Float64\(\)*) continue ;;
	esac
	echo "${file#"$root"}:$line: fused multiply-add (round the product: float64(a*b)):" >&2
	echo "	$src" >&2
	bad=1
done < <(grep -E $'\tFN?M(ADD|SUB)[DS]\t' "$tmp" | grep -oE '\([^()]*\.go:[0-9]+\)' | tr -d '()' | sort -u)
if [ $bad = 1 ]; then
	exit 1
fi

if grep -qsw fma /proc/cpuinfo && grep -qsw avx2 /proc/cpuinfo; then
	echo "fma-check: GOAMD64=v3 go test ./internal/expr ./internal/kern ./cpu"
	GOAMD64=v3 $GO test $tags -count=1 ./internal/expr ./internal/kern ./cpu
else
	echo "fma-check: this CPU has no FMA and AVX2: the GOAMD64=v3 tests are skipped"
fi
