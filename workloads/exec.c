/* exec: a task runs a command and checks how it ended (and, if asked, its output). The command
 * line is split without a shell (harness/cmdline.h) or given to /bin/sh -c; {task} and {worker}
 * in it become the task's and the worker's index. The blocking form is posix_spawn and a poll
 * on a pidfd and the output pipe, reaped with wait4 for the command's rusage; on a loop it is
 * uv_spawn, so one loop runs many commands at once without a thread each.
 *
 * A task is the command's whole process group: the command runs in a group of its own, a
 * timeout or a stop kills the group, and what the command leaves in its group when it exits
 * (a process it put in the background) is killed too, so that a run leaks no process. Its
 * standard input is /dev/null; its standard error is discarded (/dev/null) too: a thousand
 * tasks writing to the terminal would drown the run's own messages and slow it down. Standard
 * output is discarded or read through a pipe, always to its end: a pipe never fills. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "harness/clock.h"
#include "harness/cmdline.h"
#include "harness/sha256.h"
#include "harness/shm.h"
#include "harness/stop.h"
#include "harness/workload.h"

extern char **environ;

/* Before a stop, a blocking wait looks at the stop channel this often (a poll cannot be woken
 * by the channel's futex); after one, it waits right up to the grace period's end. */
#define STOP_POLL_MS 20
/* Without pidfd_open, how often a blocking wait looks whether the command has ended. */
#define EXIT_POLL_MS 1
/* Decimal digits of the largest index: what a placeholder may grow to. */
#define INDEX_DIGITS 20
/* Output is read in pieces of this size (on a loop, into one buffer per loop). */
#define READ_CHUNK (64u << 10)
/* Descriptors and processes a run holds besides its commands'. */
#define FD_RESERVE   64
#define PROC_RESERVE 64

/* What one worker has done, in shared memory (workers may be processes); only it writes. */
struct exec_slot {
    _Alignas(64) uint64_t tasks; /* commands reaped */
    uint64_t cpu_us;             /* their user + system time (wait4), blocking form */
    uint64_t stdout_bytes;
    uint64_t signaled; /* killed by a signal, not by us */
    uint64_t failure_ns;
    char last_failure[128]; /* the latest failure's cause, "" when none */
    /* The group of the command running now (blocking form), 0 when none: a process worker
     * that died with one running (killed by the supervisor or a stop) leaves it to release. */
    pid_t pgroup;
};

/* The command, prepared once per repetition: read-only for the workers. */
struct exec_shared {
    size_t size;         /* as allocated */
    char path[PATH_MAX]; /* the program, resolved once */
    /* The argument template: nwords NUL-ended words; {task} and {worker} still in them. */
    char words[PB_PARAM_STRMAX + 8];
    size_t nwords, words_len, placeholders;
    int expect_status;
    int read_out, hash;
    char sha256[PB_SHA256_HEX]; /* lowercase */
    uint64_t timeout_ns;
    int loops; /* the loop form: CPU time from RUSAGE_CHILDREN */
    struct rusage children_before;
    unsigned nslots;
    struct exec_slot slots[];
};

struct exec_worker {
    const struct exec_shared *sh;
    struct exec_slot *slot;
    unsigned index;
    uv_loop_t *loop;
    int devnull;
    posix_spawnattr_t attr;
    char *buf; /* a task's words, placeholders replaced */
    char **argv;
    char *chunk; /* READ_CHUNK bytes */
};

/* A task on the loop, in the runner's task bytes. */
struct exec_task {
    uv_process_t proc;
    uv_pipe_t out;
    struct pb_sha256 hash;
    struct exec_worker *w;
    uint64_t bytes;
    int64_t exit_status;
    int term_signal;
    int spawn_error;   /* uv_spawn's, or 0 */
    unsigned open;     /* handles whose close callback has not run yet */
    uint8_t piped;     /* stdout is the pipe */
    uint8_t exited;    /* exit_cb ran: the command was reaped */
    uint8_t eof;       /* the pipe is at its end (or closing) */
    uint8_t cancelled; /* by --timeout or a stop */
    uint8_t io_error;
};

static const struct pb_param_def exec_params[] = {
    {"cmd", PB_PARAM_STRING, "", 0, -1,
     "the command line, split without a shell ('...', \"...\", \\ quote); {task} and {worker} "
     "become the task's and the worker's index (or: parbench run ... -- COMMAND ARGS)"},
    {"shell", PB_PARAM_BOOL, "0", 0, -1, "run /bin/sh -c CMD instead of splitting it"},
    {"status", PB_PARAM_INT, "0", 0, 255, "the exit status that counts as success"},
    {"stdout", PB_PARAM_STRING, "discard", 0, -1,
     "discard (to /dev/null) or count (read through a pipe: the task's bytes)"},
    {"stdout_sha256", PB_PARAM_STRING, "", 0, -1,
     "the SHA-256 (hex) stdout must have, else wrong_result; reads and counts stdout"},
};

static int is_file_to_run(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The program as execvp would find it: a name with a slash as it is, else the first
 * executable file of that name on PATH. Resolved once here, so that no task searches. */
static int resolve(const char *name, char path[PATH_MAX], struct pb_err *err)
{
    if (!*name)
        return pb_err_set(err, -EINVAL, "exec: the command is empty");
    if (strchr(name, '/')) {
        if (strlen(name) >= PATH_MAX)
            return pb_err_set(err, -EINVAL, "exec: cannot run '%.200s': the name is too long",
                              name);
        if (!is_file_to_run(name)) {
            struct stat st;
            int e = stat(name, &st) < 0 ? errno : S_ISREG(st.st_mode) ? EACCES : EISDIR;
            return pb_err_set(err, -EINVAL, "exec: cannot run '%.200s': %s", name, strerror(e));
        }
        snprintf(path, PATH_MAX, "%s", name);
        return 0;
    }
    const char *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/bin:/usr/bin"; /* execvp's default */
    for (const char *d = dirs;; d++) {
        const char *end = strchr(d, ':');
        size_t len = end ? (size_t)(end - d) : strlen(d);
        /* an empty entry is the current directory, as for execvp */
        int n = snprintf(path, PATH_MAX, "%.*s%s%s", (int)len, len ? d : ".", "/", name);
        if (n > 0 && n < PATH_MAX && is_file_to_run(path))
            return 0;
        if (!end)
            break;
        d = end;
    }
    return pb_err_set(err, -EINVAL, "exec: cannot run '%.200s': not found on PATH", name);
}

static int has_placeholder(const char *w)
{
    return strstr(w, "{task}") || strstr(w, "{worker}");
}

static size_t count_placeholders(const char *w)
{
    size_t n = 0;
    for (const char *p = w; (p = strchr(p, '{')); p++)
        n += !strncmp(p, "{task}", 6) || !strncmp(p, "{worker}", 8);
    return n;
}

/* The parameters into s (path, words, checks): what preflight checks and prepare keeps. */
static int parse(const struct pb_params *params, struct exec_shared *s, struct pb_err *err)
{
    const char *cmd = pb_param_str(params, "cmd");
    const char *out = pb_param_str(params, "stdout");
    const char *sha = pb_param_str(params, "stdout_sha256");
    int rc;

    if (strcmp(out, "discard") && strcmp(out, "count"))
        return pb_err_set(err, -EINVAL, "exec: stdout '%.32s' is not discard or count", out);
    s->hash = sha[0] != 0;
    s->read_out = s->hash || !strcmp(out, "count");
    if (s->hash) {
        size_t len = strlen(sha);
        if (len != PB_SHA256_HEX - 1 || strspn(sha, "0123456789abcdefABCDEF") != len)
            return pb_err_set(err, -EINVAL, "exec: stdout_sha256 '%.80s' is not 64 hex digits",
                              sha);
        for (size_t i = 0; i < len; i++)
            s->sha256[i] = (char)(sha[i] >= 'A' && sha[i] <= 'F' ? sha[i] - 'A' + 'a' : sha[i]);
        s->sha256[len] = 0;
    }
    s->expect_status = (int)pb_param_int(params, "status");
    if (pb_param_bool(params, "shell")) {
        if (!cmd[0])
            return pb_err_set(err, -EINVAL,
                              "exec: no command: give -p cmd=COMMAND or parbench run ... -- "
                              "COMMAND");
        if (!is_file_to_run("/bin/sh"))
            return pb_err_set(err, -EINVAL, "exec: cannot run /bin/sh: %s", strerror(errno));
        snprintf(s->path, sizeof(s->path), "/bin/sh");
        /* the script is one word, unsplit: sh does its own quoting */
        int n = snprintf(s->words, sizeof(s->words), "sh%c-c%c%s", 0, 0, cmd);
        s->words_len = (size_t)n + 1;
        s->nwords = 3;
        s->placeholders = count_placeholders(cmd);
        return 0;
    }
    if ((rc = pb_cmdline_split(cmd, s->words, sizeof(s->words), &s->nwords, err)) < 0) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        return pb_err_set(err, -EINVAL, "exec: %s", msg);
    }
    if (!s->nwords)
        return pb_err_set(err, -EINVAL,
                          "exec: no command: give -p cmd=COMMAND or parbench run ... -- COMMAND");
    if (has_placeholder(s->words))
        return pb_err_set(err, -EINVAL,
                          "exec: the program name '%.200s' may not hold {task} or {worker} (it is "
                          "found once, before the run)",
                          s->words);
    s->words_len = 0;
    s->placeholders = 0;
    for (size_t i = 0; i < s->nwords; i++) {
        const char *w = s->words + s->words_len;
        s->placeholders += count_placeholders(w);
        s->words_len += strlen(w) + 1;
    }
    return resolve(s->words, s->path, err);
}

/* Commands at once: one per worker in the blocking form, every task in progress on a loop. */
static uint64_t planned_commands(const struct pb_workload_env *env)
{
    if (!env->event_loops)
        return env->workers;
    return env->concurrency  ? env->concurrency
           : env->load.tasks ? env->load.tasks
                             : pb_load_max_tasks(&env->load) + 1;
}

static int exec_preflight(const struct pb_workload_env *env, struct pb_err *err)
{
    struct exec_shared *s = calloc(1, sizeof(*s));
    struct rlimit rl;
    int rc;

    if (!s)
        return pb_err_set(err, -ENOMEM, "exec: out of memory");
    rc = parse(env->params, s, err);
    uint64_t n = planned_commands(env);
    /* a pipe end per command that is read, and a pipe of uv_spawn's while one starts */
    uint64_t fds = (s->read_out ? n : 0) + 2 * (uint64_t)env->workers + FD_RESERVE;
    free(s);
    if (rc < 0)
        return rc;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && fds > rl.rlim_cur)
        return pb_err_set(err, -EMFILE,
                          "exec needs about %llu open files at once, but the limit is %llu (raise "
                          "ulimit -n, or lower -c or -n)",
                          (unsigned long long)fds, (unsigned long long)rl.rlim_cur);
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        n + PROC_RESERVE > rl.rlim_cur)
        return pb_err_set(err, -EAGAIN,
                          "exec runs up to %llu commands at once, but the process limit is %llu "
                          "(raise ulimit -u, or lower -c or -n)",
                          (unsigned long long)n, (unsigned long long)rl.rlim_cur);
    return 0;
}

static int exec_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    size_t size = sizeof(struct exec_shared) + env->workers * sizeof(struct exec_slot);
    struct exec_shared *s = pb_shm_alloc(size);
    int rc;

    if (!s)
        return pb_err_set(err, -ENOMEM, "exec: out of memory");
    s->size = size;
    s->nslots = env->workers;
    s->timeout_ns = env->timeout_ns;
    /* Loop workers are threads of this process, and libuv's exit callback has no rusage: their
     * commands' CPU time is this process's RUSAGE_CHILDREN over the repetition (read here and
     * in report, once, so threads do not count each other's). */
    s->loops = env->event_loops;
    if ((rc = parse(env->params, s, err)) < 0 ||
        (s->loops && getrusage(RUSAGE_CHILDREN, &s->children_before) < 0 &&
         (rc = pb_err_set(err, -errno, "exec: getrusage: %s", strerror(errno))) < 0)) {
        pb_shm_free(s, size);
        return rc;
    }
    *shared = s;
    return 0;
}

static void exec_release(void *shared)
{
    struct exec_shared *s = shared;
    if (!s)
        return;
    for (unsigned i = 0; i < s->nslots; i++)
        if (s->slots[i].pgroup > 0)
            kill(-s->slots[i].pgroup, SIGKILL);
    pb_shm_free(s, s->size);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static json_t *exec_report(void *shared, const struct pb_workload_env *env)
{
    const struct exec_shared *s = shared;
    uint64_t tasks = 0, bytes = 0, signaled = 0, cpu_us = 0, latest = 0;
    const char *failure = NULL;
    double cpu_s;
    json_t *o = json_object();

    if (!o)
        return NULL;
    for (unsigned i = 0; i < s->nslots; i++) {
        const struct exec_slot *sl = &s->slots[i];
        tasks += sl->tasks;
        bytes += sl->stdout_bytes;
        signaled += sl->signaled;
        cpu_us += sl->cpu_us;
        if (sl->last_failure[0] && sl->failure_ns >= latest) {
            latest = sl->failure_ns;
            failure = sl->last_failure;
        }
    }
    cpu_s = (double)cpu_us / 1e6;
    if (s->loops) {
        struct rusage now;
        cpu_s = 0;
        if (getrusage(RUSAGE_CHILDREN, &now) == 0)
            cpu_s = tv_s(now.ru_utime) + tv_s(now.ru_stime) - tv_s(s->children_before.ru_utime) -
                    tv_s(s->children_before.ru_stime);
    }
    json_object_set_new(o, "path", json_string(s->path));
    json_object_set_new(o, "shell", json_boolean(pb_param_bool(env->params, "shell")));
    json_object_set_new(o, "commands", json_integer((json_int_t)tasks));
    json_object_set_new(o, "command_cpu_s", json_real(cpu_s));
    json_object_set_new(o, "command_cpu_per_task_us",
                        tasks ? json_real(cpu_s * 1e6 / (double)tasks) : json_null());
    json_object_set_new(o, "command_cpu_source",
                        json_string(s->loops ? "getrusage(RUSAGE_CHILDREN) over the repetition"
                                             : "wait4 rusage per command"));
    json_object_set_new(o, "stdout_bytes", json_integer((json_int_t)bytes));
    json_object_set_new(o, "killed_by_signal", json_integer((json_int_t)signaled));
    if (failure)
        json_object_set_new(o, "last_failure", json_string(failure));
    return o;
}

static int exec_worker_init(void *shared, const struct pb_workload_env *env,
                            const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    const struct exec_shared *sh = shared;
    struct exec_worker *w = calloc(1, sizeof(*w));
    sigset_t none, all;
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    int rc;

    (void)env;
    if (!w)
        return pb_err_set(err, -ENOMEM, "exec: out of memory");
    w->sh = sh;
    w->index = wenv->index;
    w->slot = (struct exec_slot *)&sh->slots[wenv->index];
    w->loop = wenv->loop;
    w->devnull = -1;
    w->buf = malloc(sh->words_len + sh->placeholders * INDEX_DIGITS);
    w->argv = calloc(sh->nwords + 1, sizeof(*w->argv));
    w->chunk = malloc(READ_CHUNK);
    if (!w->buf || !w->argv || !w->chunk) {
        rc = pb_err_set(err, -ENOMEM, "exec: out of memory");
        goto fail;
    }
    if ((w->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        rc = pb_err_set(err, -errno, "exec: cannot open /dev/null: %s", strerror(errno));
        goto fail;
    }
    /* The command's own group (so that a kill reaches all it started), and no mask or handler
     * of ours: parbench blocks and handles SIGINT and SIGTERM, and ignores SIGPIPE. */
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_init(&w->attr);
    posix_spawnattr_setflags(&w->attr, flags);
    posix_spawnattr_setpgroup(&w->attr, 0);
    posix_spawnattr_setsigmask(&w->attr, &none);
    posix_spawnattr_setsigdefault(&w->attr, &all);
    *wstate = w;
    return 0;
fail:
    free(w->buf);
    free(w->argv);
    free(w->chunk);
    free(w);
    return rc;
}

static void exec_worker_fini(void *wstate)
{
    struct exec_worker *w = wstate;
    posix_spawnattr_destroy(&w->attr);
    close(w->devnull);
    free(w->buf);
    free(w->argv);
    free(w->chunk);
    free(w);
}

/* The task's argv in w->argv: the template with its placeholders replaced. */
static void expand(struct exec_worker *w, uint64_t index)
{
    const char *src = w->sh->words;
    char *dst = w->buf;
    for (size_t i = 0; i < w->sh->nwords; i++) {
        w->argv[i] = dst;
        for (; *src; src++) {
            if (*src == '{' && !strncmp(src, "{task}", 6)) {
                dst += sprintf(dst, "%llu", (unsigned long long)index);
                src += 5;
            } else if (*src == '{' && !strncmp(src, "{worker}", 8)) {
                dst += sprintf(dst, "%u", w->index);
                src += 7;
            } else {
                *dst++ = *src;
            }
        }
        *dst++ = *src++;
    }
    w->argv[w->sh->nwords] = NULL;
}

static void note_failure(struct exec_worker *w, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The cause of a failure, for the report (the worker's record has no place a workload fills). */
static void note_failure(struct exec_worker *w, uint64_t index, const char *fmt, ...)
{
    struct exec_slot *sl = w->slot;
    int n = snprintf(sl->last_failure, sizeof(sl->last_failure),
                     "task %llu: ", (unsigned long long)index);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sl->last_failure + n, sizeof(sl->last_failure) - (size_t)n, fmt, ap);
    va_end(ap);
    sl->failure_ns = pb_now_ns();
}

/* How a command that ran to its end did: its exit against status, its output's digest. */
static enum pb_status judge(struct exec_worker *w, uint64_t index, int exited, int code, int sig,
                            const char *digest)
{
    const struct exec_shared *sh = w->sh;
    if (!exited) {
        w->slot->signaled++;
        note_failure(w, index, "killed by signal %d (%s)", sig, strsignal(sig));
        return PB_FAIL_OTHER;
    }
    if (code != sh->expect_status) {
        note_failure(w, index, "exited with status %d, not %d", code, sh->expect_status);
        return PB_FAIL_WRONG_RESULT;
    }
    if (sh->hash && strcmp(digest, sh->sha256)) {
        note_failure(w, index, "stdout's SHA-256 is %.16s..., not %.16s...", digest, sh->sha256);
        return PB_FAIL_WRONG_RESULT;
    }
    return PB_OK;
}

/* Reads what the pipe holds: 1 at its end, 0 for more later, -errno. */
static int drain(struct exec_worker *w, int fd, struct pb_sha256 *h, uint64_t *bytes)
{
    for (;;) {
        ssize_t n = read(fd, w->chunk, READ_CHUNK);
        if (n > 0) {
            *bytes += (uint64_t)n;
            if (w->sh->hash)
                pb_sha256_update(h, w->chunk, (size_t)n);
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? 0 : -errno;
    }
}

/* The blocking form. The command's exit is seen without reaping it (waitid WNOWAIT), so that
 * the group is killed while its number cannot have been reused; then wait4 reaps it. */
static enum pb_status exec_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct exec_worker *w = wstate;
    const struct exec_shared *sh = w->sh;
    posix_spawn_file_actions_t fa;
    int fds[2] = {-1, -1}, pidfd = -1, rc, status = 0, exited = 0, eof = !sh->read_out;
    uint64_t begin = pb_now_ns(), got = 0;
    uint64_t deadline = sh->timeout_ns ? begin + sh->timeout_ns : UINT64_MAX;
    enum pb_status st = PB_OK;
    struct pb_sha256 h = {NULL};
    char digest[PB_SHA256_HEX] = "";
    struct rusage ru;
    pid_t pid;

    if (sh->hash && pb_sha256_init(&h) < 0)
        return PB_FAIL_OTHER;
    /* O_CLOEXEC: a command another thread starts meanwhile must not hold this pipe open */
    if (sh->read_out && (pipe2(fds, O_CLOEXEC) < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)) {
        note_failure(w, index, "cannot make a pipe: %s", strerror(errno));
        st = PB_FAIL_IO;
        goto out;
    }
    expand(w, index);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, w->devnull, 0);
    posix_spawn_file_actions_adddup2(&fa, sh->read_out ? fds[1] : w->devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, w->devnull, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = posix_spawn(&pid, sh->path, &fa, &w->attr, w->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (fds[1] >= 0)
        close(fds[1]);
    if (rc) {
        note_failure(w, index, "cannot run %.80s: %s", sh->path, strerror(rc));
        st = PB_FAIL_OTHER;
        goto out;
    }
    w->slot->pgroup = pid;
    pb_task_pgroup_set(pid);
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    while (!exited || !eof) {
        uint64_t now = pb_now_ns(), until = pb_stop_grace_end_ns();
        struct pollfd pfd[2];
        nfds_t n = 0;
        int ms;

        if (now >= deadline) {
            st = PB_FAIL_TIMEOUT;
            break;
        }
        if (pb_stop_grace_over()) { /* as a sleep's: neither a result nor a timeout */
            st = PB_FAIL_OTHER;
            break;
        }
        if (deadline < until)
            until = deadline;
        ms = until == UINT64_MAX ? -1 : (int)((until - now + 999999) / 1000000);
        if (!pb_stop_requested() && (ms < 0 || ms > STOP_POLL_MS))
            ms = STOP_POLL_MS;
        if (!exited && pidfd < 0 && (ms < 0 || ms > EXIT_POLL_MS))
            ms = EXIT_POLL_MS;
        if (!exited && pidfd >= 0)
            pfd[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        if (!eof)
            pfd[n++] = (struct pollfd){.fd = fds[0], .events = POLLIN};
        if (poll(pfd, n, ms) < 0 && errno != EINTR) {
            st = PB_FAIL_IO;
            break;
        }
        if (!eof && (rc = drain(w, fds[0], &h, &got)) != 0) {
            eof = 1;
            if (rc < 0) {
                note_failure(w, index, "reading its output: %s", strerror(-rc));
                st = PB_FAIL_IO;
                break;
            }
        }
        if (!exited) {
            siginfo_t si;
            memset(&si, 0, sizeof(si));
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid) {
                exited = 1;
                kill(-pid, SIGKILL); /* what it left behind in its group */
            }
        }
    }
    if (st != PB_OK) {
        if (st == PB_FAIL_TIMEOUT)
            note_failure(w, index, "killed after exceeding --timeout");
        kill(-pid, SIGKILL);
    }
    /* the group is dead (its leader still a zombie, holding the number): nothing to kill */
    pb_task_pgroup_set(0);
    w->slot->pgroup = 0;
    while ((rc = (int)wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (rc == pid) {
        w->slot->tasks++;
        w->slot->cpu_us += (uint64_t)(tv_s(ru.ru_utime) * 1e6 + tv_s(ru.ru_stime) * 1e6 + 0.5);
    } else if (st == PB_OK) {
        note_failure(w, index, "cannot reap it: %s", strerror(errno));
        st = PB_FAIL_OTHER;
    }
    if (sh->hash) {
        pb_sha256_final(&h, digest);
        h.ctx = NULL;
    }
    if (st == PB_OK)
        st = judge(w, index, WIFEXITED(status), WEXITSTATUS(status), WTERMSIG(status), digest);
out:
    if (pidfd >= 0)
        close(pidfd);
    if (fds[0] >= 0)
        close(fds[0]);
    if (h.ctx)
        pb_sha256_final(&h, digest);
    w->slot->stdout_bytes += got;
    *bytes += got;
    return st;
}

/* --- The loop form --- */

static struct pb_async_task *task_of(struct exec_task *s)
{
    return (struct pb_async_task *)(void *)s - 1; /* its bytes follow the task */
}

/* Both handles closed: the task's bytes are the runner's again once done returns. */
static void on_closed(uv_handle_t *h)
{
    struct exec_task *s = h->data;
    struct exec_worker *w = s->w;
    struct pb_async_task *t = task_of(s);
    char digest[PB_SHA256_HEX] = "";
    enum pb_status st;

    if (--s->open)
        return;
    if (s->hash.ctx)
        pb_sha256_final(&s->hash, digest);
    if (s->spawn_error) {
        note_failure(w, t->index, "cannot run %.80s: %s", w->sh->path, uv_strerror(s->spawn_error));
        st = PB_FAIL_OTHER;
    } else if (s->cancelled) {
        st = PB_FAIL_TIMEOUT;
    } else if (s->io_error) {
        st = PB_FAIL_IO;
    } else {
        st = judge(w, t->index, !s->term_signal, (int)s->exit_status, s->term_signal, digest);
    }
    w->slot->stdout_bytes += s->bytes;
    t->done(t, st, s->bytes);
}

static void close_out(struct exec_task *s)
{
    if (!s->piped || s->eof)
        return;
    s->eof = 1;
    uv_close((uv_handle_t *)&s->out, on_closed);
}

static void on_exited(uv_process_t *proc, int64_t exit_status, int term_signal)
{
    struct exec_task *s = proc->data;
    s->exited = 1;
    s->exit_status = exit_status;
    s->term_signal = term_signal;
    s->w->slot->tasks++;
    /* Reaped already (libuv waits first): the group may outlive its leader, and pids are
     * handed out in turn, so its number is not someone else's this soon. */
    kill(-proc->pid, SIGKILL);
    uv_close((uv_handle_t *)proc, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct exec_task *s = h->data;
    (void)suggested;
    /* read_cb consumes it before the loop reads into it again */
    *buf = uv_buf_init(s->w->chunk, READ_CHUNK);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    struct exec_task *s = stream->data;
    if (n > 0) {
        s->bytes += (uint64_t)n;
        if (s->hash.ctx)
            pb_sha256_update(&s->hash, buf->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    if (n != UV_EOF) {
        s->io_error = 1;
        note_failure(s->w, task_of(s)->index, "reading its output: %s", uv_strerror((int)n));
    }
    close_out(s);
}

static int exec_start(void *wstate, struct pb_async_task *t)
{
    struct exec_worker *w = wstate;
    const struct exec_shared *sh = w->sh;
    struct exec_task *s = pb_async_task_data(t);
    uv_stdio_container_t stdio[3];
    uv_process_options_t opts;
    int rc;

    memset(s, 0, sizeof(*s));
    s->w = w;
    s->piped = (uint8_t)sh->read_out;
    if (sh->hash && (rc = pb_sha256_init(&s->hash)) < 0)
        return rc;
    if (s->piped && (rc = uv_pipe_init(w->loop, &s->out, 0)) < 0) {
        pb_sha256_final(&s->hash, (char[PB_SHA256_HEX]){0});
        return rc;
    }
    s->out.data = s->proc.data = s;
    s->open = 1 + s->piped;
    stdio[0] = (uv_stdio_container_t){.flags = UV_INHERIT_FD, .data.fd = w->devnull};
    stdio[1] = s->piped ? (uv_stdio_container_t){.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
                                                 .data.stream = (uv_stream_t *)&s->out}
                        : stdio[0];
    stdio[2] = stdio[0];
    expand(w, t->index);
    /* DETACHED: setsid, the command leads a group of its own, which a kill(-pid) reaches. The
     * child resets every signal's disposition and its mask before exec. */
    opts = (uv_process_options_t){.exit_cb = on_exited,
                                  .file = sh->path,
                                  .args = w->argv,
                                  .flags = UV_PROCESS_DETACHED,
                                  .stdio_count = 3,
                                  .stdio = stdio};
    rc = uv_spawn(w->loop, &s->proc, &opts);
    if (rc < 0) {
        /* the handles exist all the same: done comes once they are closed */
        s->spawn_error = rc;
        s->exited = 1;
        uv_close((uv_handle_t *)&s->proc, on_closed);
        close_out(s);
        return 0;
    }
    if (s->piped && (rc = uv_read_start((uv_stream_t *)&s->out, on_alloc, on_read)) < 0) {
        s->io_error = 1;
        close_out(s);
    }
    return 0;
}

/* Kills the command's group; done follows once it is reaped and the handles are closed. A
 * command that has exited and whose output has ended keeps its result. */
static void exec_cancel(void *wstate, struct pb_async_task *t)
{
    struct exec_task *s = pb_async_task_data(t);
    (void)wstate;
    if (s->cancelled || (s->exited && (s->eof || !s->piped)))
        return;
    s->cancelled = 1;
    if (!s->exited)
        kill(-s->proc.pid, SIGKILL);
    close_out(s); /* the rest of its output does not matter now */
}

const struct pb_workload_ops pb_workload_exec = {
    .name = "exec",
    .description = "runs a command (posix_spawn, wait4; uv_spawn on a loop); checks its exit "
                   "status and, if asked, its stdout's SHA-256",
    .flags = PB_WL_IO,
    .params = exec_params,
    .nparams = sizeof(exec_params) / sizeof(exec_params[0]),
    .preflight = exec_preflight,
    .prepare = exec_prepare,
    .report = exec_report,
    .release = exec_release,
    .worker_init = exec_worker_init,
    .worker_fini = exec_worker_fini,
    .run = exec_run,
    .task_size = sizeof(struct exec_task),
    .start = exec_start,
    .cancel = exec_cancel,
};
