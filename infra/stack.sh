#!/usr/bin/env bash
# Streamline local stack without Docker: Kafka (KRaft), a Confluent-API schema registry
# (Apicurio Registry), PostgreSQL, Prometheus and Alertmanager as plain loopback processes.
#
# Usage: bash infra/stack.sh up|down|status      (npm run stack:up|stack:down|stack:status)
#
#   up      install what is missing (first use; cached under $STACK_DIR), start every
#           component that is not already running, wait until each is really ready, write
#           $STACK_DIR/env and print a summary. Running it again is harmless.
#   down    stop everything `up` started (never the machine's own PostgreSQL service).
#   status  one line per component; exit status 1 when any component is down.
#
# After `up`:  source .stack/env   (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL,
#                                   PROMETHEUS_URL, ALERTMANAGER_URL)
# Logs:        .stack/logs/<component>.log  (kafka, schema-registry, postgres, prometheus,
#              alertmanager; install.log for Maven/apt output)
#
# Environment (defaults in brackets):
#   STACK_DIR                  cache, data, logs, pid files            [<repo>/.stack]
#   KAFKA_PORT                 Kafka broker (PLAINTEXT) port           [9092]
#   KAFKA_CONTROLLER_PORT      KRaft controller port (not 9093/19093)  [19094]
#   KAFKA_VERSION              Kafka jars from Maven Central           [3.9.1]
#   KAFKA_HEAP_OPTS            broker heap                             [-Xms256m -Xmx512m]
#   KAFKA_JAVA                 java for Kafka (17+)                    [java on PATH]
#   SCHEMA_REGISTRY_PORT       Apicurio HTTP port                      [8081]
#   SCHEMA_REGISTRY_MGMT_PORT  Apicurio management port (/health, /metrics)  [18081]
#   APICURIO_VERSION           Apicurio Registry app from Maven Central [3.3.3]
#   APICURIO_HEAP_OPTS         registry heap                           [-Xmx384m]
#   APICURIO_JAVA              java for Apicurio (21+ for 3.2 and later) [auto: newest suitable
#                              JDK found on PATH, $JAVA_HOME or /usr/lib/jvm]
#   DATABASE_URL               PostgreSQL for the app    [postgres://postgres@127.0.0.1:5432/streamline]
#   PG_PRIVATE_PORT            first port tried for a private cluster  [55432]
#   PROMETHEUS_PORT            Prometheus port                         [19090]
#   ALERTMANAGER_PORT          Alertmanager port                       [19093]
#   KAFKA_WAIT_SECS            readiness deadline for Kafka            [90]
#   SCHEMA_REGISTRY_WAIT_SECS  readiness deadline for the registry     [120]
#   STACK_WAIT_SECS            readiness deadline for the others       [30]
#
# Notes
# - Apicurio 3.1.7 is not on Maven Central as seen from our machines (404); 3.3.3 is, and it
#   needs Java 21+ (the Temurin JDK under /usr/lib/jvm). Schemas are kept in an H2 file under
#   $STACK_DIR/data/schema-registry, so ids stay valid for messages already in Kafka.
# - PostgreSQL: the server of DATABASE_URL when it answers; else the machine's stopped cluster
#   (pg_ctlcluster); else a private cluster under $STACK_DIR/pg (loopback URLs only).
set -euo pipefail

readonly HOST=127.0.0.1
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT

STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19094}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JAVA="${KAFKA_JAVA:-java}"
SCHEMA_REGISTRY_PORT="${SCHEMA_REGISTRY_PORT:-8081}"
SCHEMA_REGISTRY_MGMT_PORT="${SCHEMA_REGISTRY_MGMT_PORT:-18081}"
APICURIO_VERSION="${APICURIO_VERSION:-3.3.3}"
APICURIO_HEAP_OPTS="${APICURIO_HEAP_OPTS:--Xmx384m}"
APICURIO_JAVA="${APICURIO_JAVA:-}"
DATABASE_URL_DEFAULT="postgres://postgres@127.0.0.1:5432/streamline"
DATABASE_URL_GIVEN="${DATABASE_URL:-}"
PG_PRIVATE_PORT="${PG_PRIVATE_PORT:-55432}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-19093}"
KAFKA_WAIT_SECS="${KAFKA_WAIT_SECS:-90}"
SCHEMA_REGISTRY_WAIT_SECS="${SCHEMA_REGISTRY_WAIT_SECS:-120}"
STACK_WAIT_SECS="${STACK_WAIT_SECS:-30}"

readonly DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
readonly APT_PACKAGES=(prometheus prometheus-alertmanager
  python3-confluent-kafka python3-avro python3-requests kcat docker-compose)

mkdir -p "$STACK_DIR"
STACK_DIR="$(cd "$STACK_DIR" && pwd)"
readonly STACK_DIR
readonly LOG_DIR="$STACK_DIR/logs" RUN_DIR="$STACK_DIR/run" DATA_DIR="$STACK_DIR/data" TMP_DIR="$STACK_DIR/tmp"
readonly KAFKA_HOME="$STACK_DIR/kafka/$KAFKA_VERSION"
readonly KAFKA_CONF="$STACK_DIR/kafka/server.properties"
readonly KAFKA_CLUSTER_ID_FILE="$STACK_DIR/kafka/cluster.id"
readonly APICURIO_HOME="$STACK_DIR/apicurio/$APICURIO_VERSION"
readonly PG_DATA="$STACK_DIR/pg"
readonly INSTALL_LOG="$LOG_DIR/install.log"
readonly SCHEMA_REGISTRY_URL="http://$HOST:$SCHEMA_REGISTRY_PORT/apis/ccompat/v7"
readonly PROMETHEUS_URL="http://$HOST:$PROMETHEUS_PORT"
readonly ALERTMANAGER_URL="http://$HOST:$ALERTMANAGER_PORT"

# ----------------------------------------------------------------------------- helpers

say() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[stack] ERROR: %s\n' "$*" >&2
  exit 1
}

now() { date +%s; }

log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }
pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# fail_component <component> <message>: names the log and shows its tail, then exits.
fail_component() {
  local comp=$1 msg=$2 log f
  log="$(log_file "$comp")"
  {
    printf '[stack] ERROR: %s: %s\n' "$comp" "$msg"
    for f in "$log" "$LOG_DIR/$comp.out"; do
      [[ -s $f ]] || continue
      printf '[stack] ---- last 30 lines of %s ----\n' "$f"
      tail -n 30 "$f"
      printf '[stack] ---- end of %s ----\n' "$f"
    done
    [[ -s $log ]] || printf '[stack] (log %s is empty or missing)\n' "$log"
  } >&2
  exit 1
}

port_open() { # port_open <port>: something accepts TCP connections on $HOST:<port>
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

port_owner() { # pid listening on <port>, empty when unknown
  command -v ss >/dev/null 2>&1 || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

proc_cmdline() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

proc_name() { cat "/proc/$1/comm" 2>/dev/null || echo '?'; }

http_ok() { # http_ok <url>: 2xx within 3 s
  curl -fsS -o /dev/null -m 3 "$1" 2>/dev/null
}

# Each process we start carries a marker in its command line that names this STACK_DIR, so a
# recycled pid or another checkout's stack is never mistaken for ours.
marker() {
  case $1 in
    kafka) printf -- '-Dstreamline.stack=%s/kafka' "$RUN_DIR" ;;
    schema-registry) printf -- '-Dstreamline.stack=%s/schema-registry' "$RUN_DIR" ;;
    prometheus) printf -- '--storage.tsdb.path=%s/prometheus' "$DATA_DIR" ;;
    alertmanager) printf -- '--storage.path=%s/alertmanager' "$DATA_DIR" ;;
    postgres) printf -- '%s' "$PG_DATA" ;;
  esac
}

is_ours() { # is_ours <component> <pid>
  local cmd
  [[ $2 =~ ^[0-9]+$ ]] || return 1
  cmd="$(proc_cmdline "$2")"
  [[ -n $cmd && $cmd == *"$(marker "$1")"* ]]
}

# running_pid <component>: pid of our running process (pid file first, then /proc scan).
running_pid() {
  local comp=$1 pid="" pf d
  pf="$(pid_file "$comp")"
  if [[ -s $pf ]]; then
    pid="$(head -n 1 "$pf")"
    if is_ours "$comp" "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  # Pid file missing or stale: look for a process carrying our marker (e.g. pid file deleted).
  # (grep's own command line holds the marker too, but it has exited when is_ours looks.)
  for d in $(grep -lsF -- "$(marker "$comp")" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid="${d#/proc/}"
    pid="${pid%/cmdline}"
    [[ $pid == "$$" || $pid == "${BASHPID:-}" ]] && continue
    if is_ours "$comp" "$pid"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

rotate_log() { # keep one previous generation of logs above 20 MiB
  local f=$1
  if [[ -f $f ]] && (($(stat -c %s "$f") > 20 * 1024 * 1024)); then
    mv -f "$f" "$f.1"
  fi
}

# start_daemon <component> <output file> <command...>: detached (own session), pid file written
# by the process itself before it exec()s into the server, stdin closed.
start_daemon() {
  local comp=$1 out=$2 pf i
  shift 2
  pf="$(pid_file "$comp")"
  rm -f "$pf"
  rotate_log "$out"
  printf '\n===== %s: starting %s =====\n' "$(date -Is)" "$comp" >>"$out"
  # shellcheck disable=SC2016 # expanded by the inner bash
  (cd "$STACK_DIR" && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@" >>"$out" 2>&1 </dev/null 9>&-) &
  for i in $(seq 1 50); do
    [[ -s $pf ]] && return 0
    sleep 0.1
  done
  fail_component "$comp" "process did not start (no pid file $pf after 5 s; tried $i times)"
}

# ensure_port_free <component> <port> <variable name>
ensure_port_free() {
  local comp=$1 port=$2 var=$3 owner
  port_open "$port" || return 0
  owner="$(port_owner "$port")"
  die "$comp: port $HOST:$port is already used by ${owner:+pid $owner ($(proc_name "$owner")) }a process this script did not start; stop it or choose another port with $var=<port>"
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

deb_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

APT_UPDATED=0
apt_install() { # apt_install <package...>: apt-get update once per run, no recommends
  say "installing Debian packages: $* (output in $INSTALL_LOG)"
  if ((APT_UPDATED == 0)); then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update >>"$INSTALL_LOG" 2>&1 ||
      { tail -n 30 "$INSTALL_LOG" >&2; die "apt-get update failed (log: $INSTALL_LOG)"; }
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$INSTALL_LOG" 2>&1 ||
    { tail -n 30 "$INSTALL_LOG" >&2; die "apt-get install $* failed (log: $INSTALL_LOG)"; }
}

java_major() { # java_major <java binary>: 8, 11, 17, 21, 25 ...
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  v="${v#1.}"
  echo "${v%%.*}"
}

# find_java <min major> [explicit binary]: the given binary, else the newest suitable JDK.
find_java() {
  local min=$1 explicit=${2:-} cand major best="" best_major=0
  if [[ -n $explicit ]]; then
    command -v "$explicit" >/dev/null 2>&1 || die "java not found: $explicit"
    major="$(java_major "$explicit")"
    ((major >= min)) || die "$explicit is Java $major; Java $min or newer is needed"
    command -v "$explicit"
    return 0
  fi
  for cand in "$(command -v java || true)" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/*/bin/java; do
    [[ -n $cand && -x $cand ]] || continue
    major="$(java_major "$cand" 2>/dev/null || echo 0)"
    [[ $major =~ ^[0-9]+$ ]] || continue
    if ((major >= min && major > best_major)); then
      best=$cand
      best_major=$major
    fi
  done
  [[ -n $best ]] || return 1
  echo "$best"
}

version_ge() { # version_ge <a> <b>: a >= b
  [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" == "$2" ]]
}

# ----------------------------------------------------------------------------- install

ensure_debian_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    deb_installed "$p" || missing+=("$p")
  done
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  # The TLS/SASL integration test (test/platform/tls-sasl.int-spec.ts) generates certificates
  # with openssl and runs a throw-away cluster with the server's initdb/pg_ctl.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  pg_bin >/dev/null || missing+=(postgresql)
  ((${#missing[@]} > 0)) || return 0
  apt_install "${missing[@]}"
  # The packages' own daemons (if the init system started them) must not keep ports busy:
  # we run our own instances on other ports with the project's configuration.
  for p in prometheus prometheus-alertmanager; do
    [[ " ${missing[*]} " == *" $p "* ]] || continue
    if [[ -d /run/systemd/system ]]; then
      as_root systemctl disable --now "$p.service" >>"$INSTALL_LOG" 2>&1 || true
    elif [[ -x /etc/init.d/$p ]]; then
      as_root "/etc/init.d/$p" stop >>"$INSTALL_LOG" 2>&1 || true
    fi
  done
}

install_kafka() {
  [[ -f $KAFKA_HOME/.installed ]] && return 0
  say "installing Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME (first use)"
  rm -rf "$KAFKA_HOME.tmp"
  mkdir -p "$KAFKA_HOME.tmp" "$TMP_DIR"
  if ! (cd "$TMP_DIR" && mvn -B -q -f "$REPO_ROOT/infra/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME.tmp/libs") >>"$INSTALL_LOG" 2>&1; then
    tail -n 30 "$INSTALL_LOG" >&2
    die "kafka: fetching jars with Maven failed (log: $INSTALL_LOG)"
  fi
  [[ -f $KAFKA_HOME.tmp/libs/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after Maven (log: $INSTALL_LOG)"
  touch "$KAFKA_HOME.tmp/.installed"
  rm -rf "$KAFKA_HOME"
  mv "$KAFKA_HOME.tmp" "$KAFKA_HOME"
}

install_apicurio() {
  [[ -f $APICURIO_HOME/.installed ]] && return 0
  say "installing Apicurio Registry $APICURIO_VERSION from Maven Central into $APICURIO_HOME (first use)"
  rm -rf "$APICURIO_HOME.tmp" "$TMP_DIR/mvn-unpack"
  mkdir -p "$APICURIO_HOME.tmp" "$TMP_DIR/mvn-unpack"
  # Run from a scratch directory: without a pom, Maven's standalone project writes there.
  if ! (cd "$TMP_DIR/mvn-unpack" && mvn -B -q "$DEP_PLUGIN:unpack" \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$APICURIO_HOME.tmp" -DmarkersDirectory="$TMP_DIR/mvn-unpack/markers") >>"$INSTALL_LOG" 2>&1; then
    tail -n 30 "$INSTALL_LOG" >&2
    die "schema-registry: fetching io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all failed (log: $INSTALL_LOG)"
  fi
  rm -rf "$TMP_DIR/mvn-unpack"
  [[ -f $APICURIO_HOME.tmp/quarkus-run.jar ]] || die "schema-registry: quarkus-run.jar missing after unpacking (log: $INSTALL_LOG)"
  touch "$APICURIO_HOME.tmp/.installed"
  rm -rf "$APICURIO_HOME"
  mv "$APICURIO_HOME.tmp" "$APICURIO_HOME"
}

# ----------------------------------------------------------------------------- kafka

render_kafka_config() {
  mkdir -p "$DATA_DIR/kafka" "$(dirname "$KAFKA_CONF")"
  sed -e "s|@KAFKA_HOST@|$HOST|g" \
    -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA_DIR@|$DATA_DIR/kafka|g" \
    "$REPO_ROOT/infra/kafka/server.properties" >"$KAFKA_CONF.tmp"
  mv -f "$KAFKA_CONF.tmp" "$KAFKA_CONF"
}

kafka_java_args() {
  local heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  KAFKA_CMD=("$KAFKA_JAVA" "${heap[@]}" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true "$(marker kafka)"
    "-Dstreamline.kafka.log=$(log_file kafka)"
    "-Dlog4j.configuration=file:$REPO_ROOT/infra/kafka/log4j.properties"
    -cp "$KAFKA_HOME/libs/*")
}

format_kafka_storage() {
  local id
  [[ -f $DATA_DIR/kafka/meta.properties ]] && return 0
  kafka_java_args
  if [[ -s $KAFKA_CLUSTER_ID_FILE ]]; then
    id="$(cat "$KAFKA_CLUSTER_ID_FILE")"
  else
    id="$("${KAFKA_CMD[@]}" kafka.tools.StorageTool random-uuid 2>>"$INSTALL_LOG" | tail -n 1)"
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: could not generate a cluster id (got '$id'; log: $INSTALL_LOG)"
    echo "$id" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  say "formatting Kafka storage in $DATA_DIR/kafka (cluster id $id)"
  "${KAFKA_CMD[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONF" --ignore-formatted >>"$INSTALL_LOG" 2>&1 ||
    fail_component kafka "formatting storage failed (see also $INSTALL_LOG)"
}

start_kafka() {
  local pid
  if pid="$(running_pid kafka)"; then
    echo "$pid" >"$(pid_file kafka)"
    say "kafka already running (pid $pid)"
    return 0
  fi
  ensure_port_free kafka "$KAFKA_PORT" KAFKA_PORT
  ensure_port_free kafka "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  command -v "$KAFKA_JAVA" >/dev/null 2>&1 || die "kafka: java not found ($KAFKA_JAVA); set KAFKA_JAVA"
  render_kafka_config
  format_kafka_storage
  kafka_java_args
  say "starting kafka on $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)"
  start_daemon kafka "$LOG_DIR/kafka.out" "${KAFKA_CMD[@]}" kafka.Kafka "$KAFKA_CONF"
}

wait_kafka() {
  local pid probe="$REPO_ROOT/infra/wait-kafka.mjs"
  pid="$(running_pid kafka)" || fail_component kafka "process exited during start-up"
  [[ -d $REPO_ROOT/node_modules/kafkajs ]] || die "kafka: node_modules/kafkajs is missing; run 'npm ci' first"
  if ! node "$probe" --brokers "$HOST:$KAFKA_PORT" --timeout "$KAFKA_WAIT_SECS" --pid "$pid" >>"$LOG_DIR/kafka.out" 2>&1; then
    fail_component kafka "not ready within ${KAFKA_WAIT_SECS}s ($(tail -n 1 "$LOG_DIR/kafka.out"))"
  fi
}

# ----------------------------------------------------------------------------- schema registry

start_schema_registry() {
  local pid java min heap
  if pid="$(running_pid schema-registry)"; then
    echo "$pid" >"$(pid_file schema-registry)"
    say "schema-registry already running (pid $pid)"
    return 0
  fi
  ensure_port_free schema-registry "$SCHEMA_REGISTRY_PORT" SCHEMA_REGISTRY_PORT
  ensure_port_free schema-registry "$SCHEMA_REGISTRY_MGMT_PORT" SCHEMA_REGISTRY_MGMT_PORT
  min=17
  version_ge "$APICURIO_VERSION" 3.2.0 && min=21
  java="$(find_java "$min" "$APICURIO_JAVA")" ||
    die "schema-registry: Apicurio $APICURIO_VERSION needs Java $min+, none found on PATH, \$JAVA_HOME or /usr/lib/jvm; install one and set APICURIO_JAVA=/path/to/bin/java"
  read -r -a heap <<<"$APICURIO_HEAP_OPTS"
  mkdir -p "$DATA_DIR/schema-registry" "$TMP_DIR"
  say "starting schema-registry (Apicurio $APICURIO_VERSION, Java $(java_major "$java")) on $HOST:$SCHEMA_REGISTRY_PORT"
  # ccompat settings (details in infra/README.md):
  #  legacy-id-mode=false: ids are content ids, the same schema gets the same id under every
  #    subject (Confluent semantics) and GET /schemas/ids/{id} resolves them.
  #  use-canonical-hash=false: the default; 3.3.x already matches re-formatted schemas.
  #  max-subjects: GET /subjects is capped (default 1000); tests create many subjects.
  start_daemon schema-registry "$(log_file schema-registry)" \
    "$java" "${heap[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError \
    "$(marker schema-registry)" \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$SCHEMA_REGISTRY_PORT" \
    -Dquarkus.management.host="$HOST" -Dquarkus.management.port="$SCHEMA_REGISTRY_MGMT_PORT" \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -Dapicurio.ccompat.legacy-id-mode.enabled=false \
    -Dapicurio.ccompat.use-canonical-hash=false \
    -Dapicurio.ccompat.max-subjects=10000 \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    "-Dapicurio.datasource.url=jdbc:h2:file:$DATA_DIR/schema-registry/registry" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    -Dapicurio.datasource.jdbc.max-size=20 \
    "-Dapicurio.storage.snapshot.location=$TMP_DIR" "-Dapicurio.import.work-dir=$TMP_DIR" \
    "-Dquarkus.log.console.format=%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %m%n" \
    -jar "$APICURIO_HOME/quarkus-run.jar"
}

# ----------------------------------------------------------------------------- prometheus

start_prometheus() {
  local pid
  if pid="$(running_pid prometheus)"; then
    echo "$pid" >"$(pid_file prometheus)"
    say "prometheus already running (pid $pid)"
    return 0
  fi
  ensure_port_free prometheus "$PROMETHEUS_PORT" PROMETHEUS_PORT
  grep -q "$HOST:$ALERTMANAGER_PORT" "$REPO_ROOT/prometheus/prometheus.yml" ||
    warn "prometheus/prometheus.yml does not point at Alertmanager $HOST:$ALERTMANAGER_PORT"
  mkdir -p "$DATA_DIR/prometheus"
  say "starting prometheus on $HOST:$PROMETHEUS_PORT"
  start_daemon prometheus "$(log_file prometheus)" prometheus \
    "--config.file=$REPO_ROOT/prometheus/prometheus.yml" \
    "$(marker prometheus)" --storage.tsdb.retention.time=7d \
    "--web.listen-address=$HOST:$PROMETHEUS_PORT" --web.enable-lifecycle
}

start_alertmanager() {
  local pid
  if pid="$(running_pid alertmanager)"; then
    echo "$pid" >"$(pid_file alertmanager)"
    say "alertmanager already running (pid $pid)"
    return 0
  fi
  ensure_port_free alertmanager "$ALERTMANAGER_PORT" ALERTMANAGER_PORT
  mkdir -p "$DATA_DIR/alertmanager"
  say "starting alertmanager on $HOST:$ALERTMANAGER_PORT"
  start_daemon alertmanager "$(log_file alertmanager)" prometheus-alertmanager \
    "--config.file=$REPO_ROOT/prometheus/alertmanager.yml" \
    "$(marker alertmanager)" \
    "--web.listen-address=$HOST:$ALERTMANAGER_PORT" --cluster.listen-address=
}

# wait_http <component> <url> <seconds>
wait_http() {
  local comp=$1 url=$2 secs=$3 deadline
  deadline=$(($(now) + secs))
  while ! http_ok "$url"; do
    running_pid "$comp" >/dev/null || fail_component "$comp" "process exited during start-up"
    (($(now) < deadline)) || fail_component "$comp" "not ready within ${secs}s ($url)"
    sleep 0.5
  done
}

# ----------------------------------------------------------------------------- postgres

# Parsed DATABASE_URL: PG_SCHEME PG_USERINFO PG_HOST PG_PORT PG_DB PG_QUERY
parse_database_url() {
  local url=$1 re='^(postgres|postgresql)://(([^@/]*)@)?([^:/?]+)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
  [[ $url =~ $re ]] || die "postgres: cannot parse DATABASE_URL '$url' (expected postgres://user@host:port/db)"
  PG_SCHEME=${BASH_REMATCH[1]}
  PG_USERINFO=${BASH_REMATCH[3]}
  PG_HOST=${BASH_REMATCH[4]}
  PG_PORT=${BASH_REMATCH[6]:-5432}
  PG_DB=${BASH_REMATCH[8]:-streamline}
  PG_QUERY=${BASH_REMATCH[9]}
  [[ $PG_DB =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] || die "postgres: unsupported database name '$PG_DB' in DATABASE_URL"
}

pg_url() { # pg_url <host> <port> <db>
  printf '%s://%s%s:%s/%s%s' "$PG_SCHEME" "${PG_USERINFO:+$PG_USERINFO@}" "$1" "$2" "$3" "$PG_QUERY"
}

pg_answers() { # pg_answers <url>
  PGCONNECT_TIMEOUT=3 psql "$1" -XtAqc 'select 1' >/dev/null 2>&1
}

pg_is_local() { [[ $PG_HOST == 127.0.0.1 || $PG_HOST == localhost || $PG_HOST == ::1 ]]; }

pg_bin() {
  local d
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}

as_pg_owner() { # run a PostgreSQL server tool as the cluster owner (initdb refuses root)
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The machine's own cluster on the URL's port, "version" if it exists.
system_pg_cluster() {
  local conf v port
  for conf in /etc/postgresql/*/main/postgresql.conf; do
    [[ -f $conf ]] || continue
    v="$(basename "$(dirname "$(dirname "$conf")")")"
    port="$(awk -F= '/^[[:space:]]*port[[:space:]]*=/ {gsub(/[^0-9]/, "", $2); print $2; exit}' "$conf")"
    [[ ${port:-5432} == "$PG_PORT" ]] && { echo "$v"; return 0; }
  done
  return 1
}

wait_pg() { # wait_pg <url> <seconds>
  local deadline=$(($(now) + $2))
  until pg_answers "$1"; do
    (($(now) < deadline)) || fail_component postgres "server at ${1%%\?*} not answering within ${2}s"
    sleep 0.5
  done
}

private_pg_port() {
  local port
  if [[ -s $RUN_DIR/postgres.port ]]; then
    cat "$RUN_DIR/postgres.port"
    return 0
  fi
  for ((port = PG_PRIVATE_PORT; port < PG_PRIVATE_PORT + 50; port++)); do
    if ! port_open "$port"; then
      echo "$port" >"$RUN_DIR/postgres.port"
      echo "$port"
      return 0
    fi
  done
  die "postgres: no free port in $PG_PRIVATE_PORT..$((PG_PRIVATE_PORT + 49)) for a private cluster"
}

start_private_pg() {
  local bin port pid log
  bin="$(pg_bin)" || die "postgres: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
  port="$(private_pg_port)"
  log="$(log_file postgres)"
  mkdir -p "$PG_DATA" "$RUN_DIR/pgsock"
  touch "$log"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "postgres: running as root needs the 'postgres' system user (package postgresql-common)"
    chown postgres: "$PG_DATA" "$RUN_DIR/pgsock" "$log"
    chmod 700 "$PG_DATA"
  fi
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    say "initialising a private PostgreSQL cluster in $PG_DATA ($bin)"
    as_pg_owner "$bin/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >>"$log" 2>&1 ||
      fail_component postgres "initdb failed"
  fi
  if pid="$(running_pid postgres)" && port_open "$port"; then
    say "postgres (private cluster) already running (pid $pid)"
  else
    ensure_port_free postgres "$port" PG_PRIVATE_PORT
    say "starting private postgres on $HOST:$port"
    as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$log" -w -t "$STACK_WAIT_SECS" \
      -o "-c port=$port -c listen_addresses=$HOST -c unix_socket_directories='$RUN_DIR/pgsock' -c max_connections=200" \
      start >>"$LOG_DIR/postgres.out" 2>&1 9>&- || fail_component postgres "pg_ctl start failed"
  fi
  head -n 1 "$PG_DATA/postmaster.pid" >"$(pid_file postgres)"
  PG_HOST=$HOST
  PG_PORT=$port
}

ensure_postgres() {
  local url admin v mode exists err
  parse_database_url "${DATABASE_URL_GIVEN:-$DATABASE_URL_DEFAULT}"
  admin="$(pg_url "$PG_HOST" "$PG_PORT" postgres)"
  if pg_answers "$admin"; then
    mode=external
  elif [[ -f $PG_DATA/PG_VERSION ]] && pg_is_local; then
    mode=private
    start_private_pg
  elif pg_is_local && v="$(system_pg_cluster)"; then
    mode=system
    say "starting the machine's PostgreSQL $v cluster 'main' (pg_ctlcluster)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start >>"$(log_file postgres)" 2>&1 9>&- ||
      fail_component postgres "pg_ctlcluster $v main start failed"
  elif pg_is_local; then
    mode=private
    if ! pg_bin >/dev/null; then
      apt_install postgresql
      # The package may have created (and started) the machine's cluster: use it if so.
      if v="$(system_pg_cluster)"; then
        mode=system
        pg_answers "$admin" || as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start >>"$(log_file postgres)" 2>&1 9>&- ||
          fail_component postgres "pg_ctlcluster $v main start failed"
      fi
    fi
    [[ $mode == private ]] && start_private_pg
  else
    die "postgres: server of DATABASE_URL (${PG_HOST}:${PG_PORT}) does not answer, and it is not local"
  fi
  admin="$(pg_url "$PG_HOST" "$PG_PORT" postgres)"
  wait_pg "$admin" "$STACK_WAIT_SECS"
  exists="$(psql "$admin" -XtAqc "select 1 from pg_database where datname = '$PG_DB'")"
  if [[ $exists != 1 ]]; then
    say "creating database $PG_DB"
    if ! err="$(psql "$admin" -Xqc "create database \"$PG_DB\"" 2>&1)"; then
      [[ $err == *"already exists"* ]] || die "postgres: create database $PG_DB failed: $err"
    fi
  fi
  url="$(pg_url "$PG_HOST" "$PG_PORT" "$PG_DB")"
  echo "$mode" >"$RUN_DIR/postgres.mode"
  echo "$url" >"$RUN_DIR/postgres.url"
  EFFECTIVE_DATABASE_URL=$url
  [[ $mode == private ]] && say "private PostgreSQL cluster: use DATABASE_URL=$url"
  return 0
}

# ----------------------------------------------------------------------------- commands

write_env() {
  {
    echo "# Written by infra/stack.sh up on $(date -Is). Use: source .stack/env"
    printf 'export KAFKA_BROKERS=%q\n' "$HOST:$KAFKA_PORT"
    printf 'export SCHEMA_REGISTRY_URL=%q\n' "$SCHEMA_REGISTRY_URL"
    printf 'export DATABASE_URL=%q\n' "$EFFECTIVE_DATABASE_URL"
    printf 'export PROMETHEUS_URL=%q\n' "$PROMETHEUS_URL"
    printf 'export ALERTMANAGER_URL=%q\n' "$ALERTMANAGER_URL"
  } >"$STACK_DIR/env.tmp"
  mv -f "$STACK_DIR/env.tmp" "$STACK_DIR/env"
}

lock_stack() {
  exec 9>"$RUN_DIR/stack.lock"
  flock -w 300 9 || die "another infra/stack.sh is still running (lock $RUN_DIR/stack.lock)"
}

cmd_up() {
  local t0
  t0=$(now)
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$DATA_DIR" "$TMP_DIR"
  lock_stack
  ensure_debian_packages
  install_kafka
  install_apicurio
  ensure_postgres
  # Start everything first, then wait: the JVMs warm up side by side.
  start_kafka
  start_schema_registry
  start_prometheus
  start_alertmanager
  wait_http prometheus "$PROMETHEUS_URL/-/ready" "$STACK_WAIT_SECS"
  wait_http alertmanager "$ALERTMANAGER_URL/-/ready" "$STACK_WAIT_SECS"
  wait_kafka
  wait_http schema-registry "$SCHEMA_REGISTRY_URL/subjects" "$SCHEMA_REGISTRY_WAIT_SECS"
  write_env
  say "stack is up in $(($(now) - t0))s"
  cmd_status || true
  cat <<EOF
[stack] environment written to $STACK_DIR/env:
$(grep '^export' "$STACK_DIR/env" | sed 's/^/  /')
EOF
}

# stop_pid <component> <pid> <grace seconds>: TERM, wait, then KILL.
stop_pid() {
  local comp=$1 pid=$2 grace=$3 deadline
  deadline=$(($(now) + grace))
  while kill -0 "$pid" 2>/dev/null && is_ours "$comp" "$pid"; do
    if (($(now) >= deadline)); then
      warn "$comp (pid $pid) still running after ${grace}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.25
  done
}

cmd_down() {
  local comp pid pids=() comps=() i mode bin
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  lock_stack
  for comp in prometheus alertmanager schema-registry kafka; do
    if pid="$(running_pid "$comp")"; then
      say "stopping $comp (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      comps+=("$comp")
    fi
  done
  for i in "${!pids[@]}"; do
    case ${comps[$i]} in
      kafka) stop_pid kafka "${pids[$i]}" 45 ;;
      *) stop_pid "${comps[$i]}" "${pids[$i]}" 20 ;;
    esac
  done
  for comp in prometheus alertmanager schema-registry kafka; do
    if pid="$(running_pid "$comp")"; then
      die "$comp (pid $pid) is still running"
    fi
    rm -f "$(pid_file "$comp")"
  done
  mode="$(cat "$RUN_DIR/postgres.mode" 2>/dev/null || true)"
  if [[ -f $PG_DATA/PG_VERSION ]] && pid="$(running_pid postgres)"; then
    say "stopping private postgres (pid $pid)"
    bin="$(pg_bin || true)"
    if [[ -n $bin ]]; then
      as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STACK_WAIT_SECS" stop >>"$(log_file postgres)" 2>&1 || true
    fi
    kill -TERM "$pid" 2>/dev/null || true
    stop_pid postgres "$pid" "$STACK_WAIT_SECS"
    rm -f "$(pid_file postgres)"
  elif [[ $mode == external || $mode == system ]]; then
    say "postgres is the machine's server: left running"
  fi
  rm -f "$STACK_DIR/env"
  say "stack is down"
}

status_line() { # status_line <name> <up|down> <pid> <address> <log>
  printf '%-16s %-5s pid=%-8s %-44s log=%s\n' "$1" "$2" "${3:--}" "$4" "$5"
}

cmd_status() {
  local rc=0 pid state url mode
  mkdir -p "$RUN_DIR"

  pid="$(running_pid kafka || true)"
  state=down
  [[ -n $pid ]] && port_open "$KAFKA_PORT" && state=up
  status_line kafka "$state" "$pid" "$HOST:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)" "$(log_file kafka)"
  [[ $state == up ]] || rc=1

  pid="$(running_pid schema-registry || true)"
  state=down
  [[ -n $pid ]] && http_ok "$SCHEMA_REGISTRY_URL/subjects" && state=up
  status_line schema-registry "$state" "$pid" "$SCHEMA_REGISTRY_URL" "$(log_file schema-registry)"
  [[ $state == up ]] || rc=1

  url="$(cat "$RUN_DIR/postgres.url" 2>/dev/null || echo "${DATABASE_URL_GIVEN:-$DATABASE_URL_DEFAULT}")"
  mode="$(cat "$RUN_DIR/postgres.mode" 2>/dev/null || echo unknown)"
  parse_database_url "$url"
  pid="$(running_pid postgres || true)"
  [[ -n $pid ]] || pid="$(port_owner "$PG_PORT")"
  state=down
  pg_answers "$url" && state=up
  status_line postgres "$state" "$pid" "${url%%\?*} ($mode)" "$(log_file postgres)"
  [[ $state == up ]] || rc=1

  pid="$(running_pid prometheus || true)"
  state=down
  [[ -n $pid ]] && http_ok "$PROMETHEUS_URL/-/ready" && state=up
  status_line prometheus "$state" "$pid" "$PROMETHEUS_URL" "$(log_file prometheus)"
  [[ $state == up ]] || rc=1

  pid="$(running_pid alertmanager || true)"
  state=down
  [[ -n $pid ]] && http_ok "$ALERTMANAGER_URL/-/ready" && state=up
  status_line alertmanager "$state" "$pid" "$ALERTMANAGER_URL" "$(log_file alertmanager)"
  [[ $state == up ]] || rc=1
  return "$rc"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
