/* --isolate: one fresh process per repetition. */
#include "harness/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/child.h"
#include "harness/doc_read.h"
#include "harness/merge.h"
#include "harness/stop.h"
#include "harness/suite.h"

/* How often the parent looks at the stop channel while a child runs. */
#define STOP_POLL_MS 50

/* The whole of fd into a NUL-terminated buffer. A stop of ours is passed on to the child once
 * (a signal to the parent alone must still end the child, which then writes what it has). */
static int read_all(int fd, const struct pb_child *child, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    int forwarded = 0;
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (!forwarded && pb_stop_requested()) {
            pb_child_kill(child, pb_stop_signal() ? pb_stop_signal() : SIGINT);
            forwarded = 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, STOP_POLL_MS) <= 0)
            continue;
        if (n + 1 == cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more) {
                free(buf);
                return -ENOMEM;
            }
            buf = more;
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

/* The last line a child wrote on its stderr: why it failed. */
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

/* Writes the suite to the child's standard input through a temporary file: a pipe could fill
 * before the child reads it. */
static int suite_file(const struct pb_case_spec *c, FILE **out, struct pb_err *err)
{
    json_t *suite = pb_suite_of_case(c);
    FILE *f = tmpfile();
    int rc = suite && f && json_dumpf(suite, f, JSON_COMPACT) == 0 && fflush(f) == 0 ? 0 : -EIO;
    json_decref(suite);
    if (rc < 0) {
        if (f)
            fclose(f);
        return pb_err_set(err, rc, "--isolate: cannot write the case for its child");
    }
    *out = f;
    return 0;
}

/* One child: its document in *doc (NULL when it wrote none). */
static int run_child(char **argv, FILE *suite, json_t **doc, struct pb_child *child, char *why,
                     size_t why_len, struct pb_err *err)
{
    int fds[2] = {-1, -1};
    FILE *errs = tmpfile();
    char *text = NULL;
    size_t len = 0;
    *doc = NULL;
    rewind(suite);
    if (!errs || pipe2(fds, O_CLOEXEC) < 0) {
        int e = errno;
        if (errs)
            fclose(errs);
        return pb_err_set(err, -e, "--isolate: cannot make a pipe: %s", strerror(e));
    }
    struct pb_child_opts o = PB_CHILD_OPTS_INIT;
    o.argv = argv;
    o.stdio[0] = fileno(suite);
    o.stdio[1] = fds[1];
    o.stdio[2] = fileno(errs);
    o.hold_stops = 1;
    int rc = pb_child_spawn(child, &o, err);
    close(fds[1]);
    if (rc == 0)
        rc = read_all(fds[0], child, &text, &len);
    close(fds[0]);
    if (rc == 0)
        pb_child_wait(child, -1);
    last_line(errs, why, why_len);
    fclose(errs);
    if (rc < 0) {
        if (child->pid > 0 && !child->reaped)
            pb_child_stop(child, 0);
        return rc == -ENOMEM ? pb_err_set(err, rc, "--isolate: out of memory") : rc;
    }
    json_error_t je;
    *doc = len ? json_loadb(text, len, 0, &je) : NULL;
    free(text);
    return 0;
}

/* Whether the child stopped, and why; -EIO when it ran more than its one case. */
static int child_stopped(const struct pb_doc *d, int *stopped, struct pb_err *err)
{
    const char *reason = pb_doc_str(d, NULL, "stop_reason");
    if (strcmp(reason, "completed") != 0)
        *stopped = strcmp(reason, "fail_fast") == 0 ? PB_STOP_FAIL_FAST : PB_STOP_SIGNAL;
    if (d->ncases > 1 || (d->ncases == 0 && !*stopped))
        return pb_err_set(err, -EIO, "--isolate: the child ran %zu cases, not one", d->ncases);
    return 0;
}

/* The children's documents merged as rounds of one plan are merge's to do (repetitions in
 * order, warm-ups, warnings, the per-percentile median of the spectra); result keeps the
 * settings of the case as planned. */
static int take_merged(struct pb_case_result *result, const struct pb_doc *docs, size_t n,
                       struct pb_err *err)
{
    struct pb_case_result *merged = NULL;
    size_t nmerged = 0;
    int rc = n ? pb_merge_cases(docs, n, 0, &merged, &nmerged, err) : 0;
    if (rc == 0 && nmerged == 1) {
        struct pb_case_result *m = &merged[0];
        for (size_t i = 0; i < m->nreps && rc == 0; i++)
            rc = pb_case_result_add_rep(result, &m->reps[i]);
        for (size_t i = 0; i < m->nwarnings && rc == 0; i++)
            rc = pb_case_result_warn(result, "%s", m->warnings[i]);
        if (rc < 0)
            pb_err_set(err, rc, "--isolate: out of memory");
        m->nreps = 0;
        result->warmups = m->warmups;
        result->has_spectrum = m->has_spectrum;
        memcpy(result->spectrum, m->spectrum, sizeof(m->spectrum));
    }
    for (size_t i = 0; i < nmerged; i++)
        pb_case_result_free(&merged[i]);
    free(merged);
    return rc;
}

int pb_isolate_case(const struct pb_plan *plan, const struct pb_case_spec *c,
                    struct pb_case_result *result, struct pb_err *err)
{
    char *argv[] = {"parbench", "run", "--suite",      "/dev/stdin", "--repeat", "1", "--quiet",
                    "-o",       "-",   "--max-errors", "100%",       NULL,       NULL};
    if (plan->fail_fast)
        argv[11] = "--fail-fast";
    struct pb_doc *docs = calloc(c->set.repeat, sizeof(*docs));
    FILE *suite = NULL;
    size_t n = 0;
    int rc = docs ? suite_file(c, &suite, err) : pb_err_set(err, -ENOMEM, "out of memory");
    for (unsigned r = 0; rc == 0 && r < c->set.repeat && !pb_stop_requested(); r++) {
        struct pb_child child;
        json_t *doc = NULL;
        char why[400];
        int stopped = 0;
        if ((rc = run_child(argv, suite, &doc, &child, why, sizeof(why), err)) < 0)
            break;
        if (!doc) {
            char desc[128];
            pb_child_describe(&child, desc, sizeof(desc));
            rc = pb_err_set(err, -EIO, "--isolate: the child run %s and wrote no document%s%s",
                            desc, why[0] ? ": " : "", why);
            break;
        }
        rc = pb_doc_from_json(&docs[n], doc, "--isolate child", err);
        json_decref(doc);
        if (rc == 0)
            rc = child_stopped(&docs[n], &stopped, err);
        if (rc < 0) {
            pb_doc_destroy(&docs[n]);
            break;
        }
        n++;
        /* A child that stopped stops the case, and the plan (a stop of its own, or ours). */
        if (rc == 0 && stopped && !pb_stop_requested())
            pb_stop_request((enum pb_stop_reason)stopped);
    }
    /* What the children measured is kept, also when a later one failed (its message stands). */
    struct pb_err merr = {""};
    int mrc = take_merged(result, docs, n, rc < 0 ? &merr : err);
    if (rc == 0)
        rc = mrc;
    result->complete = rc == 0 && result->nreps == c->set.repeat && !pb_stop_requested();
    for (size_t i = 0; i < n; i++)
        pb_doc_destroy(&docs[i]);
    free(docs);
    if (suite)
        fclose(suite);
    return rc;
}
