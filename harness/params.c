/* Typed plug-in parameters: defaults, -p key=value parsing with range checks, and accessors. */
#include "harness/params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/quote.h"

#define TYPE_BIT(t) (1u << (t))

const char *pb_param_type_name(enum pb_param_type type)
{
    switch (type) {
    case PB_PARAM_INT:
        return "int";
    case PB_PARAM_DOUBLE:
        return "double";
    case PB_PARAM_BOOL:
        return "bool";
    case PB_PARAM_STRING:
        return "string";
    }
    return "?";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits and an optional k/M/G or Ki/Mi/Gi suffix, as a uint64. */
static int parse_magnitude(const char *p, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } suffixes[] = {
        {"", 1},
        {"k", 1000},
        {"M", 1000000},
        {"G", 1000000000},
        {"Ki", 1024},
        {"Mi", UINT64_C(1) << 20},
        {"Gi", UINT64_C(1) << 30},
    };
    uint64_t mag = 0, mult = 0;
    int big = 0;

    if (!is_digit(*p))
        return -EINVAL;
    /* Past uint64 the digits are still read, so "99...9x" is a syntax error, not a size. */
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (mag > (UINT64_MAX - d) / 10)
            big = 1;
        else
            mag = mag * 10 + d;
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (strcmp(p, suffixes[i].suffix) == 0) {
            mult = suffixes[i].mult;
            break;
        }
    }
    if (mult == 0)
        return -EINVAL;
    if (big || mag > UINT64_MAX / mult)
        return -ERANGE;
    *out = mag * mult;
    return 0;
}

int pb_parse_uint(const char *text, uint64_t *out)
{
    uint64_t mag = 0;
    int rc = parse_magnitude(text, &mag);

    *out = rc < 0 ? 0 : mag;
    return rc;
}

int pb_parse_int(const char *text, int64_t *out)
{
    const char *p = text;
    int neg = 0;
    uint64_t mag = 0;

    *out = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    /* The magnitude is unsigned so that INT64_MIN is reachable and overflow is visible. */
    int rc = parse_magnitude(p, &mag);
    if (rc < 0)
        return rc;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (mag > limit)
        return -ERANGE;
    /* Negate in unsigned arithmetic: -(INT64_MIN) would overflow as a signed value. */
    *out = neg ? (int64_t)(~mag + 1) : (int64_t)mag;
    return 0;
}

/* The syntax is checked here, so strtod never sees the hex floats, inf, nan and leading spaces
 * it would also take; it only does the (correctly rounded) conversion. */
int pb_parse_double(const char *text, double *out)
{
    const char *p = text;
    int digits = 0;

    *out = 0;
    if (*p == '-' || *p == '+')
        p++;
    for (; is_digit(*p); p++)
        digits++;
    if (*p == '.')
        for (p++; is_digit(*p); p++)
            digits++;
    if (digits == 0)
        return -EINVAL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!is_digit(*p))
            return -EINVAL;
        while (is_digit(*p))
            p++;
    }
    if (*p != '\0')
        return -EINVAL;

    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end != p)
        return -EINVAL;
    if (errno == ERANGE || !isfinite(v))
        return -ERANGE;
    *out = v;
    return 0;
}

static int parse_bool(const char *text, int64_t *out)
{
    static const char *const yes[] = {"1", "true", "yes"};
    static const char *const no[] = {"0", "false", "no"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -EINVAL;
}

static long find_index(const struct pb_params *p, const char *key)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->defs[i].name, key) == 0)
            return (long)i;
    return -1;
}

const struct pb_param_def *pb_params_find(const struct pb_params *p, const char *key)
{
    long i = find_index(p, key);
    return i < 0 ? NULL : &p->defs[i];
}

static int out_of_range(const struct pb_param_def *d, const char *value, struct pb_err *err)
{
    struct pb_quote q;

    /* Integer ranges print as integers: "[1, 1000000]" reads better than "[1, 1e+06]". */
    if (d->type == PB_PARAM_INT)
        return pb_err_set(err, -EINVAL, "parameter '%s': %s is out of range [%.0f, %.0f]", d->name,
                          pb_quote(&q, value), d->min, d->max);
    return pb_err_set(err, -EINVAL, "parameter '%s': %s is out of range [%g, %g]", d->name,
                      pb_quote(&q, value), d->min, d->max);
}

/* Parses into v without touching the stored value, so a rejected -p leaves the old one. */
static int parse_value(const struct pb_param_def *d, const char *value, struct pb_param_value *v,
                       struct pb_err *err)
{
    size_t len = strlen(value);
    if (len >= PB_PARAM_STRMAX)
        return pb_err_set(err, -EINVAL,
                          "parameter '%s': value is too long (%zu characters, max %d)", d->name,
                          len, PB_PARAM_STRMAX - 1);
    /* min < max rather than the header's min <= max: a table that leaves both out gets no
     * range instead of [0, 0], and a one-value range is not a parameter anyway. */
    int ranged = d->min < d->max;
    struct pb_quote q;
    int rc;

    switch (d->type) {
    case PB_PARAM_INT:
        rc = pb_parse_int(value, &v->i);
        if (rc == -ERANGE)
            return pb_err_set(err, -EINVAL, "parameter '%s': %s is too large", d->name,
                              pb_quote(&q, value));
        if (rc < 0)
            return pb_err_set(err, -EINVAL, "parameter '%s': %s is not an integer", d->name,
                              pb_quote(&q, value));
        v->d = (double)v->i;
        if (ranged && (v->d < d->min || v->d > d->max))
            return out_of_range(d, value, err);
        break;
    case PB_PARAM_DOUBLE:
        rc = pb_parse_double(value, &v->d);
        if (rc == -ERANGE)
            return pb_err_set(err, -EINVAL, "parameter '%s': %s is beyond the range of a double",
                              d->name, pb_quote(&q, value));
        if (rc < 0)
            return pb_err_set(err, -EINVAL, "parameter '%s': %s is not a number", d->name,
                              pb_quote(&q, value));
        if (ranged && (v->d < d->min || v->d > d->max))
            return out_of_range(d, value, err);
        break;
    case PB_PARAM_BOOL:
        if (parse_bool(value, &v->i) < 0)
            return pb_err_set(err, -EINVAL,
                              "parameter '%s': %s is not a boolean (use 0/1, true/false, "
                              "yes/no)",
                              d->name, pb_quote(&q, value));
        v->d = (double)v->i;
        break;
    case PB_PARAM_STRING:
        break;
    default:
        return pb_err_set(err, -EINVAL, "parameter '%s': unknown type %d", d->name, (int)d->type);
    }
    /* Every type keeps its text as given: reports can show "10k" as the user wrote it. */
    memcpy(v->s, value, len + 1);
    return 0;
}

int pb_params_init(struct pb_params *p, const struct pb_param_def *defs, size_t count,
                   struct pb_err *err)
{
    memset(p, 0, sizeof(*p));
    if (count > PB_PARAMS_MAX)
        return pb_err_set(err, -EINVAL, "too many parameters (%zu, max %d)", count, PB_PARAMS_MAX);
    p->defs = defs;
    p->count = count;
    for (size_t i = 0; i < count; i++) {
        /* A missing default is the type's zero; the table author can leave strings empty. */
        const char *def = defs[i].def;
        if (!def)
            def = defs[i].type == PB_PARAM_STRING ? "" : "0";
        int rc = parse_value(&defs[i], def, &p->v[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int pb_params_set(struct pb_params *p, const char *key, const char *value, struct pb_err *err)
{
    long i = find_index(p, key);
    struct pb_quote q;

    if (i < 0)
        return pb_err_set(err, -ENOENT, "unknown parameter %s", pb_quote(&q, key));
    struct pb_param_value v;
    int rc = parse_value(&p->defs[i], value, &v, err);
    if (rc < 0)
        return rc;
    p->v[i] = v;
    return 0;
}

/* Asking for a name the table lacks, or for the wrong type, is a bug in the plug-in, and
 * returning a made-up value would turn it into a wrong measurement. */
static const struct pb_param_value *lookup(const struct pb_params *p, const char *key,
                                           unsigned types, const char *as)
{
    long i = find_index(p, key);
    if (i < 0) {
        fprintf(stderr, "parbench: bug: no parameter '%s' in this plug-in's table\n", key);
        abort();
    }
    if (!(types & TYPE_BIT(p->defs[i].type))) {
        fprintf(stderr, "parbench: bug: parameter '%s' is a %s, read as %s\n", key,
                pb_param_type_name(p->defs[i].type), as);
        abort();
    }
    return &p->v[i];
}

int64_t pb_param_int(const struct pb_params *p, const char *key)
{
    return lookup(p, key, TYPE_BIT(PB_PARAM_INT) | TYPE_BIT(PB_PARAM_BOOL), "int")->i;
}

double pb_param_double(const struct pb_params *p, const char *key)
{
    return lookup(p, key, TYPE_BIT(PB_PARAM_INT) | TYPE_BIT(PB_PARAM_DOUBLE), "double")->d;
}

int pb_param_bool(const struct pb_params *p, const char *key)
{
    return lookup(p, key, TYPE_BIT(PB_PARAM_BOOL), "bool")->i != 0;
}

const char *pb_param_str(const struct pb_params *p, const char *key)
{
    return lookup(p, key, ~0u, "string")->s;
}

/* Splits "1.5" into whole and fractional parts so whole durations stay exact in integers. */
int pb_parse_duration_ns(const char *text, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"ms", 1000000},
        {"s", 1000000000},
        {"", 1000000000},
        {"m", UINT64_C(60) * 1000000000},
        {"h", UINT64_C(3600) * 1000000000},
    };
    const char *p = text;
    uint64_t whole = 0, unit = 0;
    int digits = 0, big = 0;

    *out = 0;
    /* Past the maximum the digits are still read, so "99999999999x" is a syntax error. */
    for (; is_digit(*p); p++, digits++) {
        whole = whole * 10 + (unsigned)(*p - '0');
        if (whole > PB_DURATION_MAX_NS) {
            big = 1;
            whole = 0;
        }
    }
    const char *frac = NULL;
    if (*p == '.') {
        frac = p;
        for (p++; is_digit(*p); p++)
            digits++;
    }
    if (digits == 0)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].suffix) == 0) {
            unit = units[i].ns;
            break;
        }
    }
    if (unit == 0)
        return -EINVAL;

    if (big || whole > PB_DURATION_MAX_NS / unit)
        return -ERANGE;
    uint64_t ns = whole * unit;
    if (frac) {
        /* Only the digits after the point (then the unit's letters), which strtod reads
         * without surprises: a value in [0, 1], so add <= unit. */
        double f = strtod(frac, NULL) * (double)unit;
        uint64_t add = (uint64_t)llround(f);
        if (add > PB_DURATION_MAX_NS - ns)
            return -ERANGE;
        ns += add;
    }
    *out = ns;
    return 0;
}

int pb_split_list(const char *text, const char *what, char ***items, size_t *n, struct pb_err *err)
{
    struct pb_quote q;
    size_t len = strlen(text), count = 1, k = 0;
    char **list, *copy;

    *items = NULL;
    *n = 0;
    if (len == 0)
        return pb_err_set(err, -EINVAL, "%s: '' is an empty list", what);
    for (size_t i = 0; i < len; i++)
        count += text[i] == ',';
    /* The pointers, then the copy they point into: one block, one free. */
    list = malloc((count + 1) * sizeof(*list) + len + 1);
    if (!list)
        return pb_err_set(err, -ENOMEM, "%s: out of memory splitting the list", what);
    copy = (char *)(list + count + 1);
    memcpy(copy, text, len + 1);
    for (char *p = copy;; p++) {
        char *comma = strchr(p, ',');
        size_t ilen = comma ? (size_t)(comma - p) : strlen(p);
        if (ilen == 0) {
            free(list);
            return pb_err_set(err, -EINVAL, "%s: %s has an empty item (number %zu)", what,
                              pb_quote(&q, text), k + 1);
        }
        if (isspace((unsigned char)p[0]) || isspace((unsigned char)p[ilen - 1])) {
            struct pb_quote qi;
            /* The item lies in the block: quote it before the block goes. */
            pb_err_set(err, -EINVAL, "%s: item %s of %s has spaces around it", what,
                       pb_quote_n(&qi, p, ilen), pb_quote(&q, text));
            free(list);
            return -EINVAL;
        }
        list[k++] = p;
        if (!comma)
            break;
        *comma = '\0';
        p = comma;
    }
    list[k] = NULL;
    *items = list;
    *n = k;
    return 0;
}

/* The item without its quotes when one pair encloses all of it: the quote that opens it closes
 * at its last byte. */
static char *unquote(char *item, size_t len)
{
    if (len < 2 || (item[0] != '\'' && item[0] != '"') ||
        strchr(item + 1, item[0]) != item + len - 1)
        return item;
    item[len - 1] = '\0';
    return item + 1;
}

int pb_split_values(const char *text, const char *what, char ***items, size_t *n,
                    struct pb_err *err)
{
    struct pb_quote q;
    size_t len = strlen(text), count = 1, k = 0;
    char open = 0;

    *items = NULL;
    *n = 0;
    for (size_t i = 0; i < len; i++)
        count += text[i] == ',';
    /* As pb_split_list: the pointers, then the copy they point into (commas an upper bound). */
    char **list = malloc((count + 1) * sizeof(*list) + len + 1);
    if (!list)
        return pb_err_set(err, -ENOMEM, "%s: out of memory splitting the values", what);
    char *start = (char *)(list + count + 1), *p = start;
    memcpy(start, text, len + 1);
    for (;; p++) {
        if (open && !*p) {
            free(list);
            return pb_err_set(err, -EINVAL, "%s: %s has an unterminated %c quote", what,
                              pb_quote(&q, text), open);
        }
        if (open) {
            open = *p == open ? 0 : open;
            continue;
        }
        if (*p == '\'' || *p == '"')
            open = *p;
        if (*p && *p != ',')
            continue;
        int last = !*p;
        /* "" alone is one empty value, as -p key= always was; empty between commas is a typo. */
        if (p == start && !(last && k == 0)) {
            free(list);
            return pb_err_set(err, -EINVAL, "%s: %s has an empty item (number %zu)", what,
                              pb_quote(&q, text), k + 1);
        }
        *p = '\0';
        list[k++] = unquote(start, (size_t)(p - start));
        if (last)
            break;
        start = p + 1;
    }
    list[k] = NULL;
    *items = list;
    *n = k;
    return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

int pb_parse_levels(const char *text, unsigned min, unsigned max, unsigned **levels, size_t *n,
                    struct pb_err *err)
{
    struct pb_quote q;
    char **items = NULL;
    unsigned *out = NULL, *sorted = NULL;
    size_t count = 0;
    int rc;

    *levels = NULL;
    *n = 0;
    rc = pb_split_list(text, "-c", &items, &count, err);
    if (rc < 0)
        return rc;
    out = malloc(count * sizeof(*out));
    if (!out) {
        rc = pb_err_set(err, -ENOMEM, "-c: out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t v;
        if (pb_parse_uint(items[i], &v) < 0 || v < min || v > max) {
            rc = pb_err_set(err, -EINVAL,
                            "-c: concurrency must be a whole number in [%u, %u], got %s", min, max,
                            pb_quote(&q, items[i]));
            goto out;
        }
        out[i] = (unsigned)v;
    }
    /* By value, so "1000" and "1k" are the same level; sorted, so a list as long as a command
     * line allows is still checked at once. */
    sorted = malloc(count * sizeof(*sorted));
    if (!sorted) {
        rc = pb_err_set(err, -ENOMEM, "-c: out of memory");
        goto out;
    }
    memcpy(sorted, out, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), cmp_unsigned);
    for (size_t i = 1; i < count; i++)
        if (sorted[i] == sorted[i - 1]) {
            rc = pb_err_set(err, -EINVAL, "-c: concurrency %u is given twice in %s", sorted[i],
                            pb_quote(&q, text));
            goto out;
        }
    *levels = out;
    *n = count;
    out = NULL;
out:
    free(sorted);
    free(out);
    free(items);
    return rc;
}
