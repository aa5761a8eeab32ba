#!/usr/bin/env bash
# Regenerates docs/html-report.png, the README's picture of `verify --format html`: five
# returned forms (one of each status, digital and scanned) checked with --evidence, the report
# opened in headless Chromium (Debian's `chromium` package).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/returned"
cp fixtures/returned/mixed-algorithms.pdf "$work/returned/1-fabrikam-signed.pdf"
cp fixtures/returned/missing-customer.pdf "$work/returned/2-contoso-unsigned.pdf"
cp fixtures/scans/review-new-partner-by-hand.pdf "$work/returned/3-northwind-scan.pdf"
cp fixtures/scans/signed-300-gray.pdf "$work/returned/4-adatum-scan.pdf"
cp fixtures/returned/not-a-pdf.pdf "$work/returned/5-scan-export.pdf"
cargo build --quiet --release --locked
(cd "$work" && "$OLDPWD/target/release/formtool" verify returned --evidence crops --report week.html) || true
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1000,1500 --screenshot="$PWD/docs/html-report.png" "file://$work/week.html" 2>/dev/null
