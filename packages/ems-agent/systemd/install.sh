#!/bin/bash
# Installs the vnfkit EMS agent on a VM image or at first boot (called by user-data.sh.tmpl).
#
#   install.sh [--no-enable] [--force-config] [--no-check] [--signing-key-file=FILE]
#
# Environment (all optional; used only when the config file does not exist or --force-config):
#   BROKER_IP BROKER_PORT USERNAME PASSWORD TYPE EXCHANGE HEARTBEAT AUTODELETE VIRTUAL_HOST Hostname
#   SIGNING_KEY (or the first line of --signing-key-file): written as signing_key, with require_signing=true;
#   without one, --force-config keeps the signing_key of the existing config (signing is never dropped silently)
# Paths can be redirected for packaging and tests:
#   EMS_INSTALL_ROOT  filesystem root to install into        (default: /)
#   EMS_INSTALL_SRC   unpacked @vnfkit/ems-agent to install  (default: the package this script is in)
# (not VNFKIT_EMS_*: the agent rejects unknown VNFKIT_EMS_* variables as config typos)
set -euo pipefail

ENABLE=1
FORCE_CONFIG=0
CHECK=1
KEY_FILE=""
for arg in "$@"; do
  case "$arg" in
    --no-enable) ENABLE=0 ;;
    --force-config) FORCE_CONFIG=1 ;;
    --no-check) CHECK=0 ;;
    --signing-key-file=*) KEY_FILE="${arg#*=}" ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

ROOT="${EMS_INSTALL_ROOT:-/}"
ROOT="${ROOT%/}"
SRC="${EMS_INSTALL_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PREFIX="$ROOT/opt/vnfkit/ems-agent"
BIN="$ROOT/usr/local/bin/vnfkit-ems"
CONF="$ROOT/etc/vnfkit/ems.conf"
UNIT="$ROOT/etc/systemd/system/vnfkit-ems.service"
MIN_NODE_MAJOR=20

die() { echo "install.sh: $*" >&2; exit 1; }

# 1. Node.js >= 20 must be present (the agent is ESM and uses Node 20 APIs).
command -v node >/dev/null 2>&1 || die "node not found; install Node.js >= ${MIN_NODE_MAJOR} first (e.g. apt-get install nodejs)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge "$MIN_NODE_MAJOR" ] || die "Node.js $(node --version) is too old; need >= ${MIN_NODE_MAJOR}"
command -v git >/dev/null 2>&1 || echo "install.sh: warning: git not found; CLONE_SCRIPTS will fail" >&2
[ -x /bin/bash ] || die "/bin/bash is required to run lifecycle scripts"

# 2. Copy the package (dist/, systemd/, node_modules/ when present) to /opt/vnfkit/ems-agent.
[ -f "$SRC/dist/cli.js" ] || die "$SRC/dist/cli.js not found; build the package (pnpm build) or install it from npm"
# Copied, not `cp -a`: the source may be owned by an unprivileged user (a build tree, an unpacked
# tarball), who must not keep write access to the files of a daemon that runs as root. The copy
# belongs to root and nobody else may write it (symlinks, e.g. pnpm's in node_modules, stay links).
umask 022
mkdir -p "$PREFIX" "$(dirname "$BIN")"
for item in package.json dist systemd node_modules README.md LICENSE; do
  if [ -e "$SRC/$item" ]; then
    rm -rf "${PREFIX:?}/$item"
    cp -R -P "$SRC/$item" "$PREFIX/$item"
  fi
done
if [ "$(id -u)" = 0 ]; then
  chown -R -h 0:0 "$PREFIX"
else
  echo "install.sh: warning: not root; $PREFIX is owned by $(id -un), not root" >&2
fi
chmod -R go-w "$PREFIX"
chmod 0755 "$PREFIX" "$PREFIX/dist/cli.js"
ln -sfn /opt/vnfkit/ems-agent/dist/cli.js "$BIN"

# 3. Write the config once (never overwrite an operator's file unless asked).
# The signing key (never echoed): --signing-key-file, else $SIGNING_KEY, else the one the existing config holds.
KEY="${SIGNING_KEY:-}"
if [ -n "$KEY_FILE" ]; then
  [ -r "$KEY_FILE" ] || die "cannot read the signing key file $KEY_FILE"
  KEY="$(head -n 1 "$KEY_FILE" | tr -d '\r')"
  [ -n "$KEY" ] || die "the signing key file $KEY_FILE is empty"
fi
case "$KEY" in *[[:space:]]*) die "the signing key must not contain white space" ;; esac
if [ -n "$KEY" ] && [ -f "$CONF" ] && [ "$FORCE_CONFIG" = 0 ]; then
  die "$CONF exists: rerun with --force-config to write the signing key into it"
fi
if [ -z "$KEY" ] && [ -f "$CONF" ]; then
  KEY="$(sed -n 's/^[[:space:]]*signing_key[[:space:]]*[=:][[:space:]]*//p' "$CONF" | tail -n 1 | sed 's/[[:space:]]*$//')"
fi
if [ ! -f "$CONF" ] || [ "$FORCE_CONFIG" = 1 ]; then
  mkdir -p "$(dirname "$CONF")"
  umask 077
  {
    echo "# Written by vnfkit-ems install.sh; every key is described in docs/ems.md."
    echo "[ems]"
    echo "broker_ip=${BROKER_IP:-localhost}"
    echo "broker_port=${BROKER_PORT:-5672}"
    echo "username=${USERNAME:-admin}"
    echo "password=${PASSWORD:-openbaton}"
    echo "hostname=${Hostname:-$(hostname)}"
    echo "type=${TYPE:-generic}"
    echo "exchange=${EXCHANGE:-openbaton-exchange}"
    echo "heartbeat=${HEARTBEAT:-60}"
    echo "autodelete=${AUTODELETE:-true}"
    echo "virtual_host=${VIRTUAL_HOST:-/}"
    if [ -n "$KEY" ]; then
      echo "signing_key=$KEY"
      echo "require_signing=true"
    fi
  } > "$CONF"
  umask 022
  chmod 0600 "$CONF"
fi

# 4. Validate the config with the agent itself (exits non-zero on a bad key or value).
if [ "$CHECK" = 1 ]; then
  node "$PREFIX/dist/cli.js" --check-config --config "$CONF" >/dev/null || die "invalid config $CONF (see the messages above)"
fi

# 5. Install and enable the unit.
mkdir -p "$(dirname "$UNIT")"
install -m 0644 "$PREFIX/systemd/vnfkit-ems.service" "$UNIT"
# Scripts run as root and ob_parameters.* may hold passwords: the script directory is root-only.
mkdir -p "$ROOT/opt/openbaton"
install -d -m 0700 "$ROOT/opt/openbaton/scripts"
if [ "$ENABLE" = 1 ]; then
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found; start $BIN yourself or rerun with --no-enable"
  systemctl daemon-reload
  systemctl enable vnfkit-ems.service
  systemctl restart vnfkit-ems.service
fi
echo "install.sh: vnfkit-ems installed in $PREFIX (config $CONF)"
