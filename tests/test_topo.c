/* Unit tests for topology loading, pin policies and plans, and the `parbench topo` subcommand. */
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
#include <hwloc.h>
#include <jansson.h>

#include "harness/cmd_topo.h"
#include "harness/topo.h"

#define SMALL  "synthetic:pack:1 core:2 pu:1"
#define BIG    "synthetic:pack:2 core:8 pu:2"
#define INTEL  "synthetic:pack:2 core:8 pu:2(indexes=2*16:1*2)"
#define NUMA4  "synthetic:pack:2 numa:2 core:4 pu:2"
#define FLAT4  "synthetic:numa:4 core:4 pu:1"
#define CACHED "synthetic:pack:2 l3:1 l2:8 l1d:1 core:1 pu:2"

static struct pb_topo *load(const char *source)
{
    struct pb_topo *t = NULL;
    struct pb_err err = {{0}};
    int rc = pb_topo_load(&t, source, &err);
    if (rc != 0)
        fail_msg("loading %s: %s", source ? source : "this machine", err.msg);
    return t;
}

static struct pb_pin_plan *plan(const struct pb_topo *t, const char *pin, unsigned n)
{
    struct pb_pin_spec spec;
    struct pb_pin_plan *p = NULL;
    struct pb_err err = {{0}};
    if (pb_pin_parse(pin, &spec, &err) != 0)
        fail_msg("parsing %s: %s", pin, err.msg);
    if (pb_pin_plan_make(t, &spec, n, &p, &err) != 0)
        fail_msg("plan %s x%u: %s", pin, n, err.msg);
    assert_int_equal(p->nworkers, n);
    assert_int_equal(p->policy, spec.policy);
    return p;
}

/* The single PU of worker w (fails when the set has another size). */
static int pu_of(const struct pb_pin_plan *p, unsigned w)
{
    assert_int_equal(pb_cpuset_count(&p->sets[w]), 1);
    return pb_cpuset_next(&p->sets[w], 0);
}

/* Checks every worker's set against want[w], written as pb_cpuset_format writes it. */
static void expect_plan(const struct pb_topo *t, const char *pin, unsigned n,
                        const char *const *want)
{
    struct pb_pin_plan *p = plan(t, pin, n);
    char buf[256];
    for (unsigned w = 0; w < n; w++) {
        pb_cpuset_format(&p->sets[w], buf, sizeof(buf));
        if (strcmp(buf, want[w]) != 0)
            fail_msg("%s x%u: worker %u has '%s', expected '%s'", pin, n, w, buf, want[w]);
    }
    pb_pin_plan_destroy(p);
}

static int spare(const struct pb_topo *t, const char *pin, unsigned n)
{
    struct pb_pin_plan *p = plan(t, pin, n);
    int s = pb_pin_plan_spare_pu(t, p);
    pb_pin_plan_destroy(p);
    return s;
}

static void test_small(void **state)
{
    struct pb_topo *t = load(SMALL);
    assert_int_equal(pb_topo_pu_count(t), 2);
    assert_int_equal(pb_topo_core_count(t), 2);
    assert_string_equal(pb_topo_cpu_model(t), "unknown");
    assert_string_equal(pb_topo_source(t), SMALL);
    assert_false(pb_topo_is_this_system(t));

    expect_plan(t, "compact", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 3, (const char *[]){"0", "1", "0"});
    expect_plan(t, "scatter", 1, (const char *[]){"0"});
    expect_plan(t, "scatter", 2, (const char *[]){"0", "1"});
    expect_plan(t, "scatter", 5, (const char *[]){"0", "1", "0", "1", "0"});
    expect_plan(t, "cores", 3, (const char *[]){"0", "1", "0"});
    expect_plan(t, "none", 3, (const char *[]){"0-1", "0-1", "0-1"});
    expect_plan(t, "list:1", 3, (const char *[]){"1", "1", "1"});
    expect_plan(t, "list:1,0", 3, (const char *[]){"0", "1", "0"});

    assert_int_equal(spare(t, "compact", 1), 1);
    assert_int_equal(spare(t, "compact", 2), -1);
    assert_int_equal(spare(t, "list:1", 1), 0);
    assert_int_equal(spare(t, "none", 1), -1);

    struct pb_pin_spec spec;
    struct pb_pin_plan *p = (struct pb_pin_plan *)&spec; /* must be reset to NULL */
    struct pb_err err = {{0}};
    assert_int_equal(pb_pin_parse("list:0,7", &spec, &err), 0);
    assert_int_equal(pb_pin_plan_make(t, &spec, 2, &p, &err), -EINVAL);
    assert_null(p);
    assert_string_equal(err.msg,
                        "pin list names CPU 7, which this machine does not have (PUs: 0-1)");
    assert_int_equal(pb_pin_parse("compact", &spec, &err), 0);
    assert_int_equal(pb_pin_plan_make(t, &spec, 0, &p, &err), -EINVAL);
    pb_topo_destroy(t);
}

static void test_2x8x2(void **state)
{
    struct pb_topo *t = load(BIG);
    assert_int_equal(pb_topo_pu_count(t), 32);
    assert_int_equal(pb_topo_core_count(t), 16);

    /* compact: both PUs of core 0 first */
    expect_plan(t, "compact", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 33,
                (const char *[]){"0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10",
                                 "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21",
                                 "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "0"});
    /* scatter: packages first, then cores */
    expect_plan(t, "scatter", 2, (const char *[]){"0", "16"});
    expect_plan(t, "scatter", 4, (const char *[]){"0", "16", "8", "24"});
    /* cores: the first PU of each core, then wrap */
    expect_plan(t, "cores", 17,
                (const char *[]){"0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20", "22",
                                 "24", "26", "28", "30", "0"});
    expect_plan(t, "none", 2, (const char *[]){"0-31", "0-31"});
    expect_plan(t, "list:3,5-6", 4, (const char *[]){"3", "5", "6", "3"});

    /* scatter with one worker per core: 16 distinct cores, alternating packages */
    struct pb_pin_plan *p = plan(t, "scatter", 16);
    unsigned cores_seen = 0;
    for (unsigned w = 0; w < 16; w++) {
        int pu = pu_of(p, w);
        assert_true((cores_seen & (1u << (pu / 2))) == 0);
        cores_seen |= 1u << (pu / 2);
        if (w > 0)
            assert_int_not_equal(pu / 16, pu_of(p, w - 1) / 16);
    }
    assert_int_equal(cores_seen, 0xffff);
    pb_pin_plan_destroy(p);

    /* scatter over every PU: the first 16 workers still take 16 cores; then it wraps */
    p = plan(t, "scatter", 33);
    uint64_t pus_seen = 0;
    cores_seen = 0;
    for (unsigned w = 0; w < 32; w++) {
        int pu = pu_of(p, w);
        assert_true((pus_seen & (UINT64_C(1) << pu)) == 0);
        pus_seen |= UINT64_C(1) << pu;
        if (w < 16)
            cores_seen |= 1u << (pu / 2);
    }
    assert_int_equal(cores_seen, 0xffff);
    assert_int_equal(pu_of(p, 32), pu_of(p, 0));
    pb_pin_plan_destroy(p);

    /* the spare PU: the last one, on an idle core when there is one */
    assert_int_equal(spare(t, "compact", 2), 31);
    assert_int_equal(spare(t, "scatter", 2), 31);
    assert_int_equal(spare(t, "compact", 31), 31);
    assert_int_equal(spare(t, "compact", 32), -1);
    assert_int_equal(spare(t, "cores", 16), 31);
    assert_int_equal(spare(t, "list:30", 1), 29);
    assert_int_equal(spare(t, "list:28,31", 2), 27);
    pb_topo_destroy(t);
}

/* OS indices as Intel machines number hyperthreads: core k has PUs k and k+16. */
static void test_intel_numbering(void **state)
{
    struct pb_topo *t = load(INTEL);
    assert_int_equal(pb_topo_pu_count(t), 32);
    assert_int_equal(pb_topo_core_count(t), 16);
    expect_plan(t, "compact", 4, (const char *[]){"0", "16", "1", "17"});
    expect_plan(t, "cores", 3, (const char *[]){"0", "1", "2"});
    expect_plan(t, "scatter", 2, (const char *[]){"0", "8"});
    expect_plan(t, "list:17,3", 2, (const char *[]){"3", "17"});
    assert_int_equal(spare(t, "compact", 2), 31);
    assert_int_equal(spare(t, "list:15", 1), 30); /* 15 and 31 share core 15 */

    json_t *j = pb_topo_to_json(t);
    json_t *pus = json_object_get(j, "pu_os_indices");
    assert_int_equal(json_array_size(pus), 32);
    assert_int_equal(json_integer_value(json_array_get(pus, 1)), 16);
    json_decref(j);
    pb_topo_destroy(t);
}

static void test_numa(void **state)
{
    struct pb_topo *t = load(NUMA4);
    json_t *j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "cores")), 16);
    assert_int_equal(json_integer_value(json_object_get(j, "pus")), 32);
    json_decref(j);

    /* NUMA node k holds PUs 8k..8k+7: four workers take one node each */
    expect_plan(t, "scatter", 4, (const char *[]){"0", "16", "8", "24"});
    expect_plan(t, "scatter", 8, (const char *[]){"0", "16", "8", "24", "4", "20", "12", "28"});
    expect_plan(t, "compact", 3, (const char *[]){"0", "1", "2"});
    expect_plan(t, "cores", 18,
                (const char *[]){"0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20", "22",
                                 "24", "26", "28", "30", "0", "2"});
    pb_topo_destroy(t);

    t = load(FLAT4);
    j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 4);
    json_decref(j);
    expect_plan(t, "scatter", 4, (const char *[]){"0", "4", "8", "12"});
    expect_plan(t, "scatter", 5, (const char *[]){"0", "4", "8", "12", "2"});
    expect_plan(t, "cores", 2, (const char *[]){"0", "1"});
    expect_plan(t, "compact", 17,
                (const char *[]){"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
                                 "13", "14", "15", "0"});
    pb_topo_destroy(t);
}

static void test_pin_parse(void **state)
{
    struct pb_pin_spec spec;
    struct pb_err err = {{0}};
    static const char *const names[] = {"none", "compact", "scatter", "cores"};

    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(pb_pin_parse(names[i], &spec, &err), 0);
        assert_string_equal(pb_pin_policy_name(spec.policy), names[i]);
        assert_string_equal(spec.text, names[i]);
    }
    assert_int_equal(pb_pin_parse("list:0,2-3", &spec, &err), 0);
    assert_int_equal(spec.policy, PB_PIN_LIST);
    assert_string_equal(pb_pin_policy_name(spec.policy), "list");
    assert_string_equal(spec.text, "list:0,2-3");
    assert_int_equal(pb_cpuset_count(&spec.list), 3);
    assert_true(pb_cpuset_has(&spec.list, 2));

    assert_int_equal(pb_pin_parse("bogus", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "unknown pin policy 'bogus'"));
    assert_int_equal(pb_pin_parse("list", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("Compact", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "names no CPU"));
    assert_int_equal(pb_pin_parse("list:a", &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "bad pin list 'list:a'"));
    assert_int_equal(pb_pin_parse("list:3-1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:0,,1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:-1", &spec, &err), -EINVAL);
    assert_int_equal(pb_pin_parse("list:99999", &spec, &err), -EINVAL);

    char longtext[400];
    memset(longtext, '1', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    memcpy(longtext, "list:", 5);
    assert_int_equal(pb_pin_parse(longtext, &spec, &err), -EINVAL);
}

static void test_caches_json(void **state)
{
    struct pb_topo *t = load(CACHED);
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

    struct pb_topo *t = load(path);
    assert_int_equal(pb_topo_pu_count(t), 16);
    assert_int_equal(pb_topo_core_count(t), 8);
    assert_string_equal(pb_topo_cpu_model(t), "Test CPU 9000");
    json_t *j = pb_topo_to_json(t);
    assert_int_equal(json_integer_value(json_object_get(j, "packages")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "numa_nodes")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "caches")), 1);
    json_decref(j);
    expect_plan(t, "scatter", 2, (const char *[]){"0", "8"});
    pb_topo_destroy(t);

    /* the same file through PARBENCH_TOPOLOGY */
    setenv("PARBENCH_TOPOLOGY", path, 1);
    t = load(NULL);
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
    setenv("PARBENCH_TOPOLOGY", SMALL, 1);
    t = load(NULL);
    assert_int_equal(pb_topo_pu_count(t), 2);
    pb_topo_destroy(t);
    /* an explicit source wins over the environment */
    t = load(BIG);
    assert_int_equal(pb_topo_pu_count(t), 32);
    pb_topo_destroy(t);
    unsetenv("PARBENCH_TOPOLOGY");
    pb_topo_destroy(NULL);
    pb_pin_plan_destroy(NULL);
}

static void test_this_machine(void **state)
{
    struct pb_topo *t = load(NULL);
    unsigned n = pb_topo_pu_count(t);

    assert_true(n >= 1);
    assert_true(pb_topo_core_count(t) >= 1 && pb_topo_core_count(t) <= n);
    assert_true(pb_topo_is_this_system(t));
    assert_string_equal(pb_topo_source(t), "this machine");
    assert_non_null(pb_topo_cpu_model(t));

    static const char *const pins[] = {"none", "compact", "scatter", "cores"};
    for (unsigned i = 0; i < 4; i++) {
        struct pb_pin_plan *p = plan(t, pins[i], 2 * n + 1);
        for (unsigned w = 0; w < p->nworkers; w++)
            assert_true(pb_cpuset_count(&p->sets[w]) >= 1);
        /* a plan for this machine can be applied */
        assert_int_equal(pb_cpuset_bind_self(&p->sets[0]), 0);
        json_t *j = pb_pin_plan_to_json(p);
        assert_int_equal(json_array_size(j), 2 * n + 1);
        json_decref(j);
        pb_pin_plan_destroy(p);
    }
    struct pb_pin_plan *p = plan(t, "none", 1);
    assert_int_equal(pb_cpuset_bind_self(&p->sets[0]), 0);
    pb_pin_plan_destroy(p);
    pb_topo_destroy(t);
}

static void test_plan_json(void **state)
{
    struct pb_topo *t = load(BIG);
    struct pb_pin_plan *p = plan(t, "scatter", 3);
    json_t *j = pb_pin_plan_to_json(p);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "[[0],[16],[8]]");
    free(s);
    json_decref(j);
    pb_pin_plan_destroy(p);

    p = plan(t, "list:0-2", 1);
    j = pb_pin_plan_to_json(p);
    s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "[[0]]");
    free(s);
    json_decref(j);
    pb_pin_plan_destroy(p);
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
    int rc = RUN(&out, &err, "topo", "--json", "--topology", BIG, "--pin=scatter", "-c", "2");
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
    rc = RUN(&out, &err, "topo", "--json", "--topology=" SMALL);
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
    int rc = RUN(&out, &err, "topo", "--topology", INTEL, "--pin", "cores", "-c3");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "2 packages, 1 NUMA node, 16 cores, 32 PUs"));
    assert_non_null(strstr(out, "Core L#0: PUs 0,16"));
    assert_non_null(strstr(out, "worker 2 -> PU 2\n"));
    assert_non_null(strstr(out, "spare PU"));
    free(out);
    free(err);

    /* no --pin and no -c: no plan in the text */
    rc = RUN(&out, &err, "topo", "--topology", SMALL);
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
        {"topo", "--topology", SMALL, "--pin=list:7"},
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
    int rc = RUN(&out, &err, "topo", "--topology", SMALL, "--pin=list:7");
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
        cmocka_unit_test(test_small),           cmocka_unit_test(test_2x8x2),
        cmocka_unit_test(test_intel_numbering), cmocka_unit_test(test_numa),
        cmocka_unit_test(test_pin_parse),       cmocka_unit_test(test_caches_json),
        cmocka_unit_test(test_xml_round_trip),  cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_this_machine),    cmocka_unit_test(test_plan_json),
        cmocka_unit_test(test_cmd_json),        cmocka_unit_test(test_cmd_text),
        cmocka_unit_test(test_cmd_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
