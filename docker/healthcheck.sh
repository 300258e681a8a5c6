#!/bin/bash
# HEALTHCHECK of the gateway image without curl: GET /healthz on the port of JOBGATE_LISTEN, expect 200.
port=${JOBGATE_LISTEN##*:}
exec 3<>"/dev/tcp/127.0.0.1/${port:-8080}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 2 _ status _ <&3 && [ "$status" = 200 ]
