/* Case identity: the canonical key and the labels made from a case's fields. */
#include "harness/case_info.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_case_info_add_param(struct pb_case_info *c, const char *name, enum pb_param_type type,
                           int64_t i, double d, const char *s)
{
    struct pb_case_param *v = realloc(c->params, (c->nparams + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    c->params = v;
    struct pb_case_param *p = &v[c->nparams];
    *p = (struct pb_case_param){.name = strdup(name), .type = type, .i = i, .d = d};
    if (type == PB_PARAM_STRING)
        p->s = strdup(s ? s : "");
    if (!p->name || (type == PB_PARAM_STRING && !p->s)) {
        free(p->name);
        free(p->s);
        return -ENOMEM;
    }
    c->nparams++;
    return 0;
}

/* The shortest text that reads back as the same double; integral values without a fraction,
 * so that an integer parameter and a real one of the same value agree. */
static void number_text(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void pb_case_param_text(const struct pb_case_param *p, char *buf, size_t len)
{
    switch (p->type) {
    case PB_PARAM_INT:
        snprintf(buf, len, "%lld", (long long)p->i);
        break;
    case PB_PARAM_DOUBLE:
        number_text(p->d, buf, len);
        break;
    case PB_PARAM_BOOL:
        snprintf(buf, len, "%s", p->i ? "true" : "false");
        break;
    case PB_PARAM_STRING:
        snprintf(buf, len, "%s", p->s);
        break;
    }
}

json_t *pb_param_json(enum pb_param_type type, int64_t i, double d, const char *s)
{
    switch (type) {
    case PB_PARAM_INT:
        return json_integer(i);
    case PB_PARAM_DOUBLE:
        return isfinite(d) ? json_real(d) : json_null();
    case PB_PARAM_BOOL:
        return json_boolean(i);
    case PB_PARAM_STRING:
        break;
    }
    return json_string(s ? s : "");
}

/* Writes s with the key's separators and control bytes as %XX. */
static void put_escaped(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '%' || *p == '/' || *p == '=' || *p == ',' || *p < 0x20 || *p == 0x7f)
            fprintf(f, "%%%02X", *p);
        else
            fputc(*p, f);
    }
}

static int by_name(const void *a, const void *b)
{
    const struct pb_case_param *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* The parameters sorted by name into f: "k=v" joined by sep, escaped when escape is set. */
static int put_params(FILE *f, const struct pb_case_info *c, const char *sep, int escape)
{
    const struct pb_case_param **sorted = malloc((c->nparams + 1) * sizeof(*sorted));
    char *text = malloc(PB_PARAM_STRMAX + 64);
    if (!sorted || !text) {
        free(sorted);
        free(text);
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->nparams; i++)
        sorted[i] = &c->params[i];
    qsort(sorted, c->nparams, sizeof(*sorted), by_name);
    for (size_t i = 0; i < c->nparams; i++) {
        pb_case_param_text(sorted[i], text, PB_PARAM_STRMAX + 64);
        fputs(i ? sep : "", f);
        if (escape) {
            put_escaped(f, sorted[i]->name);
            fputc('=', f);
            put_escaped(f, text);
        } else {
            fprintf(f, "%s=%s", sorted[i]->name, text);
        }
    }
    free(text);
    free(sorted);
    return 0;
}

void pb_case_info_load_text(const struct pb_case_info *c, char *buf, size_t len)
{
    char rate[64];
    if (!pb_load_open(&c->load)) {
        snprintf(buf, len, "closed");
        return;
    }
    number_text(c->load.rate, rate, sizeof(rate));
    snprintf(buf, len, "open:%s/s,%s", rate, pb_arrivals_name(c->load.arrivals));
}

int pb_case_info_finish(struct pb_case_info *c)
{
    char *buf = NULL, load[128];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    put_escaped(f, c->runner);
    fputc('/', f);
    put_escaped(f, c->workload);
    if (c->nparams) {
        fputc('/', f);
        if (put_params(f, c, "/", 1) < 0) {
            fclose(f);
            free(buf);
            return -ENOMEM;
        }
    }
    if (!c->gather)
        fprintf(f, "/c=%u", c->concurrency);
    if (c->loops > 1)
        fprintf(f, "/loops=%u", c->loops);
    if (pb_load_open(&c->load)) { /* our own text, no name or value: needs no escaping */
        pb_case_info_load_text(c, load, sizeof(load));
        fprintf(f, "/%s", load);
    }
    if (strcmp(c->pin_spec, PB_CASE_DEFAULT_PIN) != 0) {
        fputs("/pin=", f);
        put_escaped(f, c->pin_spec);
    }
    if (c->queue_depth != PB_CASE_DEFAULT_QUEUE_DEPTH)
        fprintf(f, "/qd=%u", c->queue_depth);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return -ENOMEM;
    }
    free(c->id);
    c->id = buf;
    return 0;
}

void pb_case_info_free(struct pb_case_info *c)
{
    for (size_t i = 0; i < c->nparams; i++) {
        free(c->params[i].name);
        free(c->params[i].s);
    }
    free(c->params);
    free(c->id);
    free(c->runner);
    free(c->workload);
    memset(c, 0, sizeof(*c));
}

const char *pb_workload_kind_name(unsigned flags)
{
    unsigned f = flags & (PB_WL_CPU | PB_WL_IO);
    return f == (PB_WL_CPU | PB_WL_IO) ? "cpu+io" : f == PB_WL_CPU ? "cpu" : f ? "io" : "none";
}

int pb_workload_kind_flags(const char *name)
{
    static const unsigned all[] = {0, PB_WL_CPU, PB_WL_IO, PB_WL_CPU | PB_WL_IO};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, pb_workload_kind_name(all[i])) == 0)
            return (int)all[i];
    return -1;
}

int pb_case_info_copy(struct pb_case_info *dst, const struct pb_case_info *src)
{
    *dst = *src;
    dst->params = NULL;
    dst->nparams = 0;
    dst->id = src->id ? strdup(src->id) : NULL;
    dst->runner = strdup(src->runner ? src->runner : "");
    dst->workload = strdup(src->workload ? src->workload : "");
    int rc = (src->id && !dst->id) || !dst->runner || !dst->workload ? -ENOMEM : 0;
    for (size_t i = 0; i < src->nparams && rc == 0; i++) {
        const struct pb_case_param *p = &src->params[i];
        rc = pb_case_info_add_param(dst, p->name, p->type, p->i, p->d, p->s);
    }
    if (rc < 0)
        pb_case_info_free(dst);
    return rc;
}

void pb_case_label_of(const char *runner, const char *workload, unsigned concurrency, char *buf,
                      size_t len)
{
    if (concurrency)
        snprintf(buf, len, "%s %s c=%u", runner, workload, concurrency);
    else
        snprintf(buf, len, "%s %s c=all", runner, workload);
}

void pb_case_info_label(const struct pb_case_info *c, char *buf, size_t len)
{
    pb_case_label_of(c->runner, c->workload, c->gather ? 0 : c->concurrency, buf, len);
}

char *pb_case_info_params_text(const struct pb_case_info *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = put_params(f, c, ",", 0);
    if (fclose(f) != 0 || rc < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
