/* A workload plug-in: zlib compression of a generated buffer at a given level, checked by
 * inflating it again. Build it out of tree with
 *
 *     cc -O2 -shared -fPIC $(pkg-config --cflags parbench) zlib_workload.c -o zlib.so -lz
 *
 * and run it with `parbench run --plugin ./zlib.so -w zlib -p size=64Ki -p level=6 ...`.
 * Only include/parbench/parbench.h is used: this is everything a workload needs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <parbench/parbench.h>
#include <zlib.h>

static const struct pb_param_def zlib_params[] = {
    {"size", PB_PARAM_INT, "64Ki", 1, 64 << 20, "bytes compressed per task"},
    {"level", PB_PARAM_INT, "6", 0, 9, "zlib compression level (0: store, 9: best)"},
};

/* The input every task compresses: text-like bytes, made once per repetition and shared (in
 * pb_shm_alloc memory, so process workers see it too). */
struct zlib_shared {
    size_t size;
    int level;
    unsigned char data[];
};

/* A worker's own buffers: allocated before the start gate, so no task allocates. */
struct zlib_worker {
    const struct zlib_shared *in;
    unsigned char *packed, *unpacked;
    uLong packed_cap;
};

static size_t shared_bytes(size_t size)
{
    return sizeof(struct zlib_shared) + size;
}

static int zlib_prepare(const struct pb_workload_env *env, void **shared, struct pb_err *err)
{
    size_t size = (size_t)pb_param_int(env->params, "size");
    struct zlib_shared *s = pb_shm_alloc(shared_bytes(size));
    if (!s)
        return pb_err_set(err, -ENOMEM, "zlib: out of memory for %zu bytes", size);
    s->size = size;
    s->level = (int)pb_param_int(env->params, "level");
    /* Words from a small vocabulary in a pseudo-random order: compressible like text is. */
    static const char *const words[] = {"thread ", "process ", "event ", "loop ", "queue ",
                                        "task ",   "worker ",  "lock ",  "core ", "cache "};
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < size;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *w = words[x % 10];
        for (size_t k = 0; w[k] && i < size; k++)
            s->data[i++] = (unsigned char)w[k];
    }
    *shared = s;
    return 0;
}

static void zlib_release(void *shared)
{
    struct zlib_shared *s = shared;
    if (s)
        pb_shm_free(s, shared_bytes(s->size));
}

static void zlib_worker_fini(void *wstate)
{
    struct zlib_worker *w = wstate;
    if (!w)
        return;
    free(w->packed);
    free(w->unpacked);
    free(w);
}

static int zlib_worker_init(void *shared, const struct pb_workload_env *env,
                            const struct pb_worker_env *wenv, void **wstate, struct pb_err *err)
{
    const struct zlib_shared *s = shared;
    struct zlib_worker *w = calloc(1, sizeof(*w));
    (void)env;
    if (w) {
        w->in = s;
        w->packed_cap = compressBound((uLong)s->size);
        w->packed = malloc(w->packed_cap);
        w->unpacked = malloc(s->size);
    }
    if (!w || !w->packed || !w->unpacked) {
        zlib_worker_fini(w);
        return pb_err_set(err, -ENOMEM, "zlib: out of memory for worker %u", wenv->index);
    }
    *wstate = w;
    return 0;
}

/* Compress, inflate again, compare: a wrong result is a failed task, not a fast one. */
static enum pb_status zlib_run(void *wstate, uint64_t index, uint64_t *bytes)
{
    struct zlib_worker *w = wstate;
    (void)index; /* every task compresses the same buffer */
    uLongf packed = w->packed_cap, unpacked = (uLongf)w->in->size;
    if (compress2(w->packed, &packed, w->in->data, (uLong)w->in->size, w->in->level) != Z_OK)
        return PB_FAIL_OTHER;
    if (uncompress(w->unpacked, &unpacked, w->packed, packed) != Z_OK || unpacked != w->in->size ||
        memcmp(w->unpacked, w->in->data, unpacked) != 0)
        return PB_FAIL_WRONG_RESULT;
    *bytes += w->in->size;
    return PB_OK;
}

/* The compressed size, for the document: the ratio a level buys. */
static json_t *zlib_report(void *shared, const struct pb_workload_env *env)
{
    const struct zlib_shared *s = shared;
    uLongf packed = compressBound((uLong)s->size);
    unsigned char *buf = malloc(packed);
    json_t *o = json_object();
    (void)env;
    json_object_set_new(o, "zlib_version", json_string(zlibVersion()));
    if (buf && compress2(buf, &packed, s->data, (uLong)s->size, s->level) == Z_OK)
        json_object_set_new(o, "compressed_bytes", json_integer((json_int_t)packed));
    free(buf);
    return o;
}

static const struct pb_workload_ops zlib_workload = {
    .name = "zlib",
    .description = "zlib compress2 of a generated text buffer, checked by inflating it again",
    .flags = PB_WL_CPU,
    .params = zlib_params,
    .nparams = sizeof(zlib_params) / sizeof(zlib_params[0]),
    .prepare = zlib_prepare,
    .release = zlib_release,
    .report = zlib_report,
    .worker_init = zlib_worker_init,
    .worker_fini = zlib_worker_fini,
    .run = zlib_run,
};

static const struct pb_workload_ops *const workloads[] = {&zlib_workload};

PB_PLUGIN("zlib", "1.0.0", NULL, 0, workloads, 1);
