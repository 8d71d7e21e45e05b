#!/usr/bin/env bash
# The hand-run deploy the executor replaces, as operators run it today (the benchmark's baseline):
# copy the stack dir to a new release dir, pin IMAGE_REF in its .env, point the live symlink at it,
# pull, recreate, and curl the health URL until it answers.
#   handrun-deploy.sh SOURCE_DIR ROOT PROJECT IMAGE_REF HEALTH_URL
# COMPOSE selects the compose command (default: docker-compose; e.g. COMPOSE="docker compose").
set -euo pipefail
src=$1 root=$2 project=$3 ref=$4 url=$5
compose=${COMPOSE:-docker-compose}

release="$root/releases/$project/$(date -u +%Y%m%dT%H%M%S.%NZ)"
mkdir -p "$root/releases/$project" "$root/stacks"
cp -a "$src" "$release"
sed -i "s|^IMAGE_REF=.*|IMAGE_REF=$ref|" "$release/.env"
ln -sfn "$release" "$root/stacks/$project"

cd "$root/stacks/$project"
$compose -p "$project" pull --quiet
$compose -p "$project" up -d --force-recreate
# Poll every 0.1 s: a tight baseline (scripts often sleep 1-2 s between tries).
until curl -fsS --max-time 5 "$url" >/dev/null 2>&1; do sleep 0.1; done
