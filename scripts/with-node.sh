#!/bin/sh
# Runs a command under a Node.js new enough for this package: the machine's own when it
# is, else the Node.js 24 that node-env.sh installs once and reuses. npm scripts that run
# the code (tests, demo, sandbox) go through it, so a machine with an older Node needs no
# extra set-up step.
#   sh scripts/with-node.sh node bin/sregistry-globus.js demo
. "$(dirname "$0")/node-env.sh" || exit 1
exec "$@"
