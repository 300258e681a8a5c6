-- wrk script: GET /jobs/<id> of one existing job. With POLL_MS set, each connection is a poller
-- that waits that long between its requests (wrk's delay()); without it, connections go flat out.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JOBGATE_TOKEN")
wrk.path = "/jobs/" .. os.getenv("JOBGATE_JOB")
local poll_ms = tonumber(os.getenv("POLL_MS") or "0")
if poll_ms > 0 then
    function delay()
        return poll_ms
    end
end
