# Shared set-up steps for scripts/run and scripts/test. Idempotent; works as root on a fresh Debian.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
APT_UPDATED=""

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "需要 root 权限安装系统软件包 / root is needed to install system packages: $*" >&2; return 1; fi
}

# Install the Debian packages that are not installed yet (one apt-get update at most).
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "安装系统软件包 / installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -q; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
}

# A Python ≥ 3.11 with venv: the machine's own if it has one, Debian's otherwise.
ensure_python() {
  if ! python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt_ensure python3 python3-venv python3-pip
  fi
}

# The project's virtual environment with the package installed; re-installs only when pyproject changes.
ensure_venv() {
  local extras="$1" stamp
  ensure_python
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    say "安装 Python 依赖 / installing Python packages${extras:+ [$extras]}"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
    touch "$stamp"
  fi
}

flask_cmd() { (cd "$ROOT" && "$VENV/bin/flask" --app server "$@"); }

# Node.js and npm for the front-end packages (three.js) and the glTF validator.
ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_ensure nodejs npm
}

# web/node_modules exactly as web/package-lock.json pins it; re-installed only when the lock changes.
ensure_web() {
  local stamp
  ensure_node
  stamp="$ROOT/web/node_modules/.installed-$(sha256sum "$ROOT/web/package-lock.json" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "安装前端依赖 / installing front-end packages (npm ci)"
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
  build_web
}

# web/dist (the tour bundle) rebuilt only when web/src, the vocabulary, the lock or the build script changed.
# The browser's vocabulary (web/src/generated/vocabulary.js) is generated first, from server/vocabulary.py.
build_web() {
  local digest
  (cd "$ROOT" && "$VENV/bin/python" -m server.web.vocabulary_js)
  digest="$(cd "$ROOT" && find web/src server/vocabulary.py server/web/vocabulary_js.py scripts/build_web.mjs \
    web/package-lock.json -type f -print0 | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [ ! -f "$ROOT/web/dist/.built-$digest" ] || [ ! -f "$ROOT/web/dist/tour.js" ]; then
    say "构建前端 / building the front end (esbuild)"
    rm -f "$ROOT/web/dist"/.built-*
    node "$ROOT/scripts/build_web.mjs"
    touch "$ROOT/web/dist/.built-$digest"
  fi
}
