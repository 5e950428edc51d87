#!/bin/sh
# Installs the self-contained vnfkit EMS agent from this unpacked tarball: no Node.js, npm or network
# needed. Writes nothing host-specific, so it can run in an image build (chroot, --root).
#
#   ./install.sh [--root DIR] [--no-enable]      install (or upgrade)
#   ./install.sh --uninstall [--purge] [--root DIR]
#
#   /opt/vnfkit/ems-agent/                 node/bin/node, dist/cli.js, ... (this tree)
#   /usr/local/bin/vnfkit-ems              wrapper: runs the agent with that node
#   /etc/systemd/system/vnfkit-ems.service the unit, enabled (multi-user.target)
#   /etc/vnfkit/ems.conf                   every key commented out; only when missing (mode 0600)
#   /var/lib/vnfkit-ems, /opt/openbaton/scripts   created mode 0700 when missing
#
# The agent is started only when systemd runs (not in a chroot) and the config is complete
# (vnfkit-ems --check-config); set hostname and broker in /etc/vnfkit/ems.conf first, or let the
# user-data (user-data.sh.tmpl) do it at first boot. --uninstall keeps the config and the execution
# records; --purge removes them too.
set -eu

ROOT=/
ENABLE=1
UNINSTALL=0
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift ;;
    --root=*) ROOT="${1#--root=}" ;;
    --no-enable) ENABLE=0 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
ROOT="${ROOT%/}"
SRC="$(cd "$(dirname "$0")" && pwd)"
PREFIX="$ROOT/opt/vnfkit/ems-agent"
BIN="$ROOT/usr/local/bin/vnfkit-ems"
UNIT="$ROOT/etc/systemd/system/vnfkit-ems.service"
WANTS="$ROOT/etc/systemd/system/multi-user.target.wants/vnfkit-ems.service"
CONF="$ROOT/etc/vnfkit/ems.conf"
LIVE=0
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then LIVE=1; fi

if [ "$UNINSTALL" = 1 ]; then
  if [ "$LIVE" = 1 ]; then systemctl stop vnfkit-ems.service >/dev/null 2>&1 || true; fi
  rm -f "$WANTS" "$UNIT" "$BIN"
  rm -rf "$PREFIX"
  rmdir "$ROOT/opt/vnfkit" 2>/dev/null || true
  if [ "$PURGE" = 1 ]; then
    rm -f "$CONF"
    rmdir "$ROOT/etc/vnfkit" 2>/dev/null || true
    rm -rf "$ROOT/var/lib/vnfkit-ems"
    # The VNF's scripts (possibly Open Baton's too): only an empty directory goes.
    rmdir "$ROOT/opt/openbaton/scripts" "$ROOT/opt/openbaton" 2>/dev/null || true
  fi
  if [ "$LIVE" = 1 ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  echo "install.sh: vnfkit-ems removed$( [ "$PURGE" = 1 ] && echo ' (purged)' || true)"
  exit 0
fi

[ -x "$SRC/node/bin/node" ] && [ -f "$SRC/dist/cli.js" ] || { echo "install.sh: run me from the unpacked vnfkit-ems tarball" >&2; exit 1; }
[ -x "$ROOT/bin/bash" ] || echo "install.sh: warning: /bin/bash missing; lifecycle scripts need it" >&2

# The tree, replaced as a whole (an upgrade leaves no stale files; an npm install there is replaced too).
mkdir -p "$ROOT/opt/vnfkit"
rm -rf "$PREFIX.new"
mkdir "$PREFIX.new"
for item in node dist bin systemd install.sh package.json README.md LICENSE THIRD-PARTY-LICENSES.md user-data.sh.tmpl ems.conf.example; do
  cp -a "$SRC/$item" "$PREFIX.new/$item"
done
# The code of a root daemon: only root may change it, whoever owned the unpacked tarball.
chown -R 0:0 "$PREFIX.new" 2>/dev/null || true
chmod -R go-w "$PREFIX.new"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"

mkdir -p "$(dirname "$BIN")"
rm -f "$BIN"
printf '%s\n' '#!/bin/sh' \
  '# vnfkit-ems: the vnfkit EMS agent, run by its own Node.js runtime (installed by install.sh of the tarball).' \
  'exec /opt/vnfkit/ems-agent/node/bin/node /opt/vnfkit/ems-agent/dist/cli.js "$@"' > "$BIN"
chmod 0755 "$BIN"

if [ ! -e "$CONF" ]; then
  mkdir -p "$(dirname "$CONF")"
  install -m 0600 "$SRC/ems.conf.example" "$CONF"
fi
for dir in "$ROOT/var/lib/vnfkit-ems" "$ROOT/opt/openbaton/scripts"; do
  if [ ! -d "$dir" ]; then mkdir -p "$dir"; chmod 0700 "$dir"; fi
done

mkdir -p "$(dirname "$UNIT")"
install -m 0644 "$SRC/systemd/vnfkit-ems.service" "$UNIT"
if [ "$ENABLE" = 1 ]; then
  # What "systemctl enable" does for WantedBy=multi-user.target; works without a running systemd.
  mkdir -p "$(dirname "$WANTS")"
  ln -sfn /etc/systemd/system/vnfkit-ems.service "$WANTS"
fi

if [ "$LIVE" = 1 ]; then
  systemctl daemon-reload
  if [ "$ENABLE" = 1 ]; then
    if /usr/local/bin/vnfkit-ems --check-config >/dev/null 2>&1; then
      systemctl restart vnfkit-ems.service
    else
      echo "install.sh: not started: set hostname and broker in $CONF (vnfkit-ems --check-config), then systemctl restart vnfkit-ems" >&2
    fi
  fi
fi
echo "install.sh: vnfkit-ems installed in $PREFIX (config $CONF)"
