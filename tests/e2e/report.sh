#!/usr/bin/env bash
# The HTML report renders in headless Chromium: self-contained (no scripts,
# nothing fetched), a chart for every scenario and metric, not blank.
# Usage: report.sh SOURCE_DIR BUILD_DIR [PNG_OUT]   (exit 77: skipped)
set -euo pipefail
src=$(realpath "$1"); build=$(realpath "$2"); png_out="${3:-}"
command -v chromium >/dev/null || { echo "SKIP: chromium missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
echo 0.02 > "$work/sleep"
cat > "$work/config.json" <<JSON
{"performance": {"enabled": true, "monitoring_interval": 1},
 "scenarios": [
   {"name": "steady_small", "command": ["$build/bin/giflab-test-workload", "--sleep", "0.01", "--alloc-mb", "4"], "iterations": 5},
   {"name": "slowed_large", "command": ["$build/bin/giflab-test-workload", "--sleep-file", "$work/sleep", "--alloc-mb", "16"], "iterations": 5}]}
JSON
ctl() { "$build/bin/giflab-perfctl" --local --config "$work/config.json" --state-dir "$work/state" "$@"; }
ctl baseline create >/dev/null
ctl monitor start --cycles 8 >/dev/null
echo 0.03 > "$work/sleep"
ctl monitor start --cycles 8 >/dev/null
ctl report --output "$work/report.html" 2>/dev/null || fail "report"
html="$work/report.html"
grep -qi '<script' "$html" && fail "the report has a script"
grep -Eqi '(src|href)=.(https?:)?//' "$html" && fail "the report loads something from outside"
chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
                --disable-component-update --disable-sync --user-data-dir="$work/profile" --hide-scrollbars)
chromium "${chromium_flags[@]}" --dump-dom "file://$html" > "$work/dom.html" 2>/dev/null || fail "chromium --dump-dom"
for s in steady_small slowed_large; do
  grep -q "<section id=\"$s\">" "$work/dom.html" || fail "no section for $s in the rendered page"
done
charts=$(grep -o '<svg' "$work/dom.html" | wc -l)
[ "$charts" -eq 4 ] || fail "expected 4 charts (2 scenarios x 2 metrics), found $charts"
grep -q 'class="cp regression"' "$work/dom.html" || fail "the slowed scenario's change point is not marked"
grep -q 'class="open"' "$work/dom.html" || fail "the open regression is not marked"
chromium "${chromium_flags[@]}" --window-size=1000,1400 --screenshot="$work/report.png" "file://$html" >/dev/null 2>&1 ||
  fail "chromium --screenshot"
python3 - "$work/report.png" <<'PY' || fail "the screenshot is blank"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h, ctype = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
bpp = {2: 3, 6: 4}[ctype]
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
colors, dark = set(), 0
for line in rows[::4]:
    for x in range(0, w, 4):
        px = tuple(line[x * bpp:x * bpp + 3]); colors.add(px); dark += sum(px) < 600
print(f"{w}x{h}, {len(colors)} colours, {dark} non-background samples")
sys.exit(0 if len(colors) > 20 and dark > 500 else 1)
PY
[ -n "$png_out" ] && cp "$work/report.png" "$png_out"
echo "report end-to-end: rendered with 4 charts, not blank"
