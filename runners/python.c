/* py.serial, py.threads, py.processes, py.asyncio, py.semaphore, py.queue: the seed's Python
 * idioms (a loop of calls, ThreadPoolExecutor, ProcessPoolExecutor, create_task and gather, an
 * asyncio.Semaphore, an asyncio.Queue) on the Python forms of the workloads. A repetition is one
 * Python worker process (python/parbench_py): it is given the case, sets up and says ready, is
 * told the start, and streams its tasks' records back, which land here in the usual per-worker
 * records; everything downstream is the C runners'. python/PROTOCOL.md is the exchange. */
#include "runners/python.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "build_info.h"
#include "harness/case_info.h"
#include "harness/child.h"
#include "harness/record.h"
#include "harness/runner.h"
#include "harness/stop.h"

#define PY_DEFAULT "/usr/bin/python3"
/* Imports, pools, a session: never timed, so generous; past it the worker is stuck. */
#define SETUP_MS 120000
/* After `done`: the last records, and the pool processes leaving (they hold the pipe too). */
#define DRAIN_MS 5000
/* After a stop, past the grace: the worker's whole group is killed. */
#define KILL_MARGIN_NS 2000000000u
/* The probe: an interpreter start and a few imports; then its exit. */
#define PROBE_MS      30000
#define PROBE_EXIT_MS 5000
/* Control lines (the done message holds every worker's usage): enough for 100k workers. */
#define LINE_MAX_BYTES (64u << 20)

extern char **environ;

/* One task, as python/PROTOCOL.md section 4 packs it ("=QQQQIIii"). */
struct py_record {
    uint64_t created, started, finished, bytes;
    uint32_t worker, status;
    int32_t cpu, pad;
};
_Static_assert(sizeof(struct py_record) == 48, "the record of python/PROTOCOL.md");

/* ---- Where things are ---------------------------------------------------------------------- */

static const char *python_path(void)
{
    const char *p = getenv("PARBENCH_PYTHON");
    return p && *p ? p : PY_DEFAULT;
}

static const char *python_loop(void)
{
    const char *l = getenv("PARBENCH_PY_LOOP");
    return l && *l ? l : "asyncio";
}

int pb_python_configure(const char *python, const char *loop, struct pb_err *err)
{
    if (loop && strcmp(loop, "asyncio") != 0 && strcmp(loop, "uvloop") != 0)
        return pb_err_set(err, -EINVAL, "--py-loop is asyncio or uvloop, not '%s'", loop);
    if ((python && setenv("PARBENCH_PYTHON", python, 1) < 0) ||
        (loop && setenv("PARBENCH_PY_LOOP", loop, 1) < 0))
        return pb_err_set(err, -ENOMEM, "out of memory");
    return 0;
}

static int has_package(const char *dir)
{
    char path[PATH_MAX];
    return snprintf(path, sizeof(path), "%s/parbench_py/__init__.py", dir) < (int)sizeof(path) &&
           access(path, R_OK) == 0;
}

/* The directory holding parbench_py: PARBENCH_PYTHON_DIR, else where an installed binary keeps
 * it (BIN/../share/parbench/python), else the source tree this binary was built from. */
static const char *package_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("PARBENCH_PYTHON_DIR");
    if (env && *env)
        return env;
    if (dir[0])
        return dir;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(dir, sizeof(dir), "%s/../share/parbench/python", exe) < (int)sizeof(dir) &&
                has_package(dir))
                return dir;
        }
    }
    snprintf(dir, sizeof(dir), "%s/python", PB_SOURCE_DIR);
    return dir;
}

/* Our environment with PYTHONPATH led by the package's directory; free with free_env. */
static char **child_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof(*env));
    if (!env)
        return NULL;
    const char *old = getenv("PYTHONPATH");
    size_t len = strlen(package_dir()) + (old ? strlen(old) : 0) + 16;
    if (!(env[0] = malloc(len))) {
        free(env);
        return NULL;
    }
    snprintf(env[0], len, "PYTHONPATH=%s%s%s", package_dir(), old && *old ? ":" : "",
             old ? old : "");
    for (size_t i = 0, k = 1; i < n; i++)
        if (strncmp(environ[i], "PYTHONPATH=", 11) != 0)
            env[k++] = environ[i];
    return env;
}

static void free_env(char **env)
{
    if (env)
        free(env[0]);
    free(env);
}

/* ---- Lines from a descriptor --------------------------------------------------------------- */

struct lines {
    char *buf;
    size_t len, cap;
};

/* Reads what fd has into l: 1 at end of file, 0, or -errno (-E2BIG: a line too long). */
static int lines_fill(struct lines *l, int fd)
{
    if (l->cap - l->len < 4096) {
        size_t cap = l->cap ? l->cap * 2 : 65536;
        if (cap > LINE_MAX_BYTES)
            return -E2BIG;
        char *b = realloc(l->buf, cap);
        if (!b)
            return -ENOMEM;
        l->buf = b;
        l->cap = cap;
    }
    ssize_t n = read(fd, l->buf + l->len, l->cap - l->len - 1);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -errno;
    l->len += (size_t)n;
    return n == 0;
}

/* The first complete line, taken out of l (a new string), or NULL. */
static char *lines_take(struct lines *l)
{
    char *nl = memchr(l->buf, '\n', l->len);
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - l->buf);
    char *line = malloc(n + 1);
    if (!line)
        return NULL;
    memcpy(line, l->buf, n);
    line[n] = '\0';
    memmove(l->buf, nl + 1, l->len - n - 1);
    l->len -= n + 1;
    return line;
}

/* ---- The probe: can this interpreter run parbench_py, and with what ------------------------ */

struct probe {
    int done, rc;
    char why[sizeof(struct pb_err)];
    json_t *facts; /* python/parbench_py/probe.py's answer */
};

static struct probe probe_result;

static void probe_run(struct probe *p)
{
    const char *py = python_path();
    char *argv[] = {(char *)py, "-m", "parbench_py.probe", NULL};
    char **env = child_env();
    int fds[2] = {-1, -1};
    struct lines out = {0};
    struct pb_err err;
    struct pb_child child;
    p->rc = -ENOMEM;
    snprintf(p->why, sizeof(p->why), "out of memory");
    if (!env)
        return;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        p->rc = -errno;
        snprintf(p->why, sizeof(p->why), "cannot make a pipe: %s", strerror(errno));
        goto out;
    }
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    o.exe = py;
    o.argv = argv;
    o.envp = env;
    o.stdio[0] = PB_CHILD_DEVNULL;
    o.stdio[1] = fds[1];
    o.stdio[2] = fds[1];
    if ((p->rc = pb_child_spawn(&child, &o, &err)) < 0) {
        snprintf(p->why, sizeof(p->why), "%s", err.msg);
        goto out;
    }
    close(fds[1]);
    fds[1] = -1;
    uint64_t deadline = pb_now_ns() + (uint64_t)PROBE_MS * 1000000u;
    int rc = 0;
    while (rc == 0 && pb_now_ns() < deadline) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0)
            rc = lines_fill(&out, fds[0]);
    }
    /* its output ended: it is exiting (give it the time to); else it hangs, and is killed */
    int killed = rc == 0 || pb_child_wait(&child, PROBE_EXIT_MS) < 0;
    pb_child_stop(&child, 0);
    char status[128];
    pb_child_describe(&child, status, sizeof(status));
    /* the answer is its last line; anything before it (a warning, a traceback) explains */
    out.buf = out.buf ? out.buf : strdup("");
    if (!out.buf)
        goto out;
    out.buf[out.len] = '\0';
    while (out.len && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == ' '))
        out.buf[--out.len] = '\0';
    const char *last = strrchr(out.buf, '\n');
    last = last ? last + 1 : out.buf;
    p->facts = !killed && WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0
                   ? json_loads(last, 0, NULL)
                   : NULL;
    if (json_is_object(p->facts)) {
        p->rc = 0;
        p->why[0] = '\0';
    } else {
        json_decref(p->facts);
        p->facts = NULL;
        p->rc = -ENOEXEC;
        snprintf(p->why, sizeof(p->why), "%s -m parbench_py.probe %s%s%s", py,
                 killed ? "did not answer" : status, *last ? ": " : "", last);
    }
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    free(out.buf);
    free_env(env);
}

static const struct probe *probe(void)
{
    if (!probe_result.done) {
        probe_run(&probe_result);
        probe_result.done = 1;
    }
    return &probe_result;
}

int pb_python_available(struct pb_err *err)
{
    const struct probe *p = probe();
    return p->rc < 0 ? pb_err_set(err, p->rc, "%s", p->why) : 0;
}

/* A module's version in the probe's answer, or NULL when the interpreter lacks it. */
static const char *probe_module(const struct probe *p, const char *name)
{
    return json_string_value(json_object_get(json_object_get(p->facts, "modules"), name));
}

/* Whether the workload has a Python form; its names, comma separated, into list. */
static int probe_has_workload(const struct probe *p, const char *name, char *list, size_t len)
{
    json_t *names = json_object_get(p->facts, "workloads");
    int found = 0;
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *w = json_string_value(json_array_get(names, i));
        if (!w)
            continue;
        found |= strcmp(w, name) == 0;
        int n = snprintf(list + used, len - used, "%s%s", used ? ", " : "", w);
        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
    }
    return found;
}

int pb_python_has_form(const char *workload)
{
    char forms[256];
    return probe()->rc == 0 && probe_has_workload(probe(), workload, forms, sizeof(forms));
}

/* ---- One repetition ------------------------------------------------------------------------ */

struct session {
    const struct pb_run_spec *spec;
    const char *idiom; /* "threads", ...: the runner's name without "py." */
    struct pb_child child;
    int to_py, from_py, records; /* our ends of fds 3, 4 and 5 */
    struct lines lines;
    unsigned char rec[sizeof(struct py_record) * 512];
    size_t rec_len;
    int lines_eof, records_eof;
    uint64_t lines_eof_ns; /* the worker's control end closed: it is gone */
    json_t *ready, *done;  /* the worker's messages */
    char error[400];       /* its set-up error, or what went wrong here */
    uint64_t stop_sent_ns;
    int killed;
};

static void session_kill(struct session *s)
{
    if (s->child.pid > 0 && !s->child.reaped)
        kill(-s->child.pid, SIGKILL);
    s->killed = 1;
}

static json_t *case_json(const struct session *s)
{
    const struct pb_run_spec *spec = s->spec;
    const struct pb_params *p = spec->env->params;
    json_t *params = json_object(), *pins = json_array(), *statuses = json_array();
    for (size_t k = 0; k < p->count; k++)
        json_object_set_new(params, p->defs[k].name,
                            pb_param_json(p->defs[k].type, p->v[k].i, p->v[k].d, p->v[k].s));
    for (unsigned w = 0; w < spec->workers; w++) {
        json_t *cpus = json_array();
        for (int c = pb_cpuset_next(&spec->pins->sets[w], 0); c >= 0;
             c = pb_cpuset_next(&spec->pins->sets[w], (unsigned)c + 1))
            json_array_append_new(cpus, json_integer(c));
        json_array_append_new(pins, cpus);
    }
    for (int st = 0; st < PB_STATUS_COUNT; st++)
        json_array_append_new(statuses, json_string(pb_status_name((enum pb_status)st)));
    json_t *facts = spec->wl->report ? spec->wl->report(spec->wl_shared, spec->env) : NULL;
    return json_pack("{s:s, s:s, s:o, s:o, s:i, s:i, s:I, s:I, s:f, s:s, s:I, s:I, s:I, s:i, "
                     "s:b, s:o, s:o, s:s}",
                     "runner", s->idiom, "workload", spec->wl->name, "params", params, "facts",
                     facts ? facts : json_object(), "concurrency", (int)spec->concurrency,
                     "workers", (int)spec->workers, "tasks", (json_int_t)spec->load.tasks,
                     "duration_ns", (json_int_t)spec->load.duration_ns, "rate", spec->load.rate,
                     "arrivals", spec->load.arrivals == PB_ARRIVALS_POISSON ? "poisson" : "uniform",
                     "seed", (json_int_t)spec->load.seed, "timeout_ns",
                     (json_int_t)spec->timeout_ns, "grace_ns", (json_int_t)spec->grace_ns,
                     "queue_depth", (int)spec->queue_depth, "fail_fast", spec->fail_fast, "pins",
                     pins, "statuses", statuses, "loop", python_loop());
}

/* Writes a JSON line to the worker; 0 or -errno. */
static int send_line(struct session *s, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!text)
        return -ENOMEM;
    size_t len = strlen(text), off = 0;
    text[len] = '\n'; /* json_dumps's terminator becomes the line's end */
    int rc = 0;
    while (off < len + 1) {
        ssize_t n = write(s->to_py, text + off, len + 1 - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        off += (size_t)n;
    }
    free(text);
    return rc;
}

/* The records read so far into the workers' records; -EPROTO (s->error) for a bad one. */
static int take_records(struct session *s)
{
    const struct pb_run_spec *spec = s->spec;
    size_t n = s->rec_len / sizeof(struct py_record);
    for (size_t i = 0; i < n; i++) {
        struct py_record r;
        memcpy(&r, s->rec + i * sizeof(r), sizeof(r));
        if (r.worker >= spec->workers || r.status >= PB_STATUS_COUNT || r.finished < r.started ||
            r.started < r.created) {
            snprintf(s->error, sizeof(s->error),
                     "python worker: a bad record (worker %u of %u, status %u, times %llu %llu "
                     "%llu)",
                     r.worker, spec->workers, r.status, (unsigned long long)r.created,
                     (unsigned long long)r.started, (unsigned long long)r.finished);
            return -EPROTO;
        }
        pb_record_task(&spec->records[r.worker], r.created, r.started, r.finished,
                       (enum pb_status)r.status, r.bytes, r.cpu);
    }
    memmove(s->rec, s->rec + n * sizeof(struct py_record),
            s->rec_len - n * sizeof(struct py_record));
    s->rec_len -= n * sizeof(struct py_record);
    return 0;
}

/* A control line: ready, error or done. -EPROTO (s->error) for anything else. */
static int take_line(struct session *s, char *line)
{
    json_error_t jerr;
    json_t *msg = json_loads(line, 0, &jerr), *v;
    int rc = 0;
    if ((v = json_object_get(msg, "ready")) && json_is_object(v) && !s->ready)
        s->ready = json_incref(v);
    else if ((v = json_object_get(msg, "done")) && json_is_object(v) && !s->done)
        s->done = json_incref(v);
    else if ((v = json_object_get(msg, "error")) && json_is_string(v))
        snprintf(s->error, sizeof(s->error), "%s", json_string_value(v));
    else {
        snprintf(s->error, sizeof(s->error), "python worker: an unexpected message: %.200s", line);
        rc = -EPROTO;
    }
    json_decref(msg);
    return rc;
}

enum wait_for { UNTIL_READY, UNTIL_END };

/* Reads the worker's descriptors until it is ready (or said why not), or until it has ended,
 * or deadline_ns; forwards a stop to it. 0 when what was waited for happened; -ETIMEDOUT;
 * -ECANCELED for a stop before the start; -EPROTO. */
static int pump(struct session *s, enum wait_for what, uint64_t deadline_ns)
{
    for (;;) {
        if (what == UNTIL_READY && (s->ready || s->error[0] || s->lines_eof))
            return 0;
        if (what == UNTIL_END && s->records_eof && (s->lines_eof || s->done))
            return 0;
        uint64_t now = pb_now_ns();
        /* the worker is gone but an orphan of it (a pool process) holds the records open */
        if (what == UNTIL_END && s->lines_eof && now > s->lines_eof_ns + DRAIN_MS * 1000000ull)
            return 0;
        if (now >= deadline_ns)
            return -ETIMEDOUT;
        if (pb_stop_requested()) {
            if (what == UNTIL_READY)
                return -ECANCELED;
            if (!s->stop_sent_ns) {
                kill(s->child.pid, SIGINT);
                s->stop_sent_ns = now;
            } else if (!s->killed && now > s->stop_sent_ns + s->spec->grace_ns + KILL_MARGIN_NS) {
                session_kill(s);
            }
        }
        struct pollfd pfd[2] = {{.fd = s->lines_eof ? -1 : s->from_py, .events = POLLIN},
                                {.fd = s->records_eof ? -1 : s->records, .events = POLLIN}};
        uint64_t left_ms = (deadline_ns - now) / 1000000u + 1;
        if (poll(pfd, 2, left_ms < 50 ? (int)left_ms : 50) <= 0)
            continue;
        if (pfd[1].revents) {
            ssize_t n = read(s->records, s->rec + s->rec_len, sizeof(s->rec) - s->rec_len);
            if (n == 0)
                s->records_eof = 1;
            else if (n > 0) {
                s->rec_len += (size_t)n;
                if (take_records(s) < 0)
                    return -EPROTO;
            }
        }
        if (pfd[0].revents) {
            int rc = lines_fill(&s->lines, s->from_py);
            if (rc < 0) {
                snprintf(s->error, sizeof(s->error), "python worker: %s",
                         rc == -E2BIG ? "a control line too long" : strerror(-rc));
                return -EPROTO;
            }
            if (rc == 1 && !s->lines_eof) {
                s->lines_eof = 1;
                s->lines_eof_ns = pb_now_ns();
            }
            char *line;
            while ((line = lines_take(&s->lines))) {
                rc = take_line(s, line);
                free(line);
                if (rc < 0)
                    return rc;
            }
        }
    }
}

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static uint64_t count(json_t *o, const char *key)
{
    double v = num(o, key);
    return v > 0 ? (uint64_t)v : 0;
}

/* The done message into the workers' records and the run's stats. */
static void take_done(struct session *s, struct pb_run_stats *stats)
{
    const struct pb_run_spec *spec = s->spec;
    json_t *done = s->done, *u, *text;
    size_t i;
    const char *key;
    stats->submitted = count(done, "submitted");
    json_array_foreach(json_object_get(done, "usage"), i, u)
    {
        if (i >= spec->workers || !json_is_object(u))
            break;
        struct pb_worker_record *r = &spec->records[i];
        r->usage.user_s += num(u, "user_s");
        r->usage.sys_s += num(u, "sys_s");
        r->usage.voluntary_switches += count(u, "voluntary_switches");
        r->usage.involuntary_switches += count(u, "involuntary_switches");
        r->usage.minor_faults += count(u, "minor_faults");
        r->usage.major_faults += count(u, "major_faults");
        r->sched_wait_ns = count(u, "sched_wait_ns");
        r->sched_wall_ns = count(u, "sched_wall_ns");
    }
    json_object_foreach(json_object_get(done, "failures"), key, text)
    {
        char *end;
        unsigned long w = strtoul(key, &end, 10);
        if (*end || w >= spec->workers || !json_is_string(text))
            continue;
        snprintf(spec->records[w].last_failure, sizeof(spec->records[w].last_failure), "%s",
                 json_string_value(text));
    }
    const char *check = json_string_value(json_object_get(done, "check"));
    snprintf(stats->check_failed, sizeof(stats->check_failed), "%s", check ? check : "");
    stats->workers_peak_rss_bytes = count(done, "peak_rss_bytes");
}

/* The workload's facts as the worker reported them, with the interpreter beside them. */
static json_t *take_report(const struct session *s)
{
    json_t *report = json_object_get(s->done, "report");
    report = json_is_object(report) ? json_deep_copy(report) : json_object();
    json_t *python = json_object_get(s->ready, "python");
    if (report && python)
        json_object_set(report, "python", python);
    return report;
}

static int python_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,
                      struct pb_err *err, const char *idiom)
{
    struct session s = {.spec = spec, .idiom = idiom, .to_py = -1, .from_py = -1, .records = -1};
    int p_to[2] = {-1, -1}, p_from[2] = {-1, -1}, p_rec[2] = {-1, -1}, rc;
    const char *py = python_path();
    char *argv[] = {(char *)py, "-u", "-m", "parbench_py", NULL};
    char **env = child_env();
    s.child.pid = -1;
    if (!env)
        return pb_err_set(err, -ENOMEM, "out of memory");
    if (pipe2(p_to, O_CLOEXEC) < 0 || pipe2(p_from, O_CLOEXEC) < 0 || pipe2(p_rec, O_CLOEXEC) < 0) {
        rc = pb_err_set(err, -errno, "%s: cannot make a pipe: %s", idiom, strerror(errno));
        goto out;
    }
    int pass[3] = {p_to[0], p_from[1], p_rec[1]};
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    o.exe = py;
    o.argv = argv;
    o.envp = env;
    o.stdio[0] = PB_CHILD_DEVNULL;
    o.stdio[1] = STDERR_FILENO; /* what user code prints never reaches a document on stdout */
    o.pass = pass;
    o.npass = 3;
    o.new_pgroup = 1; /* the terminal's ^C reaches us; we pass the stop on, and kill the group */
    if ((rc = pb_child_spawn(&s.child, &o, err)) < 0)
        goto out;
    /* the child's ends are the child's alone: its end of file is then ours to see */
    close(p_to[0]);
    close(p_from[1]);
    close(p_rec[1]);
    s.to_py = p_to[1];
    s.from_py = p_from[0];
    s.records = p_rec[0];
    p_to[0] = p_to[1] = p_from[0] = p_from[1] = p_rec[0] = p_rec[1] = -1;

    if ((rc = send_line(&s, case_json(&s))) < 0) {
        rc = pb_err_set(err, -EIO, "the python worker did not take its case (%s)", strerror(-rc));
        goto out;
    }
    rc = pump(&s, UNTIL_READY, pb_now_ns() + (uint64_t)SETUP_MS * 1000000u);
    if (rc < 0 || !s.ready) {
        session_kill(&s);
        pb_child_wait(&s.child, -1);
        char how[128];
        pb_child_describe(&s.child, how, sizeof(how));
        if (rc == -ECANCELED) /* stopped before the start: no repetition */
            goto out;
        if (rc == -EPROTO)
            rc = pb_err_set(err, -EIO, "%s", s.error);
        else if (rc == -ETIMEDOUT)
            rc = pb_err_set(err, -ETIMEDOUT, "the python worker was not ready after %d s",
                            SETUP_MS / 1000);
        else if (s.error[0]) /* it said why: the case asks what cannot be (an import, a param) */
            rc = pb_err_set(err, -EINVAL, "%s", s.error);
        else
            rc = pb_err_set(err, -EIO, "the python worker %s before it was ready", how);
        goto out;
    }

    stats->start_ns = pb_now_ns();
    if ((rc = send_line(&s, json_pack("{s:I}", "go", (json_int_t)stats->start_ns))) < 0) {
        rc = pb_err_set(err, -EIO, "the python worker did not take the start (%s)", strerror(-rc));
        goto out;
    }
    rc = pump(&s, UNTIL_END, UINT64_MAX);
    if (rc == 0 && s.done && !s.records_eof)
        rc = pump(&s, UNTIL_END, pb_now_ns() + (uint64_t)DRAIN_MS * 1000000u);
    /* what is left of the records (a partial one means a worker died mid-write: dropped) */
    session_kill(&s);
    pb_child_wait(&s.child, -1);
    if (s.done) {
        take_done(&s, stats);
        stats->report = take_report(&s);
    }
    if (rc == -EPROTO) {
        rc = pb_err_set(err, -EIO, "%s", s.error);
    } else if (!s.done && !s.stop_sent_ns) {
        char how[128];
        pb_child_describe(&s.child, how, sizeof(how));
        uint64_t tasks = 0;
        for (unsigned w = 0; w < spec->workers; w++)
            tasks += pb_record_tasks(&spec->records[w]);
        rc = pb_err_set(err, -EIO, "the python worker %s after %llu tasks%s%s", how,
                        (unsigned long long)tasks, s.error[0] ? ": " : "", s.error);
    } else { /* done, or stopped: killed past the grace, what it recorded is kept */
        rc = 0;
    }
out:
    if (rc < 0 && s.child.pid > 0 && !s.child.reaped) {
        session_kill(&s);
        pb_child_wait(&s.child, -1);
    }
    int fds[] = {p_to[0],  p_to[1], p_from[0], p_from[1], p_rec[0],
                 p_rec[1], s.to_py, s.from_py, s.records};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    json_decref(s.ready);
    json_decref(s.done);
    free(s.lines.buf);
    free_env(env);
    return rc;
}

/* ---- The runners --------------------------------------------------------------------------- */

static int python_preflight(const struct pb_run_spec *spec, struct pb_err *err, const char *name)
{
    const struct probe *p = probe();
    if (p->rc < 0)
        return pb_err_set(err, p->rc, "%s is unavailable: %s", name, p->why);
    char forms[256];
    if (!probe_has_workload(p, spec->wl->name, forms, sizeof(forms)))
        return pb_err_set(err, -EINVAL, "%s has no Python form (the py runners run: %s)",
                          spec->wl->name, forms);
    if (spec->env->event_loops && spec->workers > 1)
        return pb_err_set(err, -EINVAL, "%s runs one event loop: --loops %u is not possible", name,
                          spec->workers);
    if (spec->env->event_loops && strcmp(python_loop(), "uvloop") == 0 &&
        !probe_module(p, "uvloop"))
        return pb_err_set(err, -ENOENT,
                          "%s --py-loop uvloop: %s has no uvloop (apt-get install python3-uvloop)",
                          name, python_path());
    if (spec->env->event_loops && strcmp(spec->wl->name, "io.http") == 0 &&
        !probe_module(p, "aiohttp"))
        return pb_err_set(err, -ENOENT,
                          "%s io.http: %s has no aiohttp (apt-get install python3-aiohttp)", name,
                          python_path());
    return 0;
}

#define PY_RUNNER(sym, idiom, flags_, text)                                                        \
    static int sym##_preflight(const struct pb_run_spec *spec, struct pb_err *err)                 \
    {                                                                                              \
        return python_preflight(spec, err, "py." idiom);                                           \
    }                                                                                              \
    static int sym##_run(const struct pb_run_spec *spec, struct pb_run_stats *stats,               \
                         struct pb_err *err)                                                       \
    {                                                                                              \
        return python_run(spec, stats, err, idiom);                                                \
    }                                                                                              \
    const struct pb_runner_ops pb_runner_##sym = {                                                 \
        .name = "py." idiom,                                                                       \
        .description = text,                                                                       \
        .flags = (flags_) | PB_RUNNER_FOREIGN,                                                     \
        .preflight = sym##_preflight,                                                              \
        .run = sym##_run,                                                                          \
    };

PY_RUNNER(py_serial, "serial", PB_RUNNER_SINGLE, "Python: a loop of calls, the baseline")
PY_RUNNER(py_threads, "threads", 0, "Python: concurrent.futures.ThreadPoolExecutor(max_workers=c)")
PY_RUNNER(py_processes, "processes", 0,
          "Python: concurrent.futures.ProcessPoolExecutor(max_workers=c)")
PY_RUNNER(py_asyncio, "asyncio", PB_RUNNER_GATHER | PB_RUNNER_LOOPS,
          "Python: every task an asyncio.create_task, then gather(return_exceptions=True)")
PY_RUNNER(py_semaphore, "semaphore", PB_RUNNER_LOOPS,
          "Python: every task created, an asyncio.Semaphore(c) lets c run at once")
PY_RUNNER(py_queue, "queue", PB_RUNNER_LOOPS | PB_RUNNER_QUEUE,
          "Python: a producer and c consumers on asyncio.Queue(maxsize=--queue-depth)")
