#!/usr/bin/env bash
# Builds the .deb from a build dir with CPack, unpacks it into a temporary
# root with dpkg-deb, runs the programs from there, and checks the systemd
# unit with systemd-analyze verify.
# Usage: packaging/package_test.sh BUILD_DIR UNIT_FILE
set -euo pipefail
build=$1 unit=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/villagesync_*.deb)
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb -I "$deb" | grep -E "Package|Version|Depends"
dpkg-deb -x "$deb" "$work/root"
for f in usr/bin/villagesyncd usr/bin/villagesync lib/systemd/system/villagesyncd.service \
         etc/default/villagesyncd usr/share/doc/villagesync/ops/alerts.yml; do
  [ -e "$work/root/$f" ] || { echo "missing from the package: $f"; exit 1; }
done
"$work/root/usr/bin/villagesyncd" --version | grep -q "^villagesyncd [0-9]"
"$work/root/usr/bin/villagesync" --version | grep -q "^villagesync [0-9]"
"$work/root/usr/bin/villagesyncd" --version

# systemd-analyze verify needs the program where ExecStart says: point it
# at the unpacked one.
sed "s|/usr/bin/villagesyncd|$work/root/usr/bin/villagesyncd|" "$unit" \
  > "$work/villagesyncd.service"
if systemd-analyze verify "$work/villagesyncd.service" >"$work/verify.log" 2>&1; then
  echo "systemd-analyze verify: ok"
else
  cat "$work/verify.log"; exit 1
fi
