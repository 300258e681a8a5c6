-- wrk script: GET /jobs/<id> of one existing job.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JOBGATE_TOKEN")
wrk.path = "/jobs/" .. os.getenv("JOBGATE_JOB")
