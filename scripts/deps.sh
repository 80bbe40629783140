#!/usr/bin/env bash
# Installs what building and testing gdgpu needs on Debian 12 / Ubuntu, and
# only what is missing, so running it again does nothing:
#   - gcc, libc6-dev and pkg-config for cgo, libegl-dev (EGL headers and egl.pc, which
#     go-gl/gl links with -tags egl), Mesa's EGL and llvmpipe driver
#     (libegl-mesa0, libgl1-mesa-dri) for a GL context without a GPU, plus
#     ca-certificates, curl, git and unzip;
#   - for the live window (make view, and its test in make test): the X11
#     headers GLFW builds against (libx11-dev libxcursor-dev libxrandr-dev
#     libxinerama-dev libxi-dev libxxf86vm-dev, and libgl-dev for -lGL), and
#     Xvfb with xauth, a virtual X server the window test draws on;
#   - a Go toolchain at least as new as go.mod's go line. When `go` is
#     missing or older, the official toolchain is fetched from the Go module
#     proxy, checked against the Go checksum database, and unpacked to
#     .toolchain/go in the repository; the Makefile puts .toolchain/go/bin
#     first on PATH.
# Runs as root, or through sudo when that exists.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

GO_FALLBACK=1.26.8 # the toolchain fetched when go is missing or too old
PROXY=${GOPROXY_URL:-https://proxy.golang.org}

log() { echo "deps: $*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo_cmd=(sudo)
	fi
fi

# --- system packages ---------------------------------------------------------
pkgs=(gcc libc6-dev pkg-config libegl-dev libegl-mesa0 libgl1-mesa-dri ca-certificates curl git unzip
	libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl-dev xvfb xauth)
missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		log "missing ${missing[*]} and no apt-get: install them with your package manager"
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ] && [ ${#sudo_cmd[@]} -eq 0 ]; then
		log "missing ${missing[*]}: run as root or install sudo"
		exit 1
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo_cmd[@]}" apt-get update -q
	"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	log "system packages present"
fi

# --- Go toolchain -------------------------------------------------------------
need=$(awk '$1 == "go" { print $2; exit }' go.mod)

# version_ge A B: A >= B for dotted versions such as 1.25.0 and 1.26.
version_ge() {
	local -a a b
	IFS=. read -r -a a <<<"$1"
	IFS=. read -r -a b <<<"$2"
	for i in 0 1 2; do
		local x=${a[i]:-0} y=${b[i]:-0}
		if ((10#$x > 10#$y)); then return 0; fi
		if ((10#$x < 10#$y)); then return 1; fi
	done
	return 0
}

export PATH="$root/.toolchain/go/bin:$PATH"
have=""
if command -v go >/dev/null 2>&1; then
	have=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null | sed 's/^go//; s/[^0-9.].*$//')
fi
if [ -n "$have" ] && version_ge "$have" "$need"; then
	log "go $have at $(command -v go) (go.mod needs $need)"
	exit 0
fi

case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*)
	log "no Go toolchain for $(uname -m): install Go >= $need yourself"
	exit 1
	;;
esac
mod="golang.org/toolchain@v0.0.1-go$GO_FALLBACK.linux-$arch"
url="$PROXY/golang.org/toolchain/@v/v0.0.1-go$GO_FALLBACK.linux-$arch.zip"
log "go ${have:-missing}, go.mod needs $need: fetching go$GO_FALLBACK ($arch) from the Go module proxy"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/go.zip" "$url"
(cd "$tmp" && unzip -q go.zip)

# Check the files against the Go checksum database: its h1: hash is the
# SHA-256 of the "sha256  name" lines of every file, sorted by name.
want=$(curl -fsSL --retry 3 "$PROXY/sumdb/sum.golang.org/lookup/$mod" |
	awk -v v="v0.0.1-go$GO_FALLBACK.linux-$arch" '$1 == "golang.org/toolchain" && $2 == v { print $3; exit }')
if [ -z "$want" ]; then
	log "no checksum for $mod in the Go checksum database"
	exit 1
fi
hex=$(cd "$tmp" && find "$mod" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
# shellcheck disable=SC2001 # hex to bytes, two digits at a time
got="h1:$(printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64)"
if [ "$got" != "$want" ]; then
	log "checksum mismatch for $mod: got $got, the checksum database says $want"
	exit 1
fi

# Module zips keep no file modes: make the tools executable, as the go
# command does when it runs a downloaded toolchain.
chmod +x "$tmp/$mod"/bin/* "$tmp/$mod"/pkg/tool/*/*
rm -rf "$root/.toolchain/go"
mkdir -p "$root/.toolchain"
mv "$tmp/$mod" "$root/.toolchain/go"
log "installed $("$root/.toolchain/go/bin/go" version) in .toolchain/go"
