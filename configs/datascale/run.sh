#!/bin/bash
# Data-at-scale measurements (README, "Data at scale"). Run from the repository root on a quiet machine:
#
#   configs/datascale/run.sh WORKDIR        # ROUNDS=2 by default; about 25 minutes on 2 cores
#
# It writes synthetic data sets into WORKDIR once (about 4 GB: packed RGB 32x32 sets of 100,000 and
# 1,000,000 images, the 100,000 as a PNG folder too, and a folder of 50,000 RGB 64x64 JPEGs), then, in
# alternating rounds, keeping each side's best:
#   1. configs/datascale/cnn32.yaml for one epoch from the 100k folder in memory, the 100k packed file
#      and the 1M packed file: throughput and peak anonymous memory (RssAnon sampled every 50 ms: the
#      process's own memory; the mapped file's pages, which the kernel can drop, are not counted);
#   2. configs/datascale/cnn64.yaml (2 epochs, crop + flip) from the JPEG folder decoded into memory
#      first and streamed (data.stream: true);
#   3. the loader alone: cnn64.yaml with a linear model, streamed, against torchvision's ImageFolder
#      with a DataLoader of 2 workers (configs/datascale/torch_imagefolder.py, /usr/bin/python3).
set -euo pipefail
W=${1:?usage: configs/datascale/run.sh WORKDIR}
ROUNDS=${ROUNDS:-2}
mkdir -p "$W"
CGO_ENABLED=0 go build -o bin/nettrain ./cmd/nettrain
CGO_ENABLED=0 go build -o bin/nettrain-datagen ./cmd/nettrain-datagen
gen() { [ -e "$W/$1/train" ] || [ -e "$W/$1/train.ntpack" ] || ./bin/nettrain-datagen "${@:2}" "$W/$1" --seed 1 >/dev/null; }
gen packed100k packed --train 100000 --test 1000 --size 32
gen packed1m packed --train 1000000 --test 1000 --size 32
gen png32-100k folder --train 100000 --test 1000 --size 32 --ext png
gen jpeg64 folder --train 50000 --test 1000 --size 64 --ext jpg

# run NAME CMD...: runs CMD, samples its RssAnon; prints "NAME img/s peak_anon_MiB wall_s".
run() {
	local name=$1 log="$W/$1.log" max=0 a start end
	shift
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		a=$(awk '/^RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$a" ] && [ "$a" -gt "$max" ] && max=$a
		sleep 0.05
	done
	wait "$pid" || { echo "$name failed:" >&2; tail -3 "$log" >&2; exit 1; }
	end=$(date +%s.%N)
	local rate
	rate=$(grep -o "[0-9]* img/s" "$log" | awk "{print \$1}" | sort -n | tail -1 || true)
	[ -n "$rate" ] || rate=$(grep -o '"images_per_s": [0-9.]*' "$log" | awk '{printf "%d", $2}')
	printf '%-22s %8s img/s  %6d MiB anon  %6.1f s wall\n' "$name" "$rate" $((max / 1024)) "$(echo "$end - $start" | bc)"
}
NT() { exec ./bin/nettrain train --overwrite --out "$W/run-$1" -c "${@:2}"; }
for r in $(seq "$ROUNDS"); do
	echo "# round $r"
	run memory-100k NT m100 configs/datascale/cnn32.yaml --set data.dir="$W/png32-100k"
	run packed-100k NT p100 configs/datascale/cnn32.yaml --set data.dir="$W/packed100k" --set data.format=packed
	run packed-1m NT p1m configs/datascale/cnn32.yaml --set data.dir="$W/packed1m" --set data.format=packed
	run jpeg-memory-cnn NT jm configs/datascale/cnn64.yaml --set data.dir="$W/jpeg64"
	run jpeg-stream-cnn NT js configs/datascale/cnn64.yaml --set data.dir="$W/jpeg64" --set data.stream=true
	run jpeg-stream-loader NT jl configs/datascale/cnn64.yaml --set data.dir="$W/jpeg64" --set data.stream=true --set 'model={arch: mlp, hidden: []}' --set train.epochs=1
	run torchvision-loader /usr/bin/python3 configs/datascale/torch_imagefolder.py "$W/jpeg64" --workers 2
done
