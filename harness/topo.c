/* Loads the machine's topology through hwloc and describes it; the questions a pin plan asks of
 * it (harness/pin.c) are answered here, so hwloc stays behind this module. */
#include "harness/topo.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

struct pb_topo {
    hwloc_topology_t h;
    char *source;     /* as given, or "this machine" */
    char *cpu_model;  /* trimmed: x86 model strings come padded with spaces */
    hwloc_obj_t *pus; /* the PUs workers may use, in logical (depth-first) order */
    unsigned *core;   /* per PU: the position in pus of the first PU of its core */
    unsigned npus;
    unsigned ncores;
};

static const char this_machine[] = "this machine";

/* A PU's core, or the PU itself where hwloc found no core level, so that "one per core" still
 * means something on such machines. */
static hwloc_obj_t pu_core(const struct pb_topo *t, hwloc_obj_t pu)
{
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_CORE, pu);
    return core ? core : pu;
}

/* Collects the PUs a worker may be bound to: allowed ones only, and only those a struct
 * pb_cpuset can hold. */
static int collect_pus(struct pb_topo *t, struct pb_err *err)
{
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t->h);
    int n = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU);

    if (n <= 0)
        return pb_err_set(err, -EINVAL, "cannot load topology '%s': it has no processing unit",
                          t->source);
    t->pus = calloc((size_t)n, sizeof(*t->pus));
    t->core = calloc((size_t)n, sizeof(*t->core));
    if (!t->pus || !t->core)
        return pb_err_set(err, -ENOMEM, "cannot load topology '%s': out of memory", t->source);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PU, (unsigned)i);
        if (!pu || pu->os_index >= PB_CPUSET_MAX || !hwloc_bitmap_isset(allowed, pu->os_index))
            continue;
        t->pus[t->npus++] = pu;
    }
    if (t->npus == 0)
        return pb_err_set(err, -EINVAL,
                          "cannot load topology '%s': this process may use none of its PUs",
                          t->source);
    /* Logical order keeps the PUs of one core together, so comparing neighbours counts cores;
     * the search back is for a topology where it would not. */
    for (unsigned i = 0; i < t->npus; i++) {
        hwloc_obj_t core = pu_core(t, t->pus[i]);
        if (i == 0 || core != pu_core(t, t->pus[i - 1]))
            t->ncores++;
        t->core[i] = i;
        for (unsigned j = i; j-- > 0;)
            if (pu_core(t, t->pus[j]) == core) {
                t->core[i] = t->core[j];
                break;
            }
    }
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The CPUModel of the first package; NULL (shown as "unknown") where hwloc has none. */
static int read_cpu_model(struct pb_topo *t, struct pb_err *err)
{
    hwloc_obj_t pkg = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    size_t len;

    if (!model)
        return 0;
    while (*model == ' ')
        model++;
    len = strlen(model);
    while (len > 0 && model[len - 1] == ' ')
        len--;
    if (len == 0)
        return 0;
    t->cpu_model = strndup(model, len);
    if (!t->cpu_model)
        return pb_err_set(err, -ENOMEM, "cannot load topology '%s': out of memory", t->source);
    return 0;
}

int pb_topo_load(struct pb_topo **out, const char *source, struct pb_err *err)
{
    struct pb_topo *t = NULL;
    int rc;

    *out = NULL;
    if (!source) {
        const char *env = getenv("PARBENCH_TOPOLOGY");
        if (env && *env)
            source = env;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return pb_err_set(err, -ENOMEM, "cannot load topology: out of memory");
    t->source = strdup(source ? source : this_machine);
    if (!t->source) {
        rc = pb_err_set(err, -ENOMEM, "cannot load topology: out of memory");
        goto out;
    }
    if (hwloc_topology_init(&t->h) < 0) {
        t->h = NULL;
        rc =
            pb_err_set(err, -ENOMEM, "cannot load topology '%s': hwloc could not start", t->source);
        goto out;
    }
    if (source && strncmp(source, "synthetic:", 10) == 0) {
        if (hwloc_topology_set_synthetic(t->h, source + 10) < 0) {
            rc = pb_err_set(err, -EINVAL,
                            "cannot load topology '%s': not a valid hwloc synthetic description "
                            "(e.g. 'synthetic:pack:2 core:8 pu:2')",
                            source);
            goto out;
        }
    } else if (source) {
        /* hwloc would only say "invalid"; checking first names the real reason. */
        if (access(source, R_OK) < 0) {
            rc = -errno;
            pb_err_set(err, rc, "cannot load topology '%s': %s", source, strerror(-rc));
            goto out;
        }
        if (hwloc_topology_set_xml(t->h, source) < 0) {
            rc =
                pb_err_set(err, -EINVAL, "cannot load topology '%s': %s", source,
                           is_dir(source) ? "it is a directory" : "not a valid hwloc XML topology");
            goto out;
        }
    }
    errno = 0;
    if (hwloc_topology_load(t->h) < 0) {
        rc = errno ? -errno : -EINVAL;
        if (!source)
            pb_err_set(err, rc, "cannot load topology '%s': %s", t->source, strerror(-rc));
        else
            rc = pb_err_set(err, -EINVAL, "cannot load topology '%s': %s", source,
                            strncmp(source, "synthetic:", 10) == 0
                                ? "hwloc rejected the synthetic description"
                                : "not a valid hwloc XML topology");
        goto out;
    }
    rc = collect_pus(t, err);
    if (rc < 0)
        goto out;
    rc = read_cpu_model(t, err);
    if (rc < 0)
        goto out;
    *out = t;
    t = NULL;
out:
    pb_topo_destroy(t);
    return rc;
}

void pb_topo_destroy(struct pb_topo *t)
{
    if (!t)
        return;
    if (t->h)
        hwloc_topology_destroy(t->h);
    free(t->pus);
    free(t->core);
    free(t->cpu_model);
    free(t->source);
    free(t);
}

unsigned pb_topo_pu_count(const struct pb_topo *t)
{
    return t->npus;
}

unsigned pb_topo_core_count(const struct pb_topo *t)
{
    return t->ncores;
}

const char *pb_topo_source(const struct pb_topo *t)
{
    return t->source;
}

int pb_topo_is_this_system(const struct pb_topo *t)
{
    return hwloc_topology_is_thissystem(t->h);
}

const char *pb_topo_cpu_model(const struct pb_topo *t)
{
    return t->cpu_model ? t->cpu_model : "unknown";
}

unsigned pb_topo_pu_os_index(const struct pb_topo *t, unsigned i)
{
    return t->pus[i]->os_index;
}

unsigned pb_topo_pu_core(const struct pb_topo *t, unsigned i)
{
    return t->core[i];
}

int pb_topo_pu_find(const struct pb_topo *t, unsigned os_index)
{
    for (unsigned i = 0; i < t->npus; i++)
        if (t->pus[i]->os_index == os_index)
            return (int)i;
    return -1;
}

static unsigned count_type(const struct pb_topo *t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t->h, type);
    return n > 0 ? (unsigned)n : 0;
}

/* The cache kinds in the order people list them: L1d, L1i, L2, L3... */
static const hwloc_obj_type_t cache_types[] = {
    HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
    HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
};

static unsigned count_caches(const struct pb_topo *t)
{
    unsigned n = 0;
    for (size_t k = 0; k < sizeof(cache_types) / sizeof(cache_types[0]); k++)
        n += count_type(t, cache_types[k]);
    return n;
}

static const char *cache_kind(const struct hwloc_cache_attr_s *c)
{
    switch (c->type) {
    case HWLOC_OBJ_CACHE_DATA:
        return "data";
    case HWLOC_OBJ_CACHE_INSTRUCTION:
        return "instruction";
    default:
        return "unified";
    }
}

/* One group of caches of the same kind and size (hybrid CPUs have several sizes per level). */
struct cache_group {
    hwloc_obj_t first;
    unsigned count;
};

/* Calls fn for each group in order; the group's first object carries level, kind and size. */
static int each_cache_group(const struct pb_topo *t,
                            int (*fn)(const struct cache_group *g, void *arg), void *arg)
{
    for (size_t k = 0; k < sizeof(cache_types) / sizeof(cache_types[0]); k++) {
        unsigned n = count_type(t, cache_types[k]);
        for (unsigned i = 0; i < n; i++) {
            hwloc_obj_t c = hwloc_get_obj_by_type(t->h, cache_types[k], i);
            int seen = 0;
            for (unsigned j = 0; j < i && !seen; j++)
                seen = hwloc_get_obj_by_type(t->h, cache_types[k], j)->attr->cache.size ==
                       c->attr->cache.size;
            if (seen)
                continue;
            struct cache_group g = {c, 0};
            for (unsigned j = i; j < n; j++)
                if (hwloc_get_obj_by_type(t->h, cache_types[k], j)->attr->cache.size ==
                    c->attr->cache.size)
                    g.count++;
            int rc = fn(&g, arg);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int cache_to_json(const struct cache_group *g, void *arg)
{
    const struct hwloc_cache_attr_s *c = &g->first->attr->cache;
    json_t *o = json_object();

    if (!o || json_object_set_new(o, "level", json_integer(c->depth)) ||
        json_object_set_new(o, "type", json_string(cache_kind(c))) ||
        json_object_set_new(o, "size_bytes", json_integer((json_int_t)c->size)) ||
        json_object_set_new(o, "count", json_integer(g->count)) || json_array_append_new(arg, o)) {
        json_decref(o);
        return -ENOMEM;
    }
    return 0;
}

json_t *pb_topo_to_json(const struct pb_topo *t)
{
    json_t *o = json_object(), *pus = json_array(), *caches = json_array();
    int bad = !o || !pus || !caches;

    for (unsigned i = 0; i < t->npus && !bad; i++)
        bad = json_array_append_new(pus, json_integer(t->pus[i]->os_index)) != 0;
    if (!bad)
        bad = each_cache_group(t, cache_to_json, caches) < 0;
    if (bad || json_object_set_new(o, "packages", json_integer(count_type(t, HWLOC_OBJ_PACKAGE))) ||
        json_object_set_new(o, "numa_nodes", json_integer(count_type(t, HWLOC_OBJ_NUMANODE))) ||
        json_object_set_new(o, "cores", json_integer(t->ncores)) ||
        json_object_set_new(o, "pus", json_integer(t->npus)) ||
        json_object_set_new(o, "cpu_model", json_string(pb_topo_cpu_model(t))) ||
        json_object_set(o, "pu_os_indices", pus) || json_object_set(o, "caches", caches)) {
        json_decref(o);
        o = NULL;
    }
    json_decref(pus);
    json_decref(caches);
    return o;
}

/* lstopo's short names ("Package", "L2", "L1d", "Core", "PU", "NUMANode", "Group0"). */
static const char *type_name(hwloc_obj_t obj, char *buf, size_t len)
{
    if (hwloc_obj_type_snprintf(buf, len, obj, 0) < 0)
        snprintf(buf, len, "%s", hwloc_obj_type_string(obj->type));
    return buf;
}

static json_t *tree_node(hwloc_obj_t obj)
{
    char name[64];
    json_t *o = json_object(), *children = json_array();
    int bad = !o || !children ||
              json_object_set_new(o, "type", json_string(type_name(obj, name, sizeof(name))));

    if (!bad && obj->os_index != HWLOC_UNKNOWN_INDEX)
        bad = json_object_set_new(o, "os_index", json_integer(obj->os_index));
    if (!bad && hwloc_obj_type_is_cache(obj->type))
        bad = json_object_set_new(o, "size_bytes", json_integer((json_int_t)obj->attr->cache.size));
    if (!bad && obj->type == HWLOC_OBJ_NUMANODE)
        bad = json_object_set_new(o, "memory_bytes",
                                  json_integer((json_int_t)obj->attr->numanode.local_memory));
    for (hwloc_obj_t c = obj->memory_first_child; c && !bad; c = c->next_sibling)
        bad = json_array_append_new(children, tree_node(c));
    for (unsigned i = 0; i < obj->arity && !bad; i++)
        bad = json_array_append_new(children, tree_node(obj->children[i]));
    if (!bad && json_array_size(children) > 0)
        bad = json_object_set(o, "children", children);
    json_decref(children);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *pb_topo_tree_to_json(const struct pb_topo *t)
{
    return tree_node(hwloc_get_root_obj(t->h));
}

/* "48 KiB", "1.5 MiB": the largest unit that leaves at least 1. */
static const char *format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    uint64_t div = 1;

    while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= div * 1024) {
        div *= 1024;
        u++;
    }
    if (bytes % div == 0)
        snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / div), units[u]);
    else
        snprintf(buf, len, "%.1f %s", (double)bytes / (double)div, units[u]);
    return buf;
}

/* The usable PUs inside obj, as OS indices. */
static void pus_within(const struct pb_topo *t, hwloc_obj_t obj, struct pb_cpuset *set)
{
    pb_cpuset_clear(set);
    for (unsigned i = 0; i < t->npus; i++)
        if (hwloc_bitmap_isincluded(t->pus[i]->cpuset, obj->cpuset))
            pb_cpuset_add(set, t->pus[i]->os_index);
}

void pb_topo_pu_set(const struct pb_topo *t, struct pb_cpuset *set)
{
    pus_within(t, hwloc_get_root_obj(t->h), set);
}

static void label(const struct pb_topo *t, hwloc_obj_t obj, char *buf, size_t len)
{
    char name[64], size[32], list[256];
    struct pb_cpuset set;

    switch (obj->type) {
    case HWLOC_OBJ_CORE:
    case HWLOC_OBJ_PU:
        pus_within(t, obj, &set);
        snprintf(buf, len, "%s L#%u: PU%s %s", type_name(obj, name, sizeof(name)),
                 obj->logical_index, pb_cpuset_count(&set) == 1 ? "" : "s",
                 pb_cpuset_format(&set, list, sizeof(list)));
        break;
    case HWLOC_OBJ_NUMANODE:
        snprintf(buf, len, "NUMA node P#%u (%s)", obj->os_index,
                 format_size(obj->attr->numanode.local_memory, size, sizeof(size)));
        break;
    default:
        if (hwloc_obj_type_is_cache(obj->type))
            snprintf(buf, len, "%s %s", type_name(obj, name, sizeof(name)),
                     format_size(obj->attr->cache.size, size, sizeof(size)));
        else if (obj->os_index != HWLOC_UNKNOWN_INDEX)
            snprintf(buf, len, "%s P#%u", type_name(obj, name, sizeof(name)), obj->os_index);
        else
            snprintf(buf, len, "%s", type_name(obj, name, sizeof(name)));
    }
}

/* One line per object, lstopo-style: a chain of single children shares a line ("L2 1 MiB +
 * L1d 48 KiB + Core L#0: PUs 0,1"), and a core ends its line with its PUs. */
static void print_obj(const struct pb_topo *t, hwloc_obj_t obj, int indent, FILE *out)
{
    char buf[512];

    fprintf(out, "%*s", indent * 2, "");
    for (;;) {
        label(t, obj, buf, sizeof(buf));
        fputs(buf, out);
        if (obj->type == HWLOC_OBJ_CORE || obj->type == HWLOC_OBJ_PU || obj->arity != 1 ||
            obj->memory_arity != 0)
            break;
        fputs(" + ", out);
        obj = obj->children[0];
    }
    fputc('\n', out);
    if (obj->type == HWLOC_OBJ_CORE || obj->type == HWLOC_OBJ_PU)
        return;
    for (hwloc_obj_t c = obj->memory_first_child; c; c = c->next_sibling)
        print_obj(t, c, indent + 1, out);
    for (unsigned i = 0; i < obj->arity; i++)
        print_obj(t, obj->children[i], indent + 1, out);
}

static int print_cache(const struct cache_group *g, void *arg)
{
    FILE *out = arg;
    char name[64], size[32];

    fprintf(out, "  %s %s x%u\n", type_name(g->first, name, sizeof(name)),
            format_size(g->first->attr->cache.size, size, sizeof(size)), g->count);
    return 0;
}

void pb_topo_print(const struct pb_topo *t, FILE *out)
{
    hwloc_obj_t root = hwloc_get_root_obj(t->h);
    unsigned pkgs = count_type(t, HWLOC_OBJ_PACKAGE), numa = count_type(t, HWLOC_OBJ_NUMANODE);
    char list[512];
    struct pb_cpuset all;

    pus_within(t, root, &all);
    fprintf(out, "topology: %s\n", t->source);
    fprintf(out, "cpu model: %s\n", pb_topo_cpu_model(t));
    fprintf(out, "%u package%s, %u NUMA node%s, %u core%s, %u PU%s\n", pkgs, pkgs == 1 ? "" : "s",
            numa, numa == 1 ? "" : "s", t->ncores, t->ncores == 1 ? "" : "s", t->npus,
            t->npus == 1 ? "" : "s");
    fprintf(out, "PUs (OS indices, as --pin list: names them): %s\n",
            pb_cpuset_format(&all, list, sizeof(list)));
    fputs("caches:\n", out);
    if (count_caches(t) == 0)
        fputs("  none reported\n", out);
    each_cache_group(t, print_cache, out);
    fputs("tree:\n", out);
    for (hwloc_obj_t c = root->memory_first_child; c; c = c->next_sibling)
        print_obj(t, c, 1, out);
    for (unsigned i = 0; i < root->arity; i++)
        print_obj(t, root->children[i], 1, out);
}

static int by_logical_index(const void *a, const void *b)
{
    const hwloc_obj_t x = *(const hwloc_obj_t *)a, y = *(const hwloc_obj_t *)b;
    return (x->logical_index > y->logical_index) - (x->logical_index < y->logical_index);
}

/* Reorders the PUs sel[0..n) (all inside obj, in logical order) so that consecutive entries
 * lie under different children of obj, recursively: consecutive workers then land on different
 * packages first, then different caches and cores. hwloc_distrib picks which PUs, but hands
 * them out subtree by subtree. */
static int interleave(hwloc_obj_t obj, hwloc_obj_t *sel, unsigned n)
{
    hwloc_obj_t *tmp = NULL;
    unsigned *start = NULL, *len = NULL;
    unsigned k = 0, m = 0;
    int rc = 0;

    while (obj->arity == 1)
        obj = obj->children[0];
    if (n <= 1 || obj->arity == 0)
        return 0;
    tmp = malloc(n * sizeof(*tmp));
    start = calloc(obj->arity, sizeof(*start));
    len = calloc(obj->arity, sizeof(*len));
    if (!tmp || !start || !len) {
        rc = -ENOMEM;
        goto out;
    }
    for (unsigned c = 0; c < obj->arity; c++) {
        hwloc_obj_t child = obj->children[c];
        start[c] = k;
        for (unsigned j = 0; j < n; j++)
            if (hwloc_bitmap_isincluded(sel[j]->cpuset, child->cpuset))
                tmp[k++] = sel[j];
        len[c] = k - start[c];
        rc = interleave(child, tmp + start[c], len[c]);
        if (rc < 0)
            goto out;
    }
    /* Every PU lies under exactly one child; if hwloc ever disagrees, keep hwloc's order. */
    if (k != n)
        goto out;
    for (unsigned round = 0; m < n; round++)
        for (unsigned c = 0; c < obj->arity; c++)
            if (round < len[c])
                sel[m++] = tmp[start[c] + round];
out:
    free(len);
    free(start);
    free(tmp);
    return rc;
}

int pb_topo_spread(const struct pb_topo *t, unsigned nworkers, unsigned *order, unsigned *count,
                   struct pb_err *err)
{
    unsigned n = nworkers < t->npus ? nworkers : t->npus;
    hwloc_obj_t root = hwloc_get_root_obj(t->h);
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(t->h);
    hwloc_bitmap_t *sets = NULL;
    hwloc_obj_t *sel = NULL;
    int rc = -ENOMEM;

    sets = calloc(n, sizeof(*sets));
    sel = calloc(n, sizeof(*sel));
    if (!sets || !sel)
        goto out;
    if (hwloc_distrib(t->h, &root, 1, sets, n, INT_MAX, 0) < 0) {
        rc = pb_err_set(err, -EINVAL, "hwloc could not distribute %u workers", n);
        goto out;
    }
    for (unsigned i = 0; i < n; i++) {
        int idx = -1;
        if (sets[i]) {
            hwloc_bitmap_and(sets[i], sets[i], allowed);
            hwloc_bitmap_singlify(sets[i]);
            int os = hwloc_bitmap_first(sets[i]);
            idx = os < 0 ? -1 : pb_topo_pu_find(t, (unsigned)os);
        }
        /* Only PUs a pb_cpuset cannot hold are missing; fall back to logical order there. */
        sel[i] = t->pus[idx >= 0 ? (unsigned)idx : i];
    }
    qsort(sel, n, sizeof(*sel), by_logical_index);
    rc = interleave(root, sel, n);
    if (rc < 0)
        goto out;
    for (unsigned i = 0; i < n; i++)
        order[i] = (unsigned)pb_topo_pu_find(t, sel[i]->os_index);
    *count = n;
out:
    if (rc == -ENOMEM)
        pb_err_set(err, rc, "out of memory making the pin plan");
    if (sets)
        for (unsigned i = 0; i < n; i++)
            hwloc_bitmap_free(sets[i]);
    free(sets);
    free(sel);
    return rc;
}
