/* --isolate: one fresh process per repetition, merged afterwards. */
#include "harness/isolate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/doc_read.h"
#include "harness/merge.h"

#define MAX_ARGS 96

struct argv_builder {
    char *v[MAX_ARGS + 1];
    char buf[8192];
    size_t used;
    int n;
};

static void arg(struct argv_builder *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct argv_builder *a, const char *fmt, ...)
{
    va_list ap;
    if (a->n >= MAX_ARGS || a->used >= sizeof(a->buf))
        return;
    va_start(ap, fmt);
    int len = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
    va_end(ap);
    a->v[a->n++] = a->buf + a->used;
    a->used += (size_t)len + 1;
}

/* The command line that runs exactly this case once. */
static void case_argv(const struct pb_plan *plan, const struct pb_case_spec *c,
                      struct argv_builder *a)
{
    arg(a, "parbench");
    arg(a, "run");
    arg(a, "-r");
    arg(a, "%s", c->runner->name);
    arg(a, "-w");
    arg(a, "%s", c->workload->name);
    for (size_t i = 0; i < c->params.count; i++) {
        arg(a, "-p");
        arg(a, "%s=%s", c->params.defs[i].name, c->params.v[i].s);
    }
    if (!(c->runner->flags & (PB_RUNNER_SINGLE | PB_RUNNER_GATHER))) {
        arg(a, "-c");
        arg(a, "%u", c->concurrency);
    }
    if (c->tasks) {
        arg(a, "-n");
        arg(a, "%llu", (unsigned long long)c->tasks);
    } else {
        arg(a, "--duration");
        arg(a, "%lluns", (unsigned long long)c->duration_ns);
    }
    if (c->rate > 0) {
        arg(a, "--rate");
        arg(a, "%.17g", c->rate);
        arg(a, "--arrivals");
        arg(a, "%s", c->arrivals == PB_ARRIVALS_POISSON ? "poisson" : "uniform");
    }
    if (c->timeout_ns) {
        arg(a, "--timeout");
        arg(a, "%lluns", (unsigned long long)c->timeout_ns);
    }
    arg(a, "--pin");
    arg(a, "%s", c->pin.text);
    arg(a, "--queue-depth");
    arg(a, "%u", c->queue_depth);
    arg(a, "--loops");
    arg(a, "%u", c->loops);
    arg(a, "--warmup");
    arg(a, "%u", c->warmup);
    arg(a, "--repeat");
    arg(a, "1");
    arg(a, "--max-errors");
    arg(a, "100%%");
    arg(a, "--grace");
    arg(a, "%lluns", (unsigned long long)plan->grace_ns);
    if (plan->fail_fast)
        arg(a, "--fail-fast");
    arg(a, "--quiet");
    arg(a, "-o");
    arg(a, "-");
    a->v[a->n] = NULL;
}

/* The last line a child wrote on its stderr: the reason it failed. */
static void last_line(FILE *f, char *buf, size_t len)
{
    char line[512];
    buf[0] = 0;
    rewind(f);
    while (fgets(line, sizeof(line), f))
        if (line[0] != '\n')
            snprintf(buf, len, "%.300s", line);
    buf[strcspn(buf, "\n")] = 0;
}

/* Runs one child; its document (stdout) comes back in *doc. Its stderr (its summary table and
 * warnings, which the merged case repeats) is kept aside and shown only when it failed. */
static int run_child(char **argv, json_t **doc, int *status, struct pb_err *err)
{
    int fds[2];
    FILE *errs = tmpfile();
    if (!errs || pipe(fds) < 0) {
        if (errs)
            fclose(errs);
        return pb_err_set(err, -errno, "--isolate: cannot make a pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fclose(errs);
        return pb_err_set(err, -errno, "--isolate: cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fileno(errs), STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    json_error_t jerr;
    *doc = in ? json_loadf(in, 0, &jerr) : NULL;
    if (in)
        fclose(in);
    else
        close(fds[0]);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    char why[400];
    last_line(errs, why, sizeof(why));
    fclose(errs);
    if (!*doc)
        return pb_err_set(err, -EIO,
                          "--isolate: the child run (exit status %d) wrote no document: %s",
                          WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status), why);
    return 0;
}

int pb_isolate_case(const struct pb_plan *plan, const struct pb_case_spec *c, json_t **jcase,
                    int *stopped, struct pb_err *err)
{
    struct argv_builder a = {.n = 0};
    struct pb_doc **docs = calloc(c->repeat, sizeof(*docs));
    size_t n = 0;
    json_t *merged = NULL;
    int rc = 0;
    *jcase = NULL;
    if (!docs)
        return pb_err_set(err, -ENOMEM, "--isolate: out of memory");
    case_argv(plan, c, &a);
    for (unsigned r = 0; r < c->repeat && !*stopped; r++) {
        json_t *doc = NULL;
        int status = 0;
        if ((rc = run_child(a.v, &doc, &status, err)) < 0)
            break;
        /* A child interrupted, or stopped by --fail-fast, stops the rest too. */
        const char *reason = json_string_value(json_object_get(doc, "stop_reason"));
        if ((WIFEXITED(status) && WEXITSTATUS(status) == 130) ||
            (reason && strcmp(reason, "completed") != 0))
            *stopped = 1;
        rc = pb_doc_from_json(&docs[n], doc, "--isolate child", err);
        json_decref(doc); /* the pb_doc holds its own reference */
        if (rc < 0)
            break;
        n++;
    }
    if (rc == 0 && n) {
        rc = pb_merge_docs(docs, n, &merged, err);
        json_t *cases = json_object_get(merged, "cases");
        if (rc == 0 && json_array_size(cases) == 1)
            *jcase = json_incref(json_array_get(cases, 0));
        else if (rc == 0)
            rc = pb_err_set(err, -EIO, "--isolate: the child runs did not make one case");
    }
    json_decref(merged);
    for (size_t i = 0; i < n; i++)
        pb_doc_destroy(docs[i]);
    free(docs);
    return rc;
}
