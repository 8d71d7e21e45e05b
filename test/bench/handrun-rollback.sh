#!/usr/bin/env bash
# The hand-run rollback baseline: recreate the stack from an older release dir whose images are
# on the server, then curl the health URL until it answers.
#   handrun-rollback.sh RELEASE_DIR PROJECT HEALTH_URL
set -euo pipefail
dir=$1 project=$2 url=$3
compose=${COMPOSE:-docker-compose}

cd "$dir"
$compose -p "$project" up -d --force-recreate
until curl -fsS --max-time 5 "$url" >/dev/null 2>&1; do sleep 0.1; done
