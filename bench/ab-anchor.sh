#!/usr/bin/env bash
# HUMEA's anchor run (FB15K_DB15K_partialFB, its 20 % split, no hold-out, 30 epochs, fusion_weight_dim
# 512) in two builds side by side, alternating A B B A B A, one at a time: each run's seconds per epoch,
# peak RSS and test H@1 / MRR at epochs 10 / 20 / 30. Each build is a checkout with `npm run build`
# done (and native/build for the native kernels), e.g. a `git worktree` of the commit to compare.
#   bash bench/ab-anchor.sh <build-A-dir> <build-B-dir> [data-dir]      (EPOCHS=2 for a quick check)
set -euo pipefail
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
DATA=${3:-$(cd "$(dirname "$0")/../../shared/data" && pwd)}/mmkb/FB15K_DB15K_partialFB
for dir in "$A" "$B" "$B" "$A" "$B" "$A"; do
  out=$(mktemp -d)
  (cd "$dir" && node out/main/cli.js train --data "$DATA" --fusion-weight-dim 512 --valid-fraction 0 --epochs ${EPOCHS:-30} --check-point 10 --out "$out/run" --json 2>/dev/null | tail -1 > "$out/result.json")
  node -e '
    const fs = require("fs");
    const [dir, out] = process.argv.slice(1);
    const r = JSON.parse(fs.readFileSync(out + "/result.json", "utf8"));
    const ev = fs.readFileSync(out + "/run/log.jsonl", "utf8").trim().split("\n").map(JSON.parse).filter((l) => l.type === "evaluation");
    const at = ev.map((e) => `${e.epoch}: ${e.test.mean.hits1.toFixed(4)}/${e.test.mean.mrr.toFixed(4)}`).join("  ");
    console.log(`${dir}  ${r.secondsPerEpoch.toFixed(3)} s/epoch  peak RSS ${r.peakRssMB} MB  ${at}`);
  ' "$dir" "$out"
  rm -rf "$out"
done
