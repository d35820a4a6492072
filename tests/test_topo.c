/* Unit tests for topology loading and description, and the `parbench topo` subcommand (pin
 * plans: test_pin.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit.h"
#include <hwloc.h>
#include <jansson.h>

#include "harness/cmd_topo.h"
#include "harness/topo.h"

static void test_small(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_SMALL);
    assert_int_equal(pb_topo_pu_count(t), 2);
    assert_int_equal(pb_topo_core_count(t), 2);
    assert_string_equal(pb_topo_cpu_model(t), "unknown");
    assert_string_equal(pb_topo_source(t), TOPO_SMALL);
    assert_false(pb_topo_is_this_system(t));
    pb_topo_destroy(t);
}

/* The PUs by number, their cores and the whole set: what a pin plan reads of a topology. */
static void test_pus(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_INTEL);
    struct pb_cpuset all;
    char buf[256];

    assert_int_equal(pb_topo_pu_count(t), 32);
    assert_int_equal(pb_topo_core_count(t), 16);
    /* logical order: core k's PUs k and k+16 side by side */
    assert_int_equal(pb_topo_pu_os_index(t, 0), 0);
    assert_int_equal(pb_topo_pu_os_index(t, 1), 16);
    assert_int_equal(pb_topo_pu_os_index(t, 2), 1);
    assert_int_equal(pb_topo_pu_os_index(t, 31), 31);
    assert_int_equal(pb_topo_pu_find(t, 16), 1);
    assert_int_equal(pb_topo_pu_find(t, 31), 31);
    assert_int_equal(pb_topo_pu_find(t, 32), -1);
    assert_int_equal(pb_topo_pu_find(t, 100000), -1);
    for (unsigned i = 0; i < 32; i++)
        assert_int_equal(pb_topo_pu_core(t, i), i & ~1u);
    pb_topo_pu_set(t, &all);
    assert_string_equal(pb_cpuset_format(&all, buf, sizeof(buf)), "0-31");
    pb_topo_destroy(t);

    /* no core level: each PU is its own core */
    t = test_load_topo("synthetic:pack:2 pu:3");
    assert_int_equal(pb_topo_core_count(t), 6);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(pb_topo_pu_core(t, i), i);
    pb_topo_destroy(t);
}

/* The spread scatter plans use: packages first, then cores, never more than the PUs. */
static void test_spread(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_BIG);
    struct pb_err err = {{0}};
    unsigned order[32], count = 0;

    assert_int_equal(pb_topo_spread(t, 4, order, &count, &err), 0);
    assert_int_equal(count, 4);
    assert_int_equal(pb_topo_pu_os_index(t, order[0]), 0);
    assert_int_equal(pb_topo_pu_os_index(t, order[1]), 16);
    assert_int_equal(pb_topo_pu_os_index(t, order[2]), 8);
    assert_int_equal(pb_topo_pu_os_index(t, order[3]), 24);
    assert_int_equal(pb_topo_spread(t, 1000, order, &count, &err), 0);
    assert_int_equal(count, 32);
    pb_topo_destroy(t);
}

static void test_intel_numbering(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_INTEL);
    json_t *j = pb_topo_to_json(t);
    json_t *pus = json_object_get(j, "pu_os_indices");
    assert_int_equal(json_array_size(pus), 32);
    assert_int_equal(json_integer_value(json_array_get(pus, 1)), 16);
    json_decref(j);
    pb_topo_destroy(t);
}

static void test_numa(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_NUMA4);
    json_t *j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "cores")), 16);
    assert_int_equal(json_integer_value(json_object_get(j, "pus")), 32);
    json_decref(j);
    pb_topo_destroy(t);

    t = test_load_topo(TOPO_FLAT4);
    j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 4);
    json_decref(j);
    pb_topo_destroy(t);
}

static void test_caches_json(void **state)
{
    struct pb_topo *t = test_load_topo(TOPO_CACHED);
    json_t *j = pb_topo_to_json(t);
    json_t *caches = json_object_get(j, "caches");
    static const struct {
        int level;
        const char *type;
        int count;
    } want[] = {{1, "data", 16}, {2, "unified", 16}, {3, "unified", 2}};

    assert_int_equal(json_array_size(caches), 3);
    for (unsigned i = 0; i < 3; i++) {
        json_t *c = json_array_get(caches, i);
        assert_int_equal(json_integer_value(json_object_get(c, "level")), want[i].level);
        assert_string_equal(json_string_value(json_object_get(c, "type")), want[i].type);
        assert_int_equal(json_integer_value(json_object_get(c, "count")), want[i].count);
        assert_true(json_integer_value(json_object_get(c, "size_bytes")) > 0);
    }
    assert_string_equal(json_string_value(json_object_get(j, "cpu_model")), "unknown");
    assert_null(json_object_get(j, "tree"));
    json_decref(j);

    j = pb_topo_tree_to_json(t);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "Machine");
    assert_true(json_array_size(json_object_get(j, "children")) >= 2);
    json_decref(j);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    pb_topo_print(t, f);
    fclose(f);
    assert_non_null(strstr(text, "2 packages, 1 NUMA node, 16 cores, 32 PUs"));
    assert_non_null(strstr(text, "Core L#0: PUs 0-1"));
    assert_non_null(strstr(text, "L3 "));
    free(text);
    pb_topo_destroy(t);
}

static void test_xml_round_trip(void **state)
{
    char path[] = "/tmp/pb_test_topo_XXXXXX";
    int fd = mkstemp(path);
    hwloc_topology_t h;

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(hwloc_topology_init(&h), 0);
    assert_int_equal(hwloc_topology_set_synthetic(h, "pack:2 numa:1 l3:1 core:4 pu:2"), 0);
    assert_int_equal(hwloc_topology_load(h), 0);
    for (int i = 0; i < 2; i++)
        hwloc_obj_add_info(hwloc_get_obj_by_type(h, HWLOC_OBJ_PACKAGE, (unsigned)i), "CPUModel",
                           "Test CPU 9000");
    assert_int_equal(hwloc_topology_export_xml(h, path, 0), 0);
    hwloc_topology_destroy(h);

    struct pb_topo *t = test_load_topo(path);
    assert_int_equal(pb_topo_pu_count(t), 16);
    assert_int_equal(pb_topo_core_count(t), 8);
    assert_string_equal(pb_topo_cpu_model(t), "Test CPU 9000");
    json_t *j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "caches")), 1);
    json_decref(j);
    struct pb_err serr = {{0}};
    unsigned order[2], count = 0;
    assert_int_equal(pb_topo_spread(t, 2, order, &count, &serr), 0);
    assert_int_equal(count, 2);
    assert_int_equal(pb_topo_pu_os_index(t, order[0]), 0);
    assert_int_equal(pb_topo_pu_os_index(t, order[1]), 8); /* the other package */
    pb_topo_destroy(t);

    /* the same file through PARBENCH_TOPOLOGY */
    setenv("PARBENCH_TOPOLOGY", path, 1);
    t = test_load_topo(NULL);
    unsetenv("PARBENCH_TOPOLOGY");
    assert_int_equal(pb_topo_pu_count(t), 16);
    assert_string_equal(pb_topo_source(t), path);
    pb_topo_destroy(t);

    /* a file that is not XML */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not xml at all\n", f);
    fclose(f);
    struct pb_err err = {{0}};
    t = (struct pb_topo *)&err;
    assert_int_equal(pb_topo_load(&t, path, &err), -EINVAL);
    assert_null(t);
    assert_true(strncmp(err.msg, "cannot load topology '", 22) == 0);
    unlink(path);
}

static void test_load_errors(void **state)
{
    struct pb_topo *t = NULL;
    struct pb_err err = {{0}};

    assert_int_equal(pb_topo_load(&t, "synthetic:bogus:3", &err), -EINVAL);
    assert_null(t);
    assert_true(strncmp(err.msg, "cannot load topology 'synthetic:bogus:3': ", 42) == 0);
    assert_int_equal(pb_topo_load(&t, "/nonexistent/topo.xml", &err), -ENOENT);
    assert_string_equal(err.msg,
                        "cannot load topology '/nonexistent/topo.xml': No such file or directory");

    setenv("PARBENCH_TOPOLOGY", "synthetic:nonsense", 1);
    assert_int_equal(pb_topo_load(&t, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'synthetic:nonsense'"));
    setenv("PARBENCH_TOPOLOGY", TOPO_SMALL, 1);
    t = test_load_topo(NULL);
    assert_int_equal(pb_topo_pu_count(t), 2);
    pb_topo_destroy(t);
    /* an explicit source wins over the environment */
    t = test_load_topo(TOPO_BIG);
    assert_int_equal(pb_topo_pu_count(t), 32);
    pb_topo_destroy(t);
    unsetenv("PARBENCH_TOPOLOGY");
    pb_topo_destroy(NULL);
}

static void test_this_machine(void **state)
{
    struct pb_topo *t = test_load_topo(NULL);
    unsigned n = pb_topo_pu_count(t);

    assert_true(n >= 1);
    assert_true(pb_topo_core_count(t) >= 1 && pb_topo_core_count(t) <= n);
    assert_true(pb_topo_is_this_system(t));
    assert_string_equal(pb_topo_source(t), "this machine");
    assert_non_null(pb_topo_cpu_model(t));

    pb_topo_destroy(t);
}

/* Runs `parbench topo ARGS` with stdout and stderr captured into out and errout. */
static int run_topo(char **out, char **errout, int argc, char **argv)
{
    FILE *fo = tmpfile(), *fe = tmpfile();
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    assert_non_null(fo);
    assert_non_null(fe);

    fflush(stdout);
    fflush(stderr);
    dup2(fileno(fo), STDOUT_FILENO);
    dup2(fileno(fe), STDERR_FILENO);
    int rc = pb_cmd_topo(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);

    FILE *files[2] = {fo, fe};
    char **bufs[2] = {out, errout};
    for (int k = 0; k < 2; k++) {
        long len;
        fseek(files[k], 0, SEEK_END);
        len = ftell(files[k]);
        rewind(files[k]);
        *bufs[k] = calloc(1, (size_t)len + 1);
        assert_int_equal(fread(*bufs[k], 1, (size_t)len, files[k]), (size_t)len);
        fclose(files[k]);
    }
    return rc;
}

#define RUN(out, err, ...)                                                                         \
    run_topo(out, err, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)),                    \
             (char *[]){__VA_ARGS__})

static void test_cmd_json(void **state)
{
    char *out, *err;
    int rc = RUN(&out, &err, "topo", "--json", "--topology", TOPO_BIG, "--pin=scatter", "-c", "2");
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");

    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    if (!doc)
        fail_msg("not JSON (%s): %s", jerr.text, out);
    json_t *topo = json_object_get(doc, "topology"), *pin = json_object_get(doc, "pin_plan");
    assert_int_equal(json_integer_value(json_object_get(topo, "pus")), 32);
    assert_int_equal(json_integer_value(json_object_get(topo, "packages")), 2);
    assert_non_null(json_object_get(topo, "tree"));
    assert_string_equal(json_string_value(json_object_get(pin, "policy")), "scatter");
    assert_string_equal(json_string_value(json_object_get(pin, "spec")), "scatter");
    char *workers = json_dumps(json_object_get(pin, "workers"), JSON_COMPACT);
    assert_string_equal(workers, "[[0],[16]]");
    free(workers);
    json_decref(doc);
    free(out);
    free(err);

    /* defaults: compact, one worker per PU */
    rc = RUN(&out, &err, "topo", "--json", "--topology=" TOPO_SMALL);
    assert_int_equal(rc, 0);
    doc = json_loads(out, 0, &jerr);
    assert_non_null(doc);
    pin = json_object_get(doc, "pin_plan");
    assert_string_equal(json_string_value(json_object_get(pin, "policy")), "compact");
    workers = json_dumps(json_object_get(pin, "workers"), JSON_COMPACT);
    assert_string_equal(workers, "[[0],[1]]");
    free(workers);
    json_decref(doc);
    free(out);
    free(err);
}

static void test_cmd_text(void **state)
{
    char *out, *err;
    int rc = RUN(&out, &err, "topo", "--topology", TOPO_INTEL, "--pin", "cores", "-c3");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2 packages, 1 NUMA node, 16 cores, 32 PUs"));
    assert_non_null(strstr(out, "Core L#0: PUs 0,16"));
    assert_non_null(strstr(out, "worker 2 -> PU 2\n"));
    assert_non_null(strstr(out, "spare PU"));
    free(out);
    free(err);

    /* no --pin and no -c: no plan in the text */
    rc = RUN(&out, &err, "topo", "--topology", TOPO_SMALL);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "worker 0"));
    free(out);
    free(err);

    rc = RUN(&out, &err, "topo", "--help");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "usage: parbench topo"));
    free(out);
    free(err);
}

static void test_cmd_errors(void **state)
{
    static char *const cases[][4] = {
        {"topo", "--bogus", NULL, NULL},
        {"topo", "extra", NULL, NULL},
        {"topo", "--pin", NULL, NULL},
        {"topo", "-c", "0", NULL},
        {"topo", "-c", "2x", NULL},
        {"topo", "-c", "-3", NULL},
        {"topo", "--pin", "wide", NULL},
        {"topo", "--topology", "/nonexistent.xml", NULL},
        {"topo", "--topology", TOPO_SMALL, "--pin=list:7"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out, *err;
        int argc = 0;
        while (argc < 4 && cases[i][argc])
            argc++;
        int rc = run_topo(&out, &err, argc, (char **)cases[i]);
        if (rc != 2)
            fail_msg("case %zu (%s): exit %d, expected 2", i, cases[i][1], rc);
        assert_true(strncmp(err, "parbench topo: ", 15) == 0);
        /* one line */
        assert_non_null(strchr(err, '\n'));
        assert_int_equal(strchr(err, '\n')[1], '\0');
        assert_string_equal(out, "");
        free(out);
        free(err);
    }

    char *out, *err;
    int rc = RUN(&out, &err, "topo", "--topology", TOPO_SMALL, "--pin=list:7");
    assert_int_equal(rc, 2);
    assert_string_equal(
        err, "parbench topo: pin list names CPU 7, which this machine does not have (PUs: 0-1)\n");
    free(out);
    free(err);

    setenv("PARBENCH_TOPOLOGY", "synthetic:nonsense", 1);
    rc = RUN(&out, &err, "topo");
    unsetenv("PARBENCH_TOPOLOGY");
    assert_int_equal(rc, 2);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small),          cmocka_unit_test(test_pus),
        cmocka_unit_test(test_spread),         cmocka_unit_test(test_intel_numbering),
        cmocka_unit_test(test_numa),           cmocka_unit_test(test_caches_json),
        cmocka_unit_test(test_xml_round_trip), cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_this_machine),   cmocka_unit_test(test_cmd_json),
        cmocka_unit_test(test_cmd_text),       cmocka_unit_test(test_cmd_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
