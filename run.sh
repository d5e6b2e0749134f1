#!/usr/bin/env bash
# Runs the whole stack with Docker Compose: MinIO, a one-shot job seeding it with ./data, and the
# service.
#
#   ./run.sh [up]        build, start, wait until the service is healthy, print where to look
#   ./run.sh down [-v]   stop and remove the containers (-v also drops MinIO's volume)
#   ./run.sh logs [svc]  follow the logs
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly HEALTH_TIMEOUT_S=120

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

ensure_env() {
  if [[ ! -f .env ]]; then
    cp .env.example .env
    echo "Created .env from .env.example; change MINIO_ROOT_PASSWORD there before exposing the stack."
  fi
}

# The host port is whatever APP_PORT says, from the environment first and then .env, as compose does.
app_port() {
  local port="${APP_PORT:-}"
  if [[ -z "$port" ]]; then
    port="$(sed -n 's/^[[:space:]]*APP_PORT=//p' .env | tail -n 1 | tr -d "\"'[:space:]")"
  fi
  echo "${port:-8080}"
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
  local base
  base="http://localhost:$(app_port)"
  wait_healthy "$base/health"
  cat <<INFO

User Data Transformer is running.
  API            $base/data
  API docs       $base/docs
  MinIO console  http://localhost:9001  (MINIO_ROOT_USER / MINIO_ROOT_PASSWORD from .env)

Try:
  curl '$base/data?is_image_exists=true&min_age=30&max_age=60'
  curl $base/stats
  curl -X POST $base/data        # add -H 'x-api-key: ...' when API_KEY is set in .env

Stop with ./run.sh down; follow the logs with ./run.sh logs.
INFO
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
      ensure_env
      docker compose down "$@"
      ;;
    logs)
      shift
      require_docker
      ensure_env
      docker compose logs -f "$@"
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
