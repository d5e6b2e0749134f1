#!/usr/bin/env bash
# Runs the whole stack with Docker Compose: MinIO, a one-shot job that seeds it with ./data and
# creates the service's own MinIO user, and the service.
#
#   ./run.sh [up]        build, start, wait until the service is healthy, print where to look
#   ./run.sh down [-v]   stop and remove the containers (-v also drops MinIO's volume)
#   ./run.sh logs [svc]  follow the logs
#
# On first use it writes .env from .env.example with random secrets, readable by the owner only.
# It never prints a secret: it says where they are and which command shows the API key.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly HEALTH_TIMEOUT_S=120
readonly SECRET_LENGTH_CHARS=40
# The variables .env must give real values; docker-compose.yml refuses to start without them.
SECRETS=(MINIO_ROOT_USER MINIO_ROOT_PASSWORD MINIO_APP_ACCESS_KEY MINIO_APP_SECRET_KEY API_KEY SNAPSHOT_SECRET)

usage() {
  cat <<'USAGE'
usage: ./run.sh [up | down [-v] | logs [service]]
  up     build and start MinIO, the seeding job and the service (default)
  down   stop and remove the containers; -v also deletes the MinIO data volume
  logs   follow the logs of all services, or of the one named
USAGE
}

require_docker() {
  local hint="Install Docker with the Compose plugin (https://docs.docker.com/get-docker/),
or run without Docker: npm ci && npm start (serves the files in ./data from the local folder)."
  if ! command -v docker >/dev/null 2>&1; then
    printf 'docker was not found.\n%s\n' "$hint" >&2
    exit 1
  fi
  if ! docker compose version >/dev/null 2>&1; then
    printf '"docker compose" does not work: the Compose plugin is missing or the Docker daemon is unreachable.\n%s\n' "$hint" >&2
    exit 1
  fi
}

# ---- secrets ------------------------------------------------------------------------------------

# $1 bytes from the best source there is. $RANDOM is no fallback: it is far too predictable.
random_bytes() {
  if [[ -r /dev/urandom ]]; then
    head -c "$1" /dev/urandom
  elif command -v openssl >/dev/null 2>&1; then
    openssl rand "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(int(sys.argv[1])))' "$1"
  elif command -v node >/dev/null 2>&1; then
    node -e 'process.stdout.write(require("node:crypto").randomBytes(Number(process.argv[1])))' "$1"
  else
    echo "No source of random bytes (/dev/urandom, openssl, python3 or node) to generate secrets with; write .env yourself from .env.example." >&2
    return 1
  fi
}

# $1 random letters and digits: no quoting needed in .env, URLs or shells. Dropping the other
# bytes (rejection) keeps every character equally likely.
random_chars() {
  local chars="" chunk
  while ((${#chars} < $1)); do
    chunk="$(random_bytes 512 | LC_ALL=C tr -dc 'A-Za-z0-9')" || exit 1
    chars+="$chunk"
  done
  printf '%s' "${chars:0:$1}"
}

# The user names carry a readable prefix, so the MinIO console tells them apart. Callers check
# the status: `set -e` does not reach into command substitutions.
generate_secret() {
  local prefix="" length="$SECRET_LENGTH_CHARS" random
  case "$1" in
    MINIO_ROOT_USER) prefix=root- length=12 ;;
    MINIO_APP_ACCESS_KEY) prefix=udt-app- length=12 ;;
  esac
  random="$(random_chars "$length")" || return 1
  printf '%s%s' "$prefix" "$random"
}

is_secret() {
  local name
  for name in "${SECRETS[@]}"; do [[ "$name" == "$1" ]] && return 0; done
  return 1
}

# .env.example with every secret filled in, moved into place only when whole, mode 600 (mktemp's).
create_env() {
  local tmp line name value
  [[ -f .env.example ]] || { echo ".env.example is missing; it is the template for .env." >&2; exit 1; }
  tmp="$(mktemp .env.XXXXXX)"
  # Expanded now on purpose: $tmp is local, gone by the time the script exits.
  # shellcheck disable=SC2064
  trap "rm -f -- '$tmp'" EXIT
  while IFS= read -r line || [[ -n "$line" ]]; do
    name="${line%%=*}"
    if [[ "$line" == *=* ]] && is_secret "$name"; then
      value="$(generate_secret "$name")" || exit 1
      line="$name=$value"
    fi
    printf '%s\n' "$line"
  done <.env.example >"$tmp"
  mv -n "$tmp" .env 2>/dev/null || true
  if [[ -e "$tmp" ]]; then
    # Not moved: an .env that appeared meanwhile wins, and is checked like any other.
    [[ -e .env ]] || { echo "Could not create .env in $PWD." >&2; exit 1; }
    return
  fi
  cat <<'CREATED'
Created .env with random secrets: MinIO's root account, the service's own MinIO user, API_KEY and SNAPSHOT_SECRET.
Only your user can read it, and this script never prints them. POST /data needs the API key:
  sed -n 's/^API_KEY=//p' .env
CREATED
}

# The value .env gives $1, as compose reads it (last assignment wins, one pair of quotes removed);
# fails when .env does not assign it.
env_value() {
  local line value found=1
  [[ -f .env ]] || return 1
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^[[:space:]]*$1=(.*)$ ]]; then
      value="${BASH_REMATCH[1]}"
      found=0
    fi
  done <.env
  ((found == 0)) || return 1
  value="${value#"${value%%[![:space:]]*}"}"
  value="${value%"${value##*[![:space:]]}"}"
  if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
  printf '%s\n' "$value"
}

is_placeholder() {
  case "$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" in
    minioadmin | *change-me* | *changeme* | *change_me* | *placeholder*) return 0 ;;
    *) return 1 ;;
  esac
}

# Why the secret $1 is not usable, or nothing. MinIO wants 3+ characters for users, 8+ for secrets.
secret_problem() {
  local value minimum=8
  [[ "$1" == MINIO_ROOT_USER || "$1" == MINIO_APP_ACCESS_KEY ]] && minimum=3
  if ! value="$(env_value "$1")"; then
    echo "$1 is missing (add a line $1=<at least $minimum random letters and digits> to .env)"
  elif [[ -z "$value" ]]; then
    echo "$1 is empty"
  elif is_placeholder "$value"; then
    echo "$1 still holds a placeholder value"
  elif ((${#value} < minimum)); then
    echo "$1 is shorter than $minimum characters"
  fi
}

check_env() {
  local name problem problems=""
  for name in "${SECRETS[@]}"; do
    problem="$(secret_problem "$name")"
    [[ -z "$problem" ]] || problems+="  - $problem"$'\n'
  done
  if [[ -z "$problems" && "$(env_value MINIO_APP_ACCESS_KEY)" == "$(env_value MINIO_ROOT_USER)" ]]; then
    problems="  - MINIO_APP_ACCESS_KEY is the same as MINIO_ROOT_USER; the service must not use the root account"$'\n'
  fi
  [[ -z "$problems" ]] && return
  cat >&2 <<REFUSED
.env is not ready; the stack was not started:
$problems
Give each a real value in .env, or move .env aside and run ./run.sh again to have random ones
generated (for example: mv .env .env.old && ./run.sh).
REFUSED
  exit 1
}

ensure_env() {
  [[ -e .env ]] || create_env
  check_env
}

# ---- running ------------------------------------------------------------------------------------

# A setting as compose sees it: the environment first, then .env, then the default $2.
setting() {
  local value="${!1:-}"
  [[ -n "$value" ]] || value="$(env_value "$1" || true)"
  printf '%s\n' "${value:-$2}"
}

# Where the published ports answer from this machine.
url_host() {
  local bind
  bind="$(setting BIND_ADDRESS 127.0.0.1)"
  case "$bind" in
    127.0.0.1 | 0.0.0.0) echo localhost ;;
    *) echo "$bind" ;;
  esac
}

# One health probe: curl if present, else Node's fetch, else the container's own healthcheck.
probe() {
  local url="$1"
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url" || true)" == 200 ]]
  elif command -v node >/dev/null 2>&1; then
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$url"
  else
    local id
    id="$(docker compose ps -q app)"
    [[ -n "$id" && "$(docker inspect --format '{{.State.Health.Status}}' "$id" 2>/dev/null)" == healthy ]]
  fi
}

wait_healthy() {
  local url="$1" deadline=$((SECONDS + HEALTH_TIMEOUT_S))
  printf 'Waiting for %s ' "$url"
  until probe "$url"; do
    if ((SECONDS >= deadline)); then
      printf '\nThe service did not answer 200 within %s s. Its latest logs:\n' "$HEALTH_TIMEOUT_S" >&2
      docker compose logs --tail 40 app >&2 || true
      exit 1
    fi
    printf '.'
    sleep 2
  done
  printf ' ok\n'
}

up() {
  ensure_env
  if ! docker compose up -d --build; then
    echo "docker compose up failed; './run.sh logs' shows what each service said." >&2
    exit 1
  fi
  local host base console
  host="$(url_host)"
  base="http://$host:$(setting APP_PORT 8080)"
  console="http://$host:$(setting MINIO_CONSOLE_PORT 9001)"
  wait_healthy "$base/health/ready"
  cat <<INFO

User Data Transformer is running, published on $(setting BIND_ADDRESS 127.0.0.1) (BIND_ADDRESS in .env).
  API            $base/data
  API docs       $base/docs
  MinIO console  $console  (log in with MINIO_ROOT_USER / MINIO_ROOT_PASSWORD from .env)

Try:
  curl '$base/data?is_image_exists=true&min_age=30&max_age=60'
  curl $base/stats
  curl -X POST -H "x-api-key: \$(sed -n 's/^API_KEY=//p' .env)" $base/data

Stop with ./run.sh down; follow the logs with ./run.sh logs.
INFO
}

# down and logs start nothing, so the secrets' values do not matter to them. Stand-ins let them
# work without an .env, or with one that lacks a secret, e.g. to stop a stack started before.
compose_without_secrets() {
  local name stand_ins=()
  for name in "${SECRETS[@]}"; do stand_ins+=("$name=unused"); done
  env "${stand_ins[@]}" docker compose "$@"
}

main() {
  local command="${1:-up}"
  case "$command" in
    up)
      [[ $# -le 1 ]] || { usage >&2; exit 2; }
      require_docker
      up
      ;;
    down)
      shift
      [[ $# -eq 0 || ($# -eq 1 && "$1" == -v) ]] || { usage >&2; exit 2; }
      require_docker
      compose_without_secrets down "$@"
      ;;
    logs)
      shift
      require_docker
      compose_without_secrets logs -f "$@"
      ;;
    -h | --help | help)
      usage
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
