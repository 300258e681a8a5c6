-- wrk script: POST /jobs with a small function job (token from the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JOBGATE_TOKEN")
wrk.body = '{"runtime":"python3","kind":"function","code":"ZGVmIGYoeCk6IHJldHVybiB4KzE=","entrypoint":"f","args":[1]}'
