#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a copy of its seed corpus.
# Usage: tests/fuzz/run.sh NAME SECONDS OUTDIR
# Prints one PASS/FAIL line; on failure, the tail of the log and the crash
# input's path.  The repo's corpus is never written to.
set -uo pipefail
name=$1 secs=$2 out=$3
bin=$out/fuzz_$name corpus=$out/corpus-$name log=$out/$name.log
rm -rf "$corpus" && mkdir -p "$corpus"
cp -r "tests/fuzz/corpus/$name/." "$corpus/" 2>/dev/null
dict=()
[ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
if "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/crash-$name-" \
	"${dict[@]}" "$corpus" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "PASS fuzz_$name: ${runs:-?} inputs in ${secs}s"
else
	echo "FAIL fuzz_$name: see $log"
	tail -30 "$log"
	exit 1
fi
