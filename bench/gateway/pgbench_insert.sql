-- The peer: PostgreSQL's own single-row durable insert of a comparable row.
INSERT INTO bench_jobs (tenant, runtime, kind, spec) VALUES ('t', 'python3', 'function', '{"runtime":"python3","kind":"function","code":"ZGVmIGYoeCk6IHJldHVybiB4KzE=","entrypoint":"f","args":[1]}');
