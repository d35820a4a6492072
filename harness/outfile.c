/* The files parbench writes: standard output, a device or FIFO written through, or a regular
 * file replaced through a temporary and rename (see outfile.h). */
#include "harness/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum kind {
    OUT_DONE,    /* committed, aborted or never opened */
    OUT_STDOUT,  /* fd 1, left open */
    OUT_THROUGH, /* a device or FIFO, written as it is */
    OUT_REPLACE, /* tmp, renamed over path */
    OUT_FRESH,   /* path is a new file of our own (a rescue): written in place */
};

#define TMP_INFIX   ".tmp."
#define RAND_CHARS  8
#define MAX_CREATES 100

/* The directory part of p into out ("." for none), as dirname(3) but without touching p. */
static void parent_dir(const char *p, char *out, size_t len)
{
    snprintf(out, len, "%s", p);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = 0;
    char *slash = strrchr(out, '/');
    if (!slash) {
        snprintf(out, len, ".");
        return;
    }
    while (slash > out && slash[-1] == '/')
        slash--;
    slash[slash == out ? 1 : 0] = 0;
}

static int ends_with_slash(const char *p)
{
    size_t n = strlen(p);
    return n > 0 && p[n - 1] == '/';
}

static void random_chars(char *buf, size_t n)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long long mix;
    unsigned char r[32];
    if (n > sizeof(r))
        n = sizeof(r);
    if (getrandom(r, n, GRND_NONBLOCK) != (ssize_t)n) {
        /* No entropy yet: unpredictable enough for a name that O_EXCL guards anyway. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        mix +=
            (unsigned long long)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (unsigned long long)getpid();
        for (size_t i = 0; i < n; i++) {
            mix ^= mix << 13, mix ^= mix >> 7, mix ^= mix << 17;
            r[i] = (unsigned char)mix;
        }
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = set[r[i] % (sizeof(set) - 1)];
    buf[n] = 0;
}

/* Creates a new file prefix + random + suffix, never following a link and never opening one
 * that exists; mode 0666 goes through the umask as fopen's does. Returns the fd, or -errno. */
static int create_unique(char *name, size_t len, const char *prefix, const char *suffix)
{
    for (int i = 0; i < MAX_CREATES; i++) {
        char r[RAND_CHARS + 1];
        random_chars(r, RAND_CHARS);
        if ((size_t)snprintf(name, len, "%s%s%s", prefix, r, suffix) >= len)
            return -ENAMETOOLONG;
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* mkdir -p of path's directories (not of path itself). */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

static const char *name_of(const char *path, char *buf, size_t len)
{
    if (strcmp(path, "-") == 0)
        return "the standard output";
    snprintf(buf, len, "'%s'", path);
    return buf;
}

enum dest {
    DEST_NEW,     /* nothing there (or a dangling link, which is replaced) */
    DEST_FILE,    /* a regular file, replaced */
    DEST_THROUGH, /* written through: a device, a FIFO, a file with no name of its own */
    DEST_DIR,
    DEST_SOCKET,
};

/* What is at path, links followed. For a regular file, real is where it is: a link to one stays
 * a link, and /dev/stdout (-> /proc/self/fd/1) is never replaced. Returns an enum dest or
 * -errno; a missing path or directory is DEST_NEW (the directory walk tells them apart). */
static int classify(const char *path, char *real, size_t len)
{
    struct stat st, lst, rst;
    char buf[PATH_MAX];
    snprintf(real, len, "%s", path);
    if (stat(path, &st) < 0)
        return errno == ENOENT || errno == ENOTDIR ? DEST_NEW : -errno;
    if (S_ISDIR(st.st_mode))
        return DEST_DIR;
    if (S_ISSOCK(st.st_mode))
        return DEST_SOCKET;
    if (!S_ISREG(st.st_mode))
        return DEST_THROUGH;
    if (lstat(path, &lst) < 0 || !S_ISLNK(lst.st_mode))
        return DEST_FILE;
    if (!realpath(path, buf) || lstat(buf, &rst) < 0 || !S_ISREG(rst.st_mode) ||
        rst.st_dev != st.st_dev || rst.st_ino != st.st_ino || strlen(buf) >= len)
        return DEST_THROUGH; /* /proc/self/fd/N of a deleted file: only the link reaches it */
    snprintf(real, len, "%s", buf);
    return DEST_FILE;
}

int pb_out_exit_code(int rc)
{
    return rc == -EISDIR || rc == -ENOENT || rc == -EINVAL || rc == -ENAMETOOLONG ? PB_EXIT_USAGE
                                                                                  : PB_EXIT_ENV;
}

int pb_out_check(const char *path, unsigned flags, struct pb_err *err)
{
    struct stat st;
    if (!path || !*path)
        return pb_err_set(err, -EINVAL, "no output file named");
    if (strcmp(path, "-") == 0) {
        int fl = fcntl(STDOUT_FILENO, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
            return pb_err_set(err, -EBADF, "cannot write the standard output: %s",
                              fl < 0 ? "it is closed" : "it is open read-only");
        return 0;
    }
    if (strlen(path) + strlen(TMP_INFIX) + RAND_CHARS >= PATH_MAX)
        return pb_err_set(err, -ENAMETOOLONG, "output '%.100s...' is too long a path", path);
    if (ends_with_slash(path))
        return pb_err_set(err, -EISDIR, "output '%s' names a directory", path);
    char real[PATH_MAX];
    int kind = classify(path, real, sizeof(real));
    if (kind < 0)
        return pb_err_set(err, kind, "cannot write '%s': %s", path, strerror(-kind));
    if (kind == DEST_DIR)
        return pb_err_set(err, -EISDIR, "output '%s' is a directory", path);
    if (kind == DEST_SOCKET)
        return pb_err_set(err, -ENXIO, "cannot write '%s': it is a socket", path);
    if (kind == DEST_THROUGH) {
        /* Opened at the end: opening it now could block (a FIFO) or act (a device). */
        if (access(path, W_OK) < 0)
            return pb_err_set(err, -errno, "cannot write '%s': %s", path, strerror(errno));
        return 0;
    }

    /* A regular file or nothing: the temporary goes into its directory, or into the nearest
     * existing one above it if the missing directories are to be made. */
    char dir[PATH_MAX], up[PATH_MAX];
    int missing = 0;
    parent_dir(real, dir, sizeof(dir));
    while (stat(dir, &st) < 0) {
        int e = errno;
        parent_dir(dir, up, sizeof(up));
        if ((e != ENOENT && e != ENOTDIR) || strcmp(up, dir) == 0)
            return pb_err_set(err, -e, "cannot create '%s': %s", path, strerror(e));
        missing |= e == ENOENT;
        memcpy(dir, up, sizeof(dir));
    }
    if (!S_ISDIR(st.st_mode))
        return pb_err_set(err, -ENOTDIR, "cannot create '%s': '%s' is not a directory", path, dir);
    if (missing && !(flags & PB_OUT_MKDIRS)) {
        parent_dir(path, up, sizeof(up));
        return pb_err_set(err, -ENOENT, "cannot create '%s': no directory '%s'", path, up);
    }
    char prefix[PATH_MAX], probe[PATH_MAX];
    int fd = -ENAMETOOLONG;
    if ((size_t)snprintf(prefix, sizeof(prefix), "%s/.parbench-check.", dir) < sizeof(prefix))
        fd = create_unique(probe, sizeof(probe), prefix, "");
    if (fd < 0)
        return pb_err_set(err, fd, "cannot create '%s'%s: %s", path,
                          missing ? " (its directories)" : "", strerror(-fd));
    close(fd);
    unlink(probe);
    return 0;
}

/* The stream's writes: all of buf or an error, whose errno is kept for commit. */
static ssize_t out_write(void *cookie, const char *buf, size_t size)
{
    struct pb_out *o = cookie;
    size_t done = 0;
    if (o->error)
        return 0; /* fopencookie: 0 is an error; nothing after a gap */
    while (done < size) {
        ssize_t n = write(o->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->error = n < 0 ? errno : EIO;
            return 0;
        }
        done += (size_t)n;
    }
    return (ssize_t)size;
}

static int start_stream(struct pb_out *o, int kind, struct pb_err *err)
{
    cookie_io_functions_t io = {.write = out_write};
    char nb[PATH_MAX + 2];
    o->kind = kind;
    o->f = fopencookie(o, "w", io);
    if (o->f)
        return 0;
    pb_out_abort(o);
    return pb_err_set(err, -ENOMEM, "cannot write %s: out of memory",
                      name_of(o->path, nb, sizeof(nb)));
}

int pb_out_open(struct pb_out *o, const char *path, struct pb_err *err)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    if (!path || !*path)
        return pb_err_set(err, -EINVAL, "no output file named");
    if (strlen(path) + strlen(TMP_INFIX) + RAND_CHARS >= PATH_MAX)
        return pb_err_set(err, -ENAMETOOLONG, "output '%.100s...' is too long a path", path);
    snprintf(o->path, sizeof(o->path), "%s", path);
    if (strcmp(path, "-") == 0) {
        fflush(stdout); /* what was printed before comes first */
        o->fd = STDOUT_FILENO;
        return start_stream(o, OUT_STDOUT, err);
    }
    if (ends_with_slash(path))
        return pb_err_set(err, -EISDIR, "output '%s' names a directory", path);
    int kind = classify(path, o->dest, sizeof(o->dest));
    if (kind == DEST_DIR)
        return pb_err_set(err, -EISDIR, "output '%s' is a directory", path);
    if (kind == DEST_THROUGH || kind == DEST_SOCKET) {
        int fd;
        do /* no O_CREAT: what is there is written, nothing made */
            fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
            return pb_err_set(err, -errno, "cannot write '%s': %s", path, strerror(errno));
        o->fd = fd;
        return start_stream(o, OUT_THROUGH, err);
    }
    /* Anything else (nothing there, a file, an error stat saw) is for the temporary's open. */
    int rc = make_dirs(o->dest);
    if (rc < 0)
        return pb_err_set(err, rc, "cannot create the directory of '%s': %s", path, strerror(-rc));
    char prefix[PATH_MAX];
    int fd = -ENAMETOOLONG;
    if ((size_t)snprintf(prefix, sizeof(prefix), "%s%s", o->dest, TMP_INFIX) < sizeof(prefix))
        fd = create_unique(o->tmp, sizeof(o->tmp), prefix, "");
    if (fd < 0) {
        o->tmp[0] = 0;
        return pb_err_set(err, fd, "cannot create a temporary file beside '%s': %s", o->dest,
                          strerror(-fd));
    }
    o->fd = fd;
    return start_stream(o, OUT_REPLACE, err);
}

/* What fopen("w") on the existing file would have kept: its mode and owner. */
static void keep_mode(const struct pb_out *o)
{
    struct stat st;
    if (lstat(o->dest, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    if (st.st_uid != geteuid() || st.st_gid != getegid())
        (void)!fchown(o->fd, st.st_uid, st.st_gid); /* not allowed: the file becomes ours */
    fchmod(o->fd, st.st_mode & 0777);
}

/* The rename is on disk too (best effort: some file systems cannot fsync a directory). */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    parent_dir(path, dir, sizeof(dir));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int pb_out_commit(struct pb_out *o, struct pb_err *err)
{
    char nb[PATH_MAX + 2];
    const char *name = name_of(o->path, nb, sizeof(nb));
    int rc = 0;
    if (!o->f)
        return pb_err_set(err, -EINVAL, "cannot write %s: not open", name);
    if (fflush(o->f) != 0 || ferror(o->f))
        rc = -(o->error ? o->error : EIO);
    fclose(o->f); /* flushed already: it frees the stream, the descriptor is ours */
    o->f = NULL;
    if (rc == 0 && (o->kind == OUT_REPLACE || o->kind == OUT_FRESH)) {
        if (o->kind == OUT_REPLACE)
            keep_mode(o);
        if (fsync(o->fd) < 0)
            rc = -errno;
    }
    if (o->kind != OUT_STDOUT && close(o->fd) < 0 && rc == 0 && errno != EINTR)
        rc = -errno;
    o->fd = -1;
    if (rc == 0 && o->kind == OUT_REPLACE && rename(o->tmp, o->dest) < 0)
        rc = -errno;
    if (rc < 0) {
        if (o->tmp[0])
            unlink(o->tmp);
        o->kind = OUT_DONE;
        return pb_err_set(err, rc, "cannot write %s: %s", name, strerror(-rc));
    }
    if (o->kind == OUT_REPLACE || o->kind == OUT_FRESH)
        sync_dir(o->dest);
    o->kind = OUT_DONE;
    return 0;
}

void pb_out_abort(struct pb_out *o)
{
    if (o->f) {
        o->error = o->error ? o->error : ECANCELED; /* fclose's flush writes nothing */
        fclose(o->f);
        o->f = NULL;
    }
    if (o->fd >= 0 && o->kind != OUT_STDOUT)
        close(o->fd);
    o->fd = -1;
    if (o->kind != OUT_DONE && o->tmp[0])
        unlink(o->tmp);
    o->kind = OUT_DONE;
}

static int dump(struct pb_out *o, const json_t *doc, size_t json_flags, struct pb_err *err)
{
    if ((json_dumpf(doc, o->f, json_flags) < 0 || fputc('\n', o->f) == EOF) && !o->error) {
        char nb[PATH_MAX + 2];
        pb_out_abort(o);
        return pb_err_set(err, -EINVAL, "cannot encode the document for %s",
                          name_of(o->path, nb, sizeof(nb)));
    }
    return pb_out_commit(o, err); /* a failed write is reported there, with its errno */
}

int pb_out_write_json(const char *path, const json_t *doc, size_t json_flags, struct pb_err *err)
{
    struct pb_out o;
    int rc = pb_out_open(&o, path, err);
    return rc < 0 ? rc : dump(&o, doc, json_flags, err);
}

int pb_out_rescue_json(const json_t *doc, size_t json_flags, const char *path, char *where,
                       size_t len, struct pb_err *err)
{
    /* The name says what it was meant to be: the last component, less .json. */
    char base[65] = "stdout";
    if (path && strcmp(path, "-") != 0) {
        const char *b = strrchr(path, '/');
        snprintf(base, sizeof(base), "%s", b ? b + 1 : path);
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
            base[n - 5] = 0;
        if (!base[0] || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
            snprintf(base, sizeof(base), "document");
    }
    const char *tmpdir = getenv("TMPDIR");
    const char *dirs[] = {tmpdir && *tmpdir ? tmpdir : NULL, "/tmp"};
    int rc = -ENOENT;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (!dirs[i] || (i > 0 && dirs[0] && strcmp(dirs[0], dirs[i]) == 0))
            continue;
        struct pb_out o;
        char prefix[PATH_MAX];
        memset(&o, 0, sizeof(o));
        int fd = -ENAMETOOLONG;
        if ((size_t)snprintf(prefix, sizeof(prefix), "%s/parbench-%s-", dirs[i], base) <
            sizeof(prefix))
            fd = create_unique(o.path, sizeof(o.path), prefix, ".json");
        if (fd < 0) {
            rc = pb_err_set(err, fd, "cannot keep it in %s either: %s", dirs[i], strerror(-fd));
            continue;
        }
        /* A name nobody knows yet: written in place, removed if that fails. */
        memcpy(o.tmp, o.path, sizeof(o.tmp));
        memcpy(o.dest, o.path, sizeof(o.dest));
        o.fd = fd;
        if ((rc = start_stream(&o, OUT_FRESH, err)) == 0 &&
            (rc = dump(&o, doc, json_flags, err)) == 0) {
            snprintf(where, len, "%s", o.path);
            return 0;
        }
        rc = pb_err_set(err, rc, "cannot keep it in %s either: %s", dirs[i], strerror(-rc));
    }
    return rc;
}
