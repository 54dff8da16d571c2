#!/usr/bin/env bash
# bench/run.sh: macabox against the baselines it wraps, measured in one run on
# one machine, reported as ratios (docs/benchmarks.md explains each figure).
#
#   build   `macabox build` vs `buildctl build` of the same rendered Dockerfile
#           on the same pinned buildkitd: cold (a fresh daemon each) and no-op
#           rebuild (warm cache); the two must also give the same digest
#   help    `macabox --help` start-up vs `buildctl --help` and exec of /bin/true
#   size    what the catalog (images/ and recipes/ built into the binary)
#           adds to it: macabox against the same source with both folders
#           emptied, in size and in --help start-up
#   load    loading an image with a large incompressible layer into Docker:
#           `macabox build --load` (its load cache warm, cold, and off) vs
#           `buildctl build --output type=docker | docker load`, and the floor,
#           `docker load` of the same image saved uncompressed; and the same
#           build when Docker holds the image vs a no-op `buildctl build`
#   noop-test  `macabox build --test` of an image Docker already holds: the
#           build and load part (`build --load`) vs a no-op `buildctl build`,
#           and the whole `build --test` against its first run
#   locked  a locked no-op rebuild into an OCI directory vs `buildctl`'s no-op
#           rebuild of the same Dockerfile into an OCI directory and vs an
#           unlocked no-op rebuild; `macabox lock` vs a build with --no-cache
#           (locking runs every step afresh, in probe form)
#   go      the Go benchmarks: recipe validation of 1,000 recipes, smoke
#           runner per-test overhead vs plain `docker exec`
#
#   bench/run.sh [build|help|size|load|noop-test|locked|go]...   (default: all)
#   BENCH_ROUNDS  repetitions of each timed command (default 5)
#   BENCH_LOAD_MIB  size of the load group's layer in MiB (default 800)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_PREFIX=bench
# shellcheck source=../scripts/lib.sh
. scripts/lib.sh
# shellcheck source=../scripts/session.sh
. scripts/session.sh

ROUNDS=${BENCH_ROUNDS:-5}
TARGET=demo
OUT=$(mktemp -d)
cleanup_out() { rm -rf "$OUT"; }

# seconds CMD...: runs CMD quietly and prints its wall time in seconds.
seconds() {
	local t0 t1
	t0=$(now_us)
	"$@" >/dev/null 2>&1
	t1=$(now_us)
	awk -v d="$((t1 - t0))" 'BEGIN { printf "%.3f\n", d / 1e6 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# context_dir DIR: the rendered Dockerfile and exactly the files macabox
# sends, with the modes and mtimes macabox gives them, for buildctl.
context_dir() {
	local dir=$1 epoch=$2
	mkdir -p "$dir/df" "$dir/ctx"
	bin/macabox plan "$TARGET" >"$dir/df/Dockerfile"
	bin/macabox plan "$TARGET" --format json | python3 -c '
import json, os, shutil, sys
ctx, epoch = sys.argv[1], int(sys.argv[2])
for f in json.load(sys.stdin).get("context", []):
    dst = os.path.join(ctx, f["name"])
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(f["path"], dst)
    os.chmod(dst, f["mode"])
for root, dirs, files in os.walk(ctx):
    for n in dirs + files:
        os.utime(os.path.join(root, n), (epoch, epoch))
' "$dir/ctx" "$epoch"
}

# macabox_build ADDR [DEST]: without DEST the image stays in BuildKit.
macabox_build() {
	local out=()
	[[ -z ${2:-} ]] || out=(--output "type=oci,dest=$2")
	bin/macabox build "$TARGET" --builder "$1" --progress quiet --source-date-epoch "$EPOCH" \
		--base "$BASE" "${out[@]}"
}

# buildctl_build ADDR [DEST]: without DEST an unnamed image export, which is
# what macabox does then to learn the digest it prints.
buildctl_build() {
	local out=(--output "type=image,source-date-epoch=$EPOCH,rewrite-timestamp=true,oci-mediatypes=true")
	[[ -z ${2:-} ]] || out=(--output "type=oci,dest=$2,tar=false,source-date-epoch=$EPOCH,rewrite-timestamp=true,oci-mediatypes=true")
	"$MACABOX_TEST_BUILDCTL" --addr "$1" build --progress quiet \
		--frontend dockerfile.v0 --local "context=$OUT/bc/ctx" --local "dockerfile=$OUT/bc/df" \
		--oci-layout "bench=$MACABOX_TEST_OCI_STORE" \
		--opt "context:${MACABOX_TEST_MACASIM_REF}=oci-layout://bench@${MACABOX_TEST_MACASIM_DIGEST}" \
		--opt platform=linux/amd64 --opt "build-arg:SOURCE_DATE_EPOCH=$EPOCH" "${out[@]}"
}

manifest_of() { # OCI layout dir → the image manifest digest
	python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/index.json")); print(i["manifests"][0]["digest"])' "$1"
}

bench_build() {
	EPOCH=1735689600
	BASE="${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}"
	context_dir "$OUT/bc" "$EPOCH"
	local i addr m_cold=() b_cold=() m_noop=() b_noop=() m_oci=() b_oci=()
	for ((i = 1; i <= ROUNDS; i++)); do
		# Cold: each tool on a daemon of its own with an empty root, writing
		# an OCI layout. Then, on the warm daemon, a no-op rebuild (cache
		# only) and a no-op rebuild that writes the OCI layout again.
		addr=$(bash scripts/testenv.sh start-buildkitd "bench-m$i")
		m_cold+=("$(seconds macabox_build "$addr" "$OUT/m$i")")
		m_noop+=("$(seconds macabox_build "$addr")")
		m_oci+=("$(seconds macabox_build "$addr" "$OUT/m$i-again")")
		bash scripts/testenv.sh stop-buildkitd "bench-m$i"
		addr=$(bash scripts/testenv.sh start-buildkitd "bench-b$i")
		b_cold+=("$(seconds buildctl_build "$addr" "$OUT/b$i")")
		b_noop+=("$(seconds buildctl_build "$addr")")
		b_oci+=("$(seconds buildctl_build "$addr" "$OUT/b$i-again")")
		bash scripts/testenv.sh stop-buildkitd "bench-b$i"
	done
	local mc bc mn bn mo bo dm db
	mc=$(printf '%s\n' "${m_cold[@]}" | median)
	bc=$(printf '%s\n' "${b_cold[@]}" | median)
	mn=$(printf '%s\n' "${m_noop[@]}" | median)
	bn=$(printf '%s\n' "${b_noop[@]}" | median)
	mo=$(printf '%s\n' "${m_oci[@]}" | median)
	bo=$(printf '%s\n' "${b_oci[@]}" | median)
	dm=$(manifest_of "$OUT/m1")
	db=$(manifest_of "$OUT/b1")
	printf '\nbuild (%s, %d rounds, medians)\n' "$TARGET" "$ROUNDS"
	printf '  cold, OCI out:  macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mc" "$bc" "$(ratio "$mc" "$bc")"
	printf '  no-op:          macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mn" "$bn" "$(ratio "$mn" "$bn")"
	printf '  no-op, OCI out: macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mo" "$bo" "$(ratio "$mo" "$bo")"
	printf '  digest: macabox %s\n          buildctl %s  %s\n' "$dm" "$db" "$([[ $dm == "$db" ]] && echo same || echo DIFFERENT)"
}

bench_help() {
	local i m=() b=() t=()
	for ((i = 1; i <= ROUNDS * 4; i++)); do
		m+=("$(seconds bin/macabox --help)")
		b+=("$(seconds "$MACABOX_TEST_BUILDCTL" --help)")
		t+=("$(seconds /bin/true)")
	done
	local mh bh th
	mh=$(printf '%s\n' "${m[@]}" | median)
	bh=$(printf '%s\n' "${b[@]}" | median)
	th=$(printf '%s\n' "${t[@]}" | median)
	printf '\nstart-up (%d runs, medians)\n' "$((ROUNDS * 4))"
	printf '  macabox --help %6.1fms   buildctl --help %6.1fms   ratio %s   (/bin/true %.1fms)\n' \
		"$(ms "$mh")" "$(ms "$bh")" "$(ratio "$mh" "$bh")" "$(ms "$th")"
}

ms() { awk -v s="$1" 'BEGIN { print s * 1000 }'; }

# bench_tree DIR: a recipe tree with the simulated base and the stack big,
# whose layer is BENCH_LOAD_MIB of random bytes: made by the build, so
# nothing large is committed, and incompressible, so compression cannot
# hide what a load moves.
bench_tree() {
	mkdir -p "$1/images" "$1/recipes/big"
	cp images/maca-sim.yaml "$1/images/"
	cat >"$1/recipes/big/big.yaml" <<YAML
apiVersion: macabox/v1
kind: Layer
name: big-layer
steps:
  - run: head -c ${BENCH_LOAD_MIB:-800}M /dev/urandom > /opt/big.bin
---
apiVersion: macabox/v1
kind: Stack
name: big
base: maca-sim
layers: [big-layer]
tags: ["macabox-bench/big:load"]
YAML
}

# rmi REF...: removes images from Docker, quietly (not timed).
rmi() { docker rmi -f "$@" >/dev/null 2>&1 || true; }

bench_load() {
	EPOCH=1735689600
	BASE="${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}"
	local tree=$OUT/big addr=$MACABOX_TEST_BUILDKIT_HOST img=macabox-bench/big:load
	bench_tree "$tree"
	TARGET=big
	local saved_root=$PWD
	mb() { bin/macabox build big --root "$tree" --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" "$@"; }
	# Build once (not timed), so that every timed run finds the solve cached
	# and times the export and the load only.
	mb >/dev/null 2>&1
	(cd "$tree" && "$saved_root/bin/macabox" plan big >"$OUT/big.Dockerfile")
	mkdir -p "$OUT/bigctx/df" "$OUT/bigctx/ctx"
	cp "$OUT/big.Dockerfile" "$OUT/bigctx/df/Dockerfile"
	bc() {
		"$MACABOX_TEST_BUILDCTL" --addr "$addr" build --progress quiet \
			--frontend dockerfile.v0 --local "context=$OUT/bigctx/ctx" --local "dockerfile=$OUT/bigctx/df" \
			--oci-layout "bench=$MACABOX_TEST_OCI_STORE" \
			--opt "context:${MACABOX_TEST_MACASIM_REF}=oci-layout://bench@${MACABOX_TEST_MACASIM_DIGEST}" \
			--opt platform=linux/amd64 --opt "build-arg:SOURCE_DATE_EPOCH=$EPOCH" "$@"
	}
	bc_load() { bc --output "type=docker,name=$img,oci-mediatypes=true,source-date-epoch=$EPOCH,rewrite-timestamp=true" | docker load -q; }
	bc --output "type=docker,name=$img,oci-mediatypes=true,source-date-epoch=$EPOCH,rewrite-timestamp=true,compression=uncompressed,force-compression=true" >"$OUT/big.tar" 2>/dev/null
	bc_null() { bc --output "type=docker,name=$img,oci-mediatypes=true,source-date-epoch=$EPOCH,rewrite-timestamp=true" >/dev/null; }
	local i warm=() cold=() off=() ctl=() floor=() stream=() cache
	MACABOX_LOAD_CACHE=$OUT/loadcache mb --load >/dev/null 2>&1 # fills the cache
	for ((i = 1; i <= ROUNDS; i++)); do
		rmi "$img"
		warm+=("$(MACABOX_LOAD_CACHE=$OUT/loadcache seconds mb --load)")
		rmi "$img"
		cache=$OUT/cold$i
		cold+=("$(MACABOX_LOAD_CACHE=$cache seconds mb --load)")
		rm -rf "$cache"
		rmi "$img"
		off+=("$(MACABOX_LOAD_CACHE=off seconds mb --load)")
		rmi "$img"
		ctl+=("$(seconds bc_load)")
		rmi "$img"
		floor+=("$(seconds docker load -q -i "$OUT/big.tar")")
		stream+=("$(seconds bc_null)")
	done
	# A rebuild that changes nothing, the image still in Docker: the export
	# memo answers it (a tag), against a no-op buildctl build, which exports
	# nothing at all.
	local held=() noop=()
	MACABOX_LOAD_CACHE=$OUT/loadcache mb --load >/dev/null 2>&1
	for ((i = 1; i <= ROUNDS; i++)); do
		held+=("$(MACABOX_LOAD_CACHE=$OUT/loadcache seconds mb --load)")
		noop+=("$(seconds bc)")
	done
	rmi "$img"
	# Peak memory of macabox itself while a cold load moves the whole image.
	/usr/bin/time -o "$OUT/rss" -f %M env MACABOX_LOAD_CACHE="$OUT/rsscache" \
		bin/macabox build big --root "$tree" --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" --load >/dev/null 2>&1
	rmi "$img"
	local w c o b f x
	local rss
	rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$OUT/rss")
	x=$(printf '%s\n' "${stream[@]}" | median)
	w=$(printf '%s\n' "${warm[@]}" | median)
	c=$(printf '%s\n' "${cold[@]}" | median)
	o=$(printf '%s\n' "${off[@]}" | median)
	b=$(printf '%s\n' "${ctl[@]}" | median)
	f=$(printf '%s\n' "${floor[@]}" | median)
	local h n
	h=$(printf '%s\n' "${held[@]}" | median)
	n=$(printf '%s\n' "${noop[@]}" | median)
	printf '\nload (%s MiB incompressible layer on the simulated base, solve cached, %d rounds, medians)\n' "${BENCH_LOAD_MIB:-800}" "$ROUNDS"
	printf '  macabox --load, load cache warm  %7.3fs   vs floor %s   vs buildctl|docker load %s\n' "$w" "$(ratio "$w" "$f")" "$(ratio "$w" "$b")"
	printf '  macabox --load, load cache cold  %7.3fs   vs floor %s   vs buildctl|docker load %s\n' "$c" "$(ratio "$c" "$f")" "$(ratio "$c" "$b")"
	printf '  macabox --load, load cache off   %7.3fs   vs floor %s   vs buildctl|docker load %s\n' "$o" "$(ratio "$o" "$f")" "$(ratio "$o" "$b")"
	printf '  buildctl | docker load           %7.3fs   vs floor %s\n' "$b" "$(ratio "$b" "$f")"
	printf '  docker load of the saved image   %7.3fs   (floor: uncompressed docker-archive from a file)\n' "$f"
	printf '  buildctl export to /dev/null     %7.3fs   (BuildKit export and session stream, no Docker)\n' "$x"
	printf '  macabox --load, docker holds it  %7.3fs   vs no-op buildctl build (no export) %.3fs: %s\n' "$h" "$n" "$(ratio "$h" "$n")"
	printf '  peak RSS of macabox, cold load   %5s MiB\n' "$rss"
	TARGET=demo
}

bench_noop_test() {
	EPOCH=1735689600
	BASE="${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}"
	context_dir "$OUT/bc" "$EPOCH"
	local addr=$MACABOX_TEST_BUILDKIT_HOST
	mt() { bin/macabox build "$TARGET" --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" --device none "$@"; }
	local first i load=() ctl=() again=()
	rmi macabox/demo:sim
	first=$(seconds mt --test)
	for ((i = 1; i <= ROUNDS; i++)); do
		load+=("$(seconds mt --load)")
		ctl+=("$(seconds buildctl_build "$addr")")
		again+=("$(seconds mt --test)")
	done
	local l b a
	l=$(printf '%s\n' "${load[@]}" | median)
	b=$(printf '%s\n' "${ctl[@]}" | median)
	a=$(printf '%s\n' "${again[@]}" | median)
	printf '\nno-op build --test (%s, image already in Docker, %d rounds, medians)\n' "$TARGET" "$ROUNDS"
	printf '  build --load (no-op: a tag) %6.3fs   no-op buildctl build %6.3fs   ratio %s\n' "$l" "$b" "$(ratio "$l" "$b")"
	printf '  build --test again          %6.3fs   first build --test   %6.3fs   ratio %s\n' "$a" "$first" "$(ratio "$a" "$first")"
}

bench_locked() {
	EPOCH=1735689600
	BASE="${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}"
	local tree=$OUT/lockedtree addr=$MACABOX_TEST_BUILDKIT_HOST
	mkdir -p "$tree"
	cp -r images recipes "$tree/"
	bin/macabox lock "$TARGET" --root "$tree" --builder "$addr" --base "$BASE" --progress quiet >/dev/null 2>&1
	ml() { bin/macabox build "$TARGET" --root "$tree" --locked --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" --output "type=oci,dest=$OUT/locked-oci"; }
	(cd "$tree" && "$OLDPWD/bin/macabox" plan "$TARGET" --locked >"$OUT/locked.Dockerfile")
	context_dir "$OUT/bc" "$EPOCH"
	cp "$OUT/locked.Dockerfile" "$OUT/bc/df/Dockerfile"
	ml >/dev/null 2>&1
	buildctl_build "$addr" "$OUT/b-locked" >/dev/null 2>&1
	mu() { bin/macabox build "$TARGET" --root "$tree" --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" --output "type=oci,dest=$OUT/unlocked-oci"; }
	mlock() { bin/macabox lock "$TARGET" --root "$tree" --builder "$addr" --base "$BASE" --progress quiet; }
	mcold() { bin/macabox build "$TARGET" --root "$tree" --builder "$addr" --progress quiet --source-date-epoch "$EPOCH" --base "$BASE" --no-cache; }
	mu >/dev/null 2>&1
	local i m=() b=() u=() lk=() nc=()
	for ((i = 1; i <= ROUNDS; i++)); do
		m+=("$(seconds ml)")
		b+=("$(seconds buildctl_build "$addr" "$OUT/b-locked")")
		u+=("$(seconds mu)")
		lk+=("$(seconds mlock)")
		nc+=("$(seconds mcold)")
	done
	local mm bb uu ll cc
	mm=$(printf '%s\n' "${m[@]}" | median)
	bb=$(printf '%s\n' "${b[@]}" | median)
	uu=$(printf '%s\n' "${u[@]}" | median)
	ll=$(printf '%s\n' "${lk[@]}" | median)
	cc=$(printf '%s\n' "${nc[@]}" | median)
	printf '\nlocked no-op rebuild (%s into an OCI directory, %d rounds, medians)\n' "$TARGET" "$ROUNDS"
	printf '  macabox --locked %6.3fs   buildctl no-op   %6.3fs   ratio %s\n' "$mm" "$bb" "$(ratio "$mm" "$bb")"
	printf '  macabox --locked %6.3fs   macabox unlocked %6.3fs   ratio %s\n' "$mm" "$uu" "$(ratio "$mm" "$uu")"
	printf '  macabox lock     %6.3fs   build --no-cache %6.3fs   ratio %s\n' "$ll" "$cc" "$(ratio "$ll" "$cc")"
	printf '  digest: macabox %s\n          buildctl %s\n' "$(manifest_of "$OUT/locked-oci")" "$(manifest_of "$OUT/b-locked")"
}

# bench_size builds macabox from a copy of this checkout whose images/ and
# recipes/ hold one empty file each (go:embed needs a match), with the flags
# of make build, and compares the sizes.
bench_size() {
	local src=$OUT/no-catalog with without files bytes
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard | grep -zv '^macabox$' |
		xargs -0 cp -P --parents -t "$src"
	rm -rf "$src/images" "$src/recipes"
	mkdir -p "$src/images" "$src/recipes"
	: >"$src/images/.empty"
	: >"$src/recipes/.empty"
	make --no-print-directory -C "$src" build VERSION="$(make --no-print-directory -s version)" >/dev/null
	with=$(stat -c %s bin/macabox)
	without=$(stat -c %s "$src/bin/macabox")
	files=$(find images recipes -type f | wc -l)
	bytes=$(find images recipes -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	printf '\nbinary size (make build)\n'
	printf '  macabox %.2f MB, without the catalog %.2f MB: the catalog adds %d KB (%d files, %d KB of text)\n' \
		"$(awk -v b="$with" 'BEGIN{print b/1e6}')" "$(awk -v b="$without" 'BEGIN{print b/1e6}')" \
		"$(((with - without) / 1000))" "$files" "$((bytes / 1000))"
	local i m=() n=() mh nh
	for ((i = 1; i <= ROUNDS * 4; i++)); do
		m+=("$(seconds bin/macabox --help)")
		n+=("$(seconds "$src/bin/macabox" --help)")
	done
	mh=$(printf '%s\n' "${m[@]}" | median)
	nh=$(printf '%s\n' "${n[@]}" | median)
	printf '  --help start-up (%d runs, medians): %.1fms, without the catalog %.1fms\n' "$((ROUNDS * 4))" "$(ms "$mh")" "$(ms "$nh")"
}

bench_go() {
	printf '\nGo benchmarks\n'
	go test ./internal/recipe -run '^$' -bench 'Validate1000|Load' -benchmem -count 3 | grep -E '^Benchmark'
	go test ./internal/smoke/runner -run '^$' -bench 'ExecOverhead' -benchtime 3x -count 1 | grep -E '^Benchmark'
}

session_up
# After session_up, whose own EXIT trap this one replaces and calls.
trap 'cleanup_out; session_down' EXIT
make --no-print-directory build >/dev/null
what=("$@")
((${#what[@]} > 0)) || what=(help size build load noop-test locked go)
for w in "${what[@]}"; do
	case $w in
	build) bench_build ;;
	help) bench_help ;;
	size) bench_size ;;
	load) bench_load ;;
	noop-test) bench_noop_test ;;
	locked) bench_locked ;;
	go) bench_go ;;
	*) die "unknown benchmark $w (build, help, size, load, noop-test, locked, go)" ;;
	esac
done
