/* cli.c - jobgate-sandbox-run: run one command in a box and print the result as JSON.
 *
 *   jobgate-sandbox-run [options] -- /usr/bin/python3 -c 'print(1)'
 *   jobgate-sandbox-run --probe
 *   jobgate-sandbox-run --bench 500 -- /bin/true      (sandboxed vs bare fork+exec, interleaved)
 *   jobgate-sandbox-run --zygote 3 --bench 500 --in s.py=s.py -- /usr/bin/python3 -I -B s.py
 *                                                      (through the Python zygote vs a fresh interpreter)
 *
 * For manual use, the hostile suite and benchmarks; the executor links the library instead. */
#include "sandbox.h"

#include "base64.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ITEMS 64

static void usage(FILE *f)
{
    fputs("usage: jobgate-sandbox-run [options] -- PROGRAM [ARGS...]\n"
          "  PROGRAM is a path inside the box (/usr/bin/python3, /box/a.out)\n"
          "  --cpu MS --wall MS --mem KB --stack KB --as KB    time and memory limits\n"
          "  --out BYTES --err BYTES --fsize BYTES               stdout, stderr, file size caps\n"
          "  --procs N --nofile N                                tasks, open files\n"
          "  --stdin FILE | --stdin-data TEXT                    the program's stdin\n"
          "  --in NAME=HOSTFILE    copy a host file into /box/NAME (executable bit kept)\n"
          "  --collect NAME[:MAX]  read /box/NAME back after the run (regular files only)\n"
          "  --env K=V             environment entry (default: PATH=/usr/bin:/bin only)\n"
          "  --cwd DIR             working directory in the box (default /box)\n"
          "  --bind SRC[:DST]      extra read-only bind, added to the defaults\n"
          "  --box N               slot id (uid first_uid+N, default 0)\n"
          "  --first-uid UID       base uid of the boxes (default 60000)\n"
          "  --cgroup-v2           use the cgroup v2 code path even on a hybrid host\n"
          "  --no-cgroup           rlimits only\n"
          "  --strict              refuse to run unless every SBX_CAPS_STRICT mechanism is present\n"
          "  --repeat N            run N times, print the last result\n"
          "  --bench N             N sandboxed runs and N bare fork+exec runs, interleaved; print medians\n"
          "  --zygote N            run through the box's Python zygote, whose argv is the first N words of\n"
          "                        PROGRAM ARGS (3 for /usr/bin/python3 -I -B script.py); with --bench, against\n"
          "                        the same run without it\n"
          "  --preload PATH=HOSTFILE  a script the zygote compiles and imports at start (PATH inside the box)\n"
          "  --probe               print what this host can enforce and exit\n",
          f);
}

static json_t *text_or_base64(const char *data, size_t len)
{
    json_t *s = json_stringn(data, len); /* NULL when not valid UTF-8 */
    if(s)
        return s;
    char *b = jg_base64_encode_alloc((const unsigned char *)data, len);
    json_t *o = json_pack("{s:s}", "base64", b ? b : "");
    free(b);
    return o;
}

static json_t *result_json(const struct sbx_result *r, const struct sbx_run *run)
{
    json_t *files = json_array();
    for(size_t i = 0; i < r->nfiles; i++) {
        const struct sbx_collected *c = &r->files[i];
        json_t *f = json_pack("{s:s, s:i, s:b, s:s}", "name", run->files_out[i].name, "size", (json_int_t)c->len,
                              "truncated", c->truncated, "error", c->error ? strerror(-c->error) : "");
        if(!c->error)
            json_object_set_new(f, "data", text_or_base64(c->data, c->len));
        json_array_append_new(files, f);
    }
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:i, s:o, s:I, s:b, s:o, s:I, s:b, s:o}",
                     "verdict", sbx_verdict_name(r->verdict), "message", r->message, "cpu_ms", (json_int_t)r->cpu_ms,
                     "cpu_us", (json_int_t)r->cpu_us, "wall_ms", (json_int_t)r->wall_ms, "wall_us",
                     (json_int_t)r->wall_us, "memory_kb", (json_int_t)r->memory_kb, "memory_source",
                     r->memory_source, "exit_code", r->exit_code, "signal", r->signal, "stdout",
                     text_or_base64(r->out.data, r->out.len), "stdout_bytes", (json_int_t)r->out.total,
                     "stdout_truncated", r->out.truncated, "stderr", text_or_base64(r->err.data, r->err.len),
                     "stderr_bytes", (json_int_t)r->err.total, "stderr_truncated", r->err.truncated, "files",
                     files);
}

static json_t *probe_json(const struct sbx_caps *caps)
{
    json_t *have = json_array();
    for(uint32_t bit = 1; bit && bit <= SBX_CAP_CG_PEAK; bit <<= 1)
        if(caps->have & bit)
            json_array_append_new(have, json_string(sbx_cap_name(bit)));
    char missing[256];
    int strict = sbx_caps_check(caps, SBX_CAPS_STRICT, missing, sizeof missing);
    return json_pack("{s:o, s:i, s:b, s:s, s:s}", "have", have, "cgroup_version", (int)caps->cgroup, "strict_ok",
                     strict == 0, "strict_missing", missing, "description", caps->desc);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static json_t *stats(uint64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    return json_pack("{s:I, s:I, s:I, s:I}", "median_us", (json_int_t)v[n / 2], "p10_us", (json_int_t)v[n / 10],
                     "p90_us", (json_int_t)v[n * 9 / 10], "min_us", (json_int_t)v[0]);
}

/* Bare fork + exec + wait of the same program (as a host path), for comparison. */
static uint64_t bare_run(const struct sbx_run *run)
{
    uint64_t t0 = now_us();
    pid_t pid = fork();
    if(pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execve(run->argv[0], (char *const *)run->argv, (char *const *)run->envp);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    return now_us() - t0;
}

static uint64_t timed_run(struct sbx_box *box, const struct sbx_run *run, bool zygote, int *fails)
{
    struct sbx_result r;
    uint64_t t0 = now_us();
    if(zygote)
        sbx_zygote_run(box, run, &r);
    else
        sbx_run(box, run, &r);
    uint64_t t = now_us() - t0;
    *fails += r.verdict != SBX_OK;
    sbx_result_free(&r);
    return t;
}

/* N runs of each kind, interleaved: sandboxed and bare fork+exec, or (zygote) through the zygote and not. */
static int bench(struct sbx_box *box, const struct sbx_run *run, int n, bool zygote)
{
    uint64_t *sbx = calloc((size_t)n, sizeof *sbx), *other = calloc((size_t)n, sizeof *other);
    int fails = 0, warm = 0;
    if(!sbx || !other)
        return 1;
    for(int i = -5; i < n; i++) { /* 5 warm-ups */
        int *f = i >= 0 ? &fails : &warm;
        uint64_t t = timed_run(box, run, zygote, f);
        uint64_t b = zygote ? timed_run(box, run, false, f) : bare_run(run);
        if(i >= 0) {
            sbx[i] = t;
            other[i] = b;
        }
    }
    json_t *o = json_pack("{s:i, s:i, s:o, s:o}", "runs", n, "sandbox_failures", fails,
                          zygote ? "zygote" : "sandboxed", stats(sbx, n),
                          zygote ? "sandboxed" : "bare_fork_exec", stats(other, n));
    json_dumpf(o, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(o);
    free(sbx);
    free(other);
    return fails ? 1 : 0;
}

static int read_host_file(const char *path, int *fd, mode_t *mode)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if(*fd < 0 || fstat(*fd, &st) < 0)
        return -errno;
    *mode = (st.st_mode & 0111) ? 0755 : 0644;
    return 0;
}

/* A host file's whole content, for --preload. */
static int read_text(const char *path, struct sbx_file_in *f)
{
    FILE *fp = fopen(path, "re");
    char *data = NULL;
    size_t len = 0;
    if(!fp)
        return -errno;
    FILE *mem = open_memstream(&data, &len);
    int ch;
    while(mem && (ch = fgetc(fp)) != EOF)
        fputc(ch, mem);
    fclose(fp);
    if(!mem)
        return -ENOMEM;
    fclose(mem);
    *f = (struct sbx_file_in){.data = data, .len = len, .fd = -1};
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_CPU = 256, O_WALL, O_MEM, O_STACK, O_AS, O_OUT, O_ERR, O_FSIZE, O_PROCS, O_NOFILE, O_STDIN,
           O_STDIN_DATA, O_IN, O_COLLECT, O_ENV, O_CWD, O_BIND, O_BOX, O_FIRST_UID, O_V2, O_NOCG, O_STRICT,
           O_REPEAT, O_BENCH, O_PROBE, O_ZYGOTE, O_PRELOAD, O_HELP };
    static const struct option opts[] = {
        {"cpu", 1, 0, O_CPU},         {"wall", 1, 0, O_WALL},        {"mem", 1, 0, O_MEM},
        {"stack", 1, 0, O_STACK},     {"as", 1, 0, O_AS},            {"out", 1, 0, O_OUT},
        {"err", 1, 0, O_ERR},         {"fsize", 1, 0, O_FSIZE},      {"procs", 1, 0, O_PROCS},
        {"nofile", 1, 0, O_NOFILE},   {"stdin", 1, 0, O_STDIN},      {"stdin-data", 1, 0, O_STDIN_DATA},
        {"in", 1, 0, O_IN},           {"collect", 1, 0, O_COLLECT},  {"env", 1, 0, O_ENV},
        {"cwd", 1, 0, O_CWD},         {"bind", 1, 0, O_BIND},        {"box", 1, 0, O_BOX},
        {"first-uid", 1, 0, O_FIRST_UID}, {"cgroup-v2", 0, 0, O_V2}, {"no-cgroup", 0, 0, O_NOCG},
        {"strict", 0, 0, O_STRICT},   {"repeat", 1, 0, O_REPEAT},    {"bench", 1, 0, O_BENCH},
        {"probe", 0, 0, O_PROBE},     {"zygote", 1, 0, O_ZYGOTE},    {"preload", 1, 0, O_PRELOAD},
        {"help", 0, 0, O_HELP},       {0, 0, 0, 0}};
    struct sbx_config cfg = {0};
    struct sbx_run run = {.stdin_fd = -1};
    struct sbx_file_in in[MAX_ITEMS];
    struct sbx_file_out out[MAX_ITEMS];
    struct sbx_bind binds[MAX_ITEMS];
    struct sbx_file_in preload[MAX_ITEMS];
    size_t npreload = 0;
    int zygote_n = 0;
    const char *env[MAX_ITEMS + 1] = {0};
    size_t nin = 0, nout = 0, nenv = 0, nbinds = sbx_default_binds(&cfg.binds);
    unsigned box_id = 0;
    int repeat = 1, bench_n = 0, probe = 0, c, rc;
    char err[512];

    memcpy(binds, cfg.binds, nbinds * sizeof *binds);
    while((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        char *colon;
        switch(c) {
        case O_CPU: run.limits.cpu_ms = strtoull(optarg, NULL, 10); break;
        case O_WALL: run.limits.wall_ms = strtoull(optarg, NULL, 10); break;
        case O_MEM: run.limits.memory_kb = strtoull(optarg, NULL, 10); break;
        case O_STACK: run.limits.stack_kb = strtoull(optarg, NULL, 10); break;
        case O_AS: run.limits.address_space_kb = strtoull(optarg, NULL, 10); break;
        case O_OUT: run.limits.output_bytes = strtoull(optarg, NULL, 10); break;
        case O_ERR: run.limits.stderr_bytes = strtoull(optarg, NULL, 10); break;
        case O_FSIZE: run.limits.file_size_bytes = strtoull(optarg, NULL, 10); break;
        case O_PROCS: run.limits.processes = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_NOFILE: run.limits.open_files = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_STDIN:
            run.stdin_fd = open(optarg, O_RDONLY | O_CLOEXEC);
            if(run.stdin_fd < 0) {
                perror(optarg);
                return 2;
            }
            break;
        case O_STDIN_DATA:
            run.stdin_data = optarg;
            run.stdin_len = strlen(optarg);
            break;
        case O_IN:
            colon = strchr(optarg, '=');
            if(!colon || nin == MAX_ITEMS) {
                usage(stderr);
                return 2;
            }
            *colon = '\0';
            in[nin] = (struct sbx_file_in){.name = optarg};
            if(read_host_file(colon + 1, &in[nin].fd, &in[nin].mode)) {
                perror(colon + 1);
                return 2;
            }
            nin++;
            break;
        case O_COLLECT:
            if(nout == MAX_ITEMS)
                return 2;
            colon = strchr(optarg, ':');
            out[nout] = (struct sbx_file_out){.name = optarg, .max_bytes = colon ? strtoull(colon + 1, NULL, 10) : 0};
            if(colon)
                *colon = '\0';
            nout++;
            break;
        case O_ENV:
            if(nenv < MAX_ITEMS)
                env[nenv++] = optarg;
            break;
        case O_CWD: run.cwd = optarg; break;
        case O_BIND:
            if(nbinds == MAX_ITEMS)
                return 2;
            colon = strchr(optarg, ':');
            if(colon)
                *colon = '\0';
            binds[nbinds++] = (struct sbx_bind){.source = optarg, .target = colon ? colon + 1 : NULL};
            break;
        case O_BOX: box_id = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_FIRST_UID: cfg.first_uid = (uid_t)strtoul(optarg, NULL, 10); break;
        case O_V2: cfg.cgroup_force_v2 = true; break;
        case O_NOCG: cfg.cgroup_disable = true; break;
        case O_STRICT: cfg.required = SBX_CAPS_STRICT; break;
        case O_REPEAT: repeat = atoi(optarg); break;
        case O_BENCH: bench_n = atoi(optarg); break;
        case O_PROBE: probe = 1; break;
        case O_ZYGOTE: zygote_n = atoi(optarg); break;
        case O_PRELOAD:
            colon = strchr(optarg, '=');
            if(!colon || npreload == MAX_ITEMS || read_text(colon + 1, &preload[npreload])) {
                usage(stderr);
                return 2;
            }
            *colon = '\0';
            preload[npreload++].name = optarg;
            break;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if(probe) {
        struct sbx_caps caps;
        if((rc = sbx_probe(&caps)) < 0) {
            fprintf(stderr, "probe: %s\n", strerror(-rc));
            return 1;
        }
        json_t *o = probe_json(&caps);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
        return 0;
    }
    if(optind >= argc) {
        usage(stderr);
        return 2;
    }
    if(!nenv)
        env[nenv++] = "PATH=/usr/bin:/bin";
    run.argv = (const char *const *)argv + optind;
    run.envp = env;
    run.files_in = in;
    run.nfiles_in = nin;
    run.files_out = out;
    run.nfiles_out = nout;
    cfg.binds = binds;
    cfg.nbinds = nbinds;

    struct sbx_ctx *ctx = NULL;
    struct sbx_box *box = NULL;
    rc = sbx_ctx_init(&ctx, &cfg, err, sizeof err);
    if(rc) {
        fprintf(stderr, "jobgate-sandbox-run: %s\n", err);
        return 1;
    }
    rc = sbx_box_init(ctx, box_id, &box, err, sizeof err);
    if(rc) {
        fprintf(stderr, "jobgate-sandbox-run: box %u: %s\n", box_id, err);
        sbx_ctx_close(ctx);
        return 1;
    }
    if(zygote_n > 0) {
        const char *zargv[MAX_ITEMS + 1] = {0};
        for(int i = 0; i < zygote_n && i < MAX_ITEMS && run.argv[i]; i++)
            zargv[i] = run.argv[i];
        struct sbx_zygote_config zc = {.argv = zargv, .envp = env, .preload = preload, .npreload = npreload};
        rc = sbx_zygote_start(box, &zc, err, sizeof err);
        if(rc) {
            fprintf(stderr, "jobgate-sandbox-run: zygote: %s (%s)\n", err, strerror(-rc));
            sbx_box_close(box);
            sbx_ctx_close(ctx);
            return 1;
        }
    }
    if(bench_n > 0) {
        rc = bench(box, &run, bench_n, zygote_n > 0);
    } else {
        struct sbx_result res = {0};
        for(int i = 0; i < repeat; i++) {
            sbx_result_free(&res);
            if(zygote_n > 0)
                sbx_zygote_run(box, &run, &res);
            else
                sbx_run(box, &run, &res);
        }
        json_t *o = result_json(&res, &run);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
        rc = res.verdict == SBX_INTERNAL ? 1 : 0;
        sbx_result_free(&res);
    }
    sbx_box_close(box);
    sbx_ctx_close(ctx);
    for(size_t i = 0; i < nin; i++)
        close(in[i].fd);
    for(size_t i = 0; i < npreload; i++)
        free((void *)preload[i].data);
    return rc;
}
