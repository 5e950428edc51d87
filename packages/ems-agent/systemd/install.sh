#!/bin/bash
# Installs the vnfkit EMS agent on a VM image or at first boot (called by user-data.sh.tmpl).
#
#   bash install.sh [--no-enable] [--force-config] [--no-check] [--signing-key-file=FILE]
# (run it with bash: npm and pnpm pack it without its execute bit)
#
# Environment (all optional; used only when the config file does not exist or --force-config):
#   BROKER_IP BROKER_PORT BROKER_IPS USERNAME PASSWORD TYPE EXCHANGE HEARTBEAT AUTODELETE VIRTUAL_HOST Hostname
#   AMQP_URL TLS_CA_FILE: each one given (non-empty) becomes its key in /etc/vnfkit/ems.conf, and only
#   those: without them (an image build) the file sets no key, so nothing of the build machine (its
#   hostname, localhost) overrides what each VM gets at boot (Open Baton's openbaton-ems.properties too).
#   SIGNING_KEY (or the first line of --signing-key-file): written as signing_key, with require_signing=true;
#   without one, --force-config keeps the signing_key of the existing config (signing is never dropped silently)
#   VNFM_PUBLIC_KEY: written as vnfm_public_key (the VM then signs with a key of its own); kept like the signing key
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
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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

# 2. Copy the package (dist/, systemd/) to /opt/vnfkit/ems-agent. dist/ is self-contained: dist/cli.js
# bundles what it needs at start and dist/lazy/ what it loads on first use, so no node_modules is copied
# (a pnpm tree's are symlinks that would dangle there; an unpacked npm tarball has none).
[ -f "$SRC/dist/cli.js" ] || die "$SRC/dist/cli.js not found; build the package (pnpm build) or install it from npm"
[ -d "$SRC/dist/lazy" ] || die "$SRC/dist/lazy not found: $SRC is an incomplete or older build of @vnfkit/ems-agent"
# Copied, not `cp -a`: the source may be owned by an unprivileged user (a build tree, an unpacked
# tarball), who must not keep write access to the files of a daemon that runs as root. The copy
# belongs to root and nobody else may write it (symlinks, e.g. pnpm's in node_modules, stay links).
umask 022
mkdir -p "$PREFIX" "$(dirname "$BIN")"
for item in package.json dist systemd README.md LICENSE; do
  if [ -e "$SRC/$item" ]; then
    rm -rf "${PREFIX:?}/$item"
    cp -R -P "$SRC/$item" "$PREFIX/$item"
  fi
done
rm -rf "${PREFIX:?}/node_modules" # left by an older install.sh
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
VNFM_KEY="${VNFM_PUBLIC_KEY:-}"
if [ -z "$VNFM_KEY" ] && [ -f "$CONF" ]; then
  VNFM_KEY="$(sed -n 's/^[[:space:]]*vnfm_public_key[[:space:]]*[=:][[:space:]]*//p' "$CONF" | tail -n 1 | sed 's/[[:space:]]*$//')"
fi
# sudo sets USERNAME to the target user: that is no broker user (one given with PASSWORD is taken).
USER_KEY="${USERNAME:-}"
if [ -n "${SUDO_USER:-}" ] && [ -z "${PASSWORD:-}" ] && [ "$USER_KEY" = "$(id -un)" ]; then USER_KEY=""; fi
# key=value for each variable given; nothing else (the agent's defaults, or Open Baton's files, apply).
put() { if [ -n "$2" ]; then echo "$1=$2"; fi; }
if [ ! -f "$CONF" ] || [ "$FORCE_CONFIG" = 1 ]; then
  mkdir -p "$(dirname "$CONF")"
  umask 077
  {
    echo "# Written by vnfkit-ems install.sh; every key is described in docs/ems.md."
    echo "# Only the keys install.sh was given are set. Sources, lowest precedence first (later ones win per key):"
    echo "# /etc/openbaton/ems/conf.ini, /etc/openbaton/openbaton-ems.properties, this file, VNFKIT_EMS_<KEY>."
    echo "[ems]"
    put broker_ip "${BROKER_IP:-}"
    put broker_port "${BROKER_PORT:-}"
    put broker_ips "${BROKER_IPS:-}"
    put username "$USER_KEY"
    put password "${PASSWORD:-}"
    put hostname "${Hostname:-}"
    put type "${TYPE:-}"
    put exchange "${EXCHANGE:-}"
    put heartbeat "${HEARTBEAT:-}"
    put autodelete "${AUTODELETE:-}"
    put virtual_host "${VIRTUAL_HOST:-}"
    put amqp_url "${AMQP_URL:-}"
    put tls_ca_file "${TLS_CA_FILE:-}"
    if [ -n "$KEY" ]; then
      echo "signing_key=$KEY"
      echo "require_signing=true"
    fi
    put vnfm_public_key "$VNFM_KEY"
  } > "$CONF"
  umask 022
  chmod 0600 "$CONF"
fi

# 4. Validate the config and the installed copy with the agent itself: --check-config exits 2 on a bad
# key or value and 1 when a module the agent loads on first use is missing. Installed into / it checks
# the effective config (Open Baton's files too); into EMS_INSTALL_ROOT, that root's ems.conf alone.
# A missing hostname is expected in an image build: each VM gets it at first boot.
COMPLETE=1
if [ "$CHECK" = 1 ]; then
  check() { if [ -z "$ROOT" ]; then node "$PREFIX/dist/cli.js" --check-config; else node "$PREFIX/dist/cli.js" --check-config --config "$CONF"; fi; }
  if ! PROBLEMS="$(check 2>&1 >/dev/null)"; then
    if [ -z "${Hostname:-}" ] && printf '%s\n' "$PROBLEMS" | grep -q '^  - hostname: required$' && VNFKIT_EMS_HOSTNAME=install-check check >/dev/null 2>&1; then
      COMPLETE=0
      echo "install.sh: no hostname configured yet (fine in an image build): the VM's user-data or Open Baton's openbaton-ems.properties gives it at boot" >&2
    else
      printf '%s\n' "$PROBLEMS" >&2
      die "check failed: invalid config $CONF or a broken installation in $PREFIX (see the messages above)"
    fi
  fi
fi

# 5. Install and enable the unit.
mkdir -p "$(dirname "$UNIT")"
install -m 0644 "$PREFIX/systemd/vnfkit-ems.service" "$UNIT"
# Scripts run as root and ob_parameters.* may hold passwords: the script directory is root-only.
mkdir -p "$ROOT/opt/openbaton"
install -d -m 0700 "$ROOT/opt/openbaton/scripts"
if [ "$ENABLE" = 1 ]; then
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found; start $BIN yourself or rerun with --no-enable"
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable vnfkit-ems.service
    if [ "$COMPLETE" = 1 ]; then
      systemctl restart vnfkit-ems.service
    else
      echo "install.sh: not started: no hostname yet; it starts at the next boot (or: systemctl restart vnfkit-ems)" >&2
    fi
  else
    # An image build (chroot, EMS_INSTALL_ROOT): no running systemd; enabling only creates the symlink.
    systemctl --root="${ROOT:-/}" enable vnfkit-ems.service
  fi
fi
echo "install.sh: vnfkit-ems installed in $PREFIX (config $CONF)"
