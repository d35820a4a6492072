/* io.file: a task writes size bytes of its own pattern to a file, optionally fsyncs, reads them
 * back and compares: pwrite/pread elsewhere, uv_fs_* (libuv's thread pool) on an event loop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "parbench/parbench.h"

/* Tasks start at pattern + index % PATTERN_SHIFTS, so that the data of one task differs from
 * the data of the task that used the same region before it (a lost write shows). */
#define PATTERN_SHIFTS 4093

/* A region of the worker's file that one task in flight owns. */
struct file_slot {
    uint64_t offset;
    unsigned char *buf; /* the read-back buffer, size bytes */
    struct file_slot *next_free;
    struct file_slot *next_all;
};

struct file_worker {
    int fd;
    size_t size;
    int fsync;
    uv_loop_t *loop;
    unsigned char *pattern; /* size + PATTERN_SHIFTS bytes, read-only once made */
    unsigned char *buf;     /* the blocking form's read-back buffer */
    struct file_slot *free_slots;
    struct file_slot *all_slots;
    uint64_t nslots;
};

enum file_stage { STAGE_WRITE, STAGE_FSYNC, STAGE_READ };

/* A task in flight on the loop; lives in the runner's task scratch. */
struct file_task {
    uv_fs_t req;
    struct pb_async_task *t;
    struct file_worker *w;
    struct file_slot *slot;
    const unsigned char *src;
    size_t moved; /* bytes of the current stage done (short reads and writes continue) */
    uint64_t bytes;
    enum file_stage stage;
    int cancelled;
};

static const struct pb_param_def file_params[] = {
    {"size", PB_PARAM_INT, "64Ki", 1, 1073741824.0, "bytes each task writes and reads back"},
    {"fsync", PB_PARAM_BOOL, "0", 0, -1, "fsync between the write and the read"},
    {"dir", PB_PARAM_STRING, "/tmp", 0, -1, "directory of the workers' files"},
};

/* Writes a file to dir and removes it: the only test of writability that also holds for root
 * and for read-only or full file systems. A directory that cannot be written is the plan's
 * mistake (-EINVAL: exit 2). */
static int file_preflight(const struct pb_workload_env *env, struct pb_err *err)
{
    const char *dir = pb_param_str(env->params, "dir");
    char path[PB_PARAM_STRMAX + 64];
    struct stat st;
    if (stat(dir, &st) < 0)
        return pb_err_set(err, -EINVAL, "io.file: directory '%s' is not writable: %s", dir,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pb_err_set(err, -EINVAL, "io.file: directory '%s' is not writable: %s", dir,
                          strerror(ENOTDIR));
    snprintf(path, sizeof(path), "%s/parbench-%ld-probe", dir, (long)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return pb_err_set(err, -EINVAL, "io.file: directory '%s' is not writable: %s", dir,
                          strerror(errno));
    close(fd);
    unlink(path);
    return 0;
}

static void fill_pattern(unsigned char *p, size_t n, uint64_t seed)
{
    /* xorshift64: no short period, so a shifted copy never matches itself. */
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
}

static void file_worker_fini(void *wstate)
{
    struct file_worker *w = wstate;
    if (!w)
        return;
    for (struct file_slot *s = w->all_slots, *next; s; s = next) {
        next = s->next_all;
        free(s->buf);
        free(s);
    }
    if (w->fd >= 0)
        close(w->fd);
    free(w->pattern);
    free(w->buf);
    free(w);
}

static int file_worker_init(void *shared, const struct pb_workload_env *env,
                            const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    const char *dir = pb_param_str(env->params, "dir");
    char path[PB_PARAM_STRMAX + 64];
    int rc = -ENOMEM;
    struct file_worker *w = calloc(1, sizeof(*w));
    if (!w)
        goto out;
    w->fd = -1;
    w->size = (size_t)pb_param_int(env->params, "size");
    w->fsync = pb_param_bool(env->params, "fsync");
    w->loop = wenv->loop;
    w->pattern = malloc(w->size + PATTERN_SHIFTS);
    if (!w->pattern)
        goto out;
    fill_pattern(w->pattern, w->size + PATTERN_SHIFTS, 0x9e3779b97f4a7c15u * (wenv->index + 1));
    w->buf = malloc(w->size);
    if (!w->buf)
        goto out;
    /* One file per worker, removed as soon as it is open: a process worker that is killed
     * (a timeout, a crash) leaves nothing behind, and the data path is the same. */
    snprintf(path, sizeof(path), "%s/parbench-%ld-%u", dir, (long)getpid(), wenv->index);
    w->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        rc = -errno;
        pb_err_set(err, rc, "io.file: cannot create '%s': %s", path, strerror(errno));
        goto out;
    }
    unlink(path);
    *wstate = w;
    return 0;
out:
    if (rc == -ENOMEM)
        pb_err_set(err, rc, "io.file: out of memory");
    file_worker_fini(w);
    return rc;
}

static const unsigned char *task_pattern(const struct file_worker *w, uint64_t index)
{
    return w->pattern + index % PATTERN_SHIFTS;
}

static enum pb_status file_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct file_worker *w = wstate;
    const unsigned char *src = task_pattern(w, index);
    for (size_t done = 0; done < w->size;) {
        ssize_t n = pwrite(w->fd, src + done, w->size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PB_FAIL_IO;
        done += (size_t)n;
        *bytes += (uint64_t)n;
    }
    if (w->fsync && fsync(w->fd) < 0)
        return PB_FAIL_IO;
    for (size_t done = 0; done < w->size;) {
        ssize_t n = pread(w->fd, w->buf + done, w->size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PB_FAIL_IO;
        done += (size_t)n;
        *bytes += (uint64_t)n;
    }
    return memcmp(w->buf, src, w->size) == 0 ? PB_OK : PB_FAIL_WRONG_RESULT;
}

/* Tasks in flight at once each own a region; regions are reused, so the file and the buffers
 * grow only to the most tasks ever in flight on this worker. */
static struct file_slot *slot_get(struct file_worker *w)
{
    struct file_slot *s = w->free_slots;
    if (s) {
        w->free_slots = s->next_free;
        return s;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->buf = malloc(w->size);
    if (!s->buf) {
        free(s);
        return NULL;
    }
    s->offset = w->nslots++ * (uint64_t)w->size;
    s->next_all = w->all_slots;
    w->all_slots = s;
    return s;
}

static void slot_put(struct file_worker *w, struct file_slot *s)
{
    s->next_free = w->free_slots;
    w->free_slots = s;
}

static void file_step(uv_fs_t *req);

static void task_finish(struct file_task *f, enum pb_status st)
{
    slot_put(f->w, f->slot);
    f->t->done(f->t, st, f->bytes);
}

/* Issues the next request of the task's current stage; a failure to queue ends the task. */
static void task_issue(struct file_task *f)
{
    struct file_worker *w = f->w;
    int rc;
    uv_buf_t b;
    f->req.data = f;
    switch (f->stage) {
    case STAGE_WRITE:
        b = uv_buf_init((char *)f->src + f->moved, (unsigned)(w->size - f->moved));
        rc = uv_fs_write(w->loop, &f->req, w->fd, &b, 1, (int64_t)(f->slot->offset + f->moved),
                         file_step);
        break;
    case STAGE_FSYNC:
        rc = uv_fs_fsync(w->loop, &f->req, w->fd, file_step);
        break;
    default:
        b = uv_buf_init((char *)f->slot->buf + f->moved, (unsigned)(w->size - f->moved));
        rc = uv_fs_read(w->loop, &f->req, w->fd, &b, 1, (int64_t)(f->slot->offset + f->moved),
                        file_step);
        break;
    }
    if (rc < 0)
        task_finish(f, PB_FAIL_IO);
}

static void file_step(uv_fs_t *req)
{
    struct file_task *f = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (f->cancelled || n == UV_ECANCELED) {
        task_finish(f, PB_FAIL_TIMEOUT);
        return;
    }
    if (n < 0 || (n == 0 && f->stage != STAGE_FSYNC)) {
        task_finish(f, PB_FAIL_IO);
        return;
    }
    if (f->stage != STAGE_FSYNC) {
        f->moved += (size_t)n;
        f->bytes += (uint64_t)n;
        if (f->moved < f->w->size) {
            task_issue(f);
            return;
        }
    }
    f->moved = 0;
    if (f->stage == STAGE_READ) {
        int same = memcmp(f->slot->buf, f->src, f->w->size) == 0;
        task_finish(f, same ? PB_OK : PB_FAIL_WRONG_RESULT);
        return;
    }
    f->stage = f->stage == STAGE_WRITE && f->w->fsync ? STAGE_FSYNC : STAGE_READ;
    task_issue(f);
}

static int file_start(void *wstate, struct pb_async_task *t)
{
    struct file_worker *w = wstate;
    struct file_task *f = pb_async_task_data(t);
    f->t = t;
    f->w = w;
    f->slot = slot_get(w);
    if (!f->slot)
        return -ENOMEM;
    f->src = task_pattern(w, t->index);
    f->moved = 0;
    f->bytes = 0;
    f->stage = STAGE_WRITE;
    f->cancelled = 0;
    f->req.data = f;
    struct file_slot *s = f->slot;
    uv_buf_t b = uv_buf_init((char *)f->src, (unsigned)w->size);
    int rc = uv_fs_write(w->loop, &f->req, w->fd, &b, 1, (int64_t)s->offset, file_step);
    if (rc < 0) {
        /* Not started: the runner records the failure, done must not be called. */
        slot_put(w, s);
        return rc;
    }
    return 0;
}

static void file_cancel(void *wstate, struct pb_async_task *t)
{
    struct file_task *f = pb_async_task_data(t);
    /* A request still queued is taken back and completes with UV_ECANCELED; one a pool thread
     * is running cannot be stopped, so the task ends as a timeout when it returns. */
    f->cancelled = 1;
    uv_cancel((uv_req_t *)&f->req);
}

static int threadpool_size(void)
{
    /* libuv reads this when its pool first starts, clamped to [1, 1024]; 4 by default. */
    const char *v = getenv("UV_THREADPOOL_SIZE");
    long n = v ? strtol(v, NULL, 10) : 4;
    if (n < 1)
        n = 1;
    if (n > 1024)
        n = 1024;
    return (int)n;
}

static json_t *file_report(void *shared, const struct pb_workload_env *env)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int64_t size = pb_param_int(env->params, "size");
    json_object_set_new(o, "size_bytes", json_integer(size));
    json_object_set_new(o, "bytes_per_task", json_integer(2 * size));
    json_object_set_new(o, "fsync", json_boolean(pb_param_bool(env->params, "fsync")));
    json_object_set_new(o, "dir", json_string(pb_param_str(env->params, "dir")));
    json_object_set_new(o, "uv_threadpool_size", json_integer(threadpool_size()));
    json_object_set_new(o, "files",
                        json_string("one per worker, unlinked once open; tasks in "
                                    "flight at once use their own regions"));
    return o;
}

const struct pb_workload_ops pb_workload_io_file = {
    .name = "io.file",
    .description = "writes size bytes, optionally fsyncs, reads them back and compares",
    .flags = PB_WL_IO,
    .params = file_params,
    .nparams = sizeof(file_params) / sizeof(file_params[0]),
    .preflight = file_preflight,
    .report = file_report,
    .worker_init = file_worker_init,
    .worker_fini = file_worker_fini,
    .run = file_run,
    .task_size = sizeof(struct file_task),
    .start = file_start,
    .cancel = file_cancel,
};
