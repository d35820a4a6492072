/* Unit tests of harness/outfile: the up-front check's codes, replacing through a temporary
 * (mode, owner's mode, atomicity, abort, failed writes), writing through a FIFO, standard
 * output and the rescue into the temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/outfile.h"

static char dir[PATH_MAX / 2]; /* room for the names under it */

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "%s/pb-test-outfile-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
    static char buf[4][PATH_MAX];
    static int i;
    i = (i + 1) % 4;
    assert_true((size_t)snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name) < sizeof(buf[i]));
    return buf[i];
}

/* The names in d, sorted and joined with spaces. */
static const char *listing(const char *d)
{
    static char out[4096];
    struct dirent **names;
    int n = scandir(d, &names, NULL, alphasort);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "",
                     names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return out;
}

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static const char *get(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_check(void **state)
{
    struct pb_err err = {""};
    assert_int_equal(mkdir(at("d"), 0755), 0);
    put(at("file"), "x\n", 0644);
    assert_int_equal(mkfifo(at("fifo"), 0644), 0);
    const char *before = strdup(listing(dir));

    assert_int_equal(pb_out_check("-", 0, &err), 0);
    assert_int_equal(pb_out_check("", 0, &err), -EINVAL);
    assert_int_equal(pb_out_check(at("d"), 0, &err), -EISDIR);
    assert_non_null(strstr(err.msg, at("d")));
    assert_int_equal(pb_out_check(at("new/"), 0, &err), -EISDIR);
    assert_int_equal(pb_out_check(at("new.json"), 0, &err), 0);
    assert_int_equal(pb_out_check(at("file"), 0, &err), 0);
    assert_int_equal(pb_out_check(at("fifo"), 0, &err), 0); /* without blocking on a reader */
    assert_int_equal(pb_out_check(at("d/no/x.json"), 0, &err), -ENOENT);
    assert_int_equal(pb_out_check(at("d/no/x.json"), PB_OUT_MKDIRS, &err), 0);
    assert_int_equal(pb_out_check(at("file/x.json"), 0, &err), -ENOTDIR);
    assert_int_equal(pb_out_check(at("file/a/x.json"), PB_OUT_MKDIRS, &err), -ENOTDIR);
    assert_non_null(strstr(err.msg, at("file"))); /* the component in the way */
    assert_non_null(strstr(err.msg, "is not a directory"));

    assert_int_equal(pb_out_exit_code(-EISDIR), 2);
    assert_int_equal(pb_out_exit_code(-ENOENT), 2);
    assert_int_equal(pb_out_exit_code(-ENOTDIR), 3);
    assert_int_equal(pb_out_exit_code(-EACCES), 3);
    assert_int_equal(pb_out_exit_code(-EROFS), 3);

    assert_string_equal(listing(dir), before); /* nothing made, no probe left */
    assert_string_equal(listing(at("d")), "");
    free((void *)before);
}

static void test_replace(void **state)
{
    struct pb_out o;
    struct pb_err err = {""};
    const char *out = at("out.json");
    put(out, "old\n", 0604);
    assert_int_equal(pb_out_open(&o, out, &err), 0);
    fputs("new\n", o.f);
    fflush(o.f);
    /* Until the commit a reader sees the old file, and the new one is a temporary beside. */
    assert_string_equal(get(out), "old\n");
    assert_non_null(strstr(o.tmp, "out.json.tmp."));
    assert_string_equal(get(o.tmp), "new\n");
    assert_int_equal(pb_out_commit(&o, &err), 0);
    assert_string_equal(get(out), "new\n");
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0604); /* fopen("w") would have kept it */
    assert_string_equal(listing(dir), "out.json");
    pb_out_abort(&o); /* after a commit: nothing */
    assert_string_equal(get(out), "new\n");
}

static void test_new_file_mode(void **state)
{
    struct pb_err err = {""};
    json_t *doc = json_pack("{s:i}", "a", 1);
    mode_t old = umask(027);
    assert_int_equal(pb_out_write_json(at("m.json"), doc, 0, &err), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(at("m.json"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_string_equal(get(at("m.json")), "{\"a\": 1}\n");
    json_decref(doc);
}

static void test_abort_and_two_writers(void **state)
{
    struct pb_out a, b;
    struct pb_err err = {""};
    const char *out = at("x");
    put(out, "old\n", 0644);
    assert_int_equal(pb_out_open(&a, out, &err), 0);
    assert_int_equal(pb_out_open(&b, out, &err), 0);
    assert_string_not_equal(a.tmp, b.tmp); /* not a name anyone could plant in advance */
    fputs("a\n", a.f);
    fputs("b\n", b.f);
    pb_out_abort(&a);
    assert_string_equal(get(out), "old\n");
    assert_int_equal(pb_out_commit(&b, &err), 0);
    assert_string_equal(get(out), "b\n");
    assert_string_equal(listing(dir), "x");
}

static void test_links_and_dirs(void **state)
{
    struct pb_err err = {""};
    json_t *doc = json_pack("[]");
    struct stat st;
    put(at("target"), "old\n", 0640);
    assert_int_equal(symlink("target", at("link")), 0);
    assert_int_equal(pb_out_check(at("link"), 0, &err), 0);
    assert_int_equal(pb_out_write_json(at("link"), doc, 0, &err), 0);
    assert_int_equal(lstat(at("link"), &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* the link stays, the file it names is replaced */
    assert_string_equal(get(at("target")), "[]\n");
    assert_int_equal(stat(at("target"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    assert_int_equal(symlink("nowhere", at("dangling")), 0);
    assert_int_equal(pb_out_write_json(at("dangling"), doc, 0, &err), 0);
    assert_int_equal(lstat(at("dangling"), &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* replaced, not followed into a new file */
    assert_int_equal(lstat(at("nowhere"), &st), -1);
    assert_string_equal(listing(dir), "dangling link target");

    assert_int_equal(pb_out_write_json(at("a/b/c.json"), doc, 0, &err), 0);
    assert_string_equal(get(at("a/b/c.json")), "[]\n");
    assert_string_equal(listing(at("a/b")), "c.json");
    json_decref(doc);
}

static void test_failed_write(void **state)
{
    struct pb_out o;
    struct pb_err err = {""};
    struct rlimit orig, small;
    const char *out = at("big");
    put(out, "old\n", 0644);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &orig), 0);
    small = orig;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN); /* EFBIG instead of the signal: a disk that fills up */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(pb_out_open(&o, out, &err), 0);
    for (int i = 0; i < 1000; i++)
        fputs("0123456789012345678901234567890123456789\n", o.f);
    int rc = pb_out_commit(&o, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &orig), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, -EFBIG);
    assert_non_null(strstr(err.msg, out));
    assert_non_null(strstr(err.msg, "too large"));
    assert_null(o.f);
    assert_string_equal(get(out), "old\n");
    assert_string_equal(listing(dir), "big");
}

static void test_fifo(void **state)
{
    struct pb_out o;
    struct pb_err err = {""};
    const char *fifo = at("fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK); /* so that the writer's open does not wait */
    assert_true(rd >= 0);
    assert_int_equal(pb_out_open(&o, fifo, &err), 0);
    assert_string_equal(o.tmp, "");
    fputs("through\n", o.f);
    assert_int_equal(pb_out_commit(&o, &err), 0);
    char buf[64] = "";
    assert_int_equal(read(rd, buf, sizeof(buf) - 1), 8);
    assert_string_equal(buf, "through\n");
    close(rd);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_string_equal(listing(dir), "fifo");
}

/* Runs pb_out_write_json("-") with fd 1 on fd; returns its result. */
static int write_stdout_to(int fd, const json_t *doc, struct pb_err *err)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    int rc = pb_out_write_json("-", doc, 0, err);
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    return rc;
}

static void test_stdout(void **state)
{
    struct pb_err err = {""};
    json_t *doc = json_pack("{s:s}", "k", "v");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write_stdout_to(fds[1], doc, &err), 0);
    close(fds[1]);
    char buf[64] = "";
    assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
    close(fds[0]);
    assert_string_equal(buf, "{\"k\": \"v\"}\n");

    int full = open("/dev/full", O_WRONLY); /* written through fd 1: the node is never named */
    assert_true(full >= 0);
    assert_int_equal(write_stdout_to(full, doc, &err), -ENOSPC);
    close(full);
    assert_non_null(strstr(err.msg, "standard output"));
    assert_non_null(strstr(err.msg, "No space left on device"));
    json_decref(doc);
}

static void test_rescue(void **state)
{
    struct pb_err err = {""};
    char where[PATH_MAX];
    json_t *doc = json_pack("{s:b}", "complete", 1);
    const char *saved = getenv("TMPDIR");
    char *keep = saved ? strdup(saved) : NULL;

    assert_int_equal(mkdir(at("rescue"), 0755), 0);
    setenv("TMPDIR", at("rescue"), 1);
    assert_int_equal(pb_out_rescue_json(doc, 0, "results/runs/x.json", where, sizeof(where), &err),
                     0);
    assert_int_equal(strncmp(where, at("rescue/parbench-x-"), strlen(at("rescue/parbench-x-"))), 0);
    assert_string_equal(where + strlen(where) - 5, ".json");
    assert_string_equal(get(where), "{\"complete\": true}\n");

    /* TMPDIR that does not work: /tmp is next. */
    setenv("TMPDIR", at("no-such-dir"), 1);
    assert_int_equal(pb_out_rescue_json(doc, 0, "-", where, sizeof(where), &err), 0);
    assert_int_equal(strncmp(where, "/tmp/parbench-stdout-", 21), 0);
    assert_string_equal(get(where), "{\"complete\": true}\n");
    unlink(where);

    if (keep)
        setenv("TMPDIR", keep, 1);
    else
        unsetenv("TMPDIR");
    free(keep);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_file_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_two_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_and_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
