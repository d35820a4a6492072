/* The terminal side of a run: progress, warnings, the summary table. */
#include "harness/console.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/format.h"

static int progress_on;
static int progress_shown;
static uint64_t started_ns;

void pb_console_init(int quiet)
{
    progress_on = !quiet && isatty(STDERR_FILENO);
    started_ns = pb_now_ns();
}

void pb_console_progress(const char *label, unsigned rep, unsigned warmups, unsigned repeats)
{
    if (!progress_on || pb_now_ns() - started_ns < 1000000000u)
        return;
    if (rep < warmups)
        fprintf(stderr, "\r\033[K%s: warm-up %u/%u", label, rep + 1, warmups);
    else
        fprintf(stderr, "\r\033[K%s: repetition %u/%u", label, rep - warmups + 1, repeats);
    progress_shown = 1;
}

void pb_console_progress_done(void)
{
    if (progress_shown)
        fprintf(stderr, "\r\033[K");
    progress_shown = 0;
}

void pb_console_warn(const char *fmt, ...)
{
    va_list ap;
    pb_console_progress_done();
    fputs("parbench: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* "1.92x [1.85-1.99]": the speed-up with its interval when it has one. */
static void format_speedup(char *buf, size_t len, const struct pb_speedup *sp)
{
    char v[32], lo[32], hi[32];
    pb_format_ratio(v, sizeof(v), sp->value);
    if (!isfinite(sp->ci_low) || !isfinite(sp->ci_high)) {
        snprintf(buf, len, "%s", v);
        return;
    }
    pb_format_ratio(lo, sizeof(lo), sp->ci_low);
    pb_format_ratio(hi, sizeof(hi), sp->ci_high);
    lo[strcspn(lo, "x")] = 0; /* one unit for the three */
    hi[strcspn(hi, "x")] = 0;
    snprintf(buf, len, "%s [%s-%s]", v, lo, hi);
}

#define SWEPT_MAX 64 /* parameter names the table tells apart; more is a workload's typo */
#define SWEPT_COL 40 /* the column's widest text: a long URL is cut */

/* The parameter names whose values differ between the cases: a sweep's or a suite matrix's.
 * Without them two rows of one sweep would read the same. */
struct swept {
    const struct pb_case_param *first[SWEPT_MAX]; /* each name's first value seen */
    int varies[SWEPT_MAX];
    size_t n;
};

static int param_equal(const struct pb_case_param *a, const struct pb_case_param *b)
{
    char x[PB_PARAM_STRMAX + 64], y[PB_PARAM_STRMAX + 64];
    pb_case_param_text(a, x, sizeof(x));
    pb_case_param_text(b, y, sizeof(y));
    return strcmp(x, y) == 0;
}

static long swept_find(const struct swept *sw, const char *name)
{
    for (size_t k = 0; k < sw->n; k++)
        if (strcmp(sw->first[k]->name, name) == 0)
            return (long)k;
    return -1;
}

static void swept_scan(struct swept *sw, const struct pb_case_result *cases, size_t n)
{
    sw->n = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cases[i].info.nparams; j++) {
            const struct pb_case_param *p = &cases[i].info.params[j];
            long k = swept_find(sw, p->name);
            if (k >= 0)
                sw->varies[k] |= !param_equal(sw->first[k], p);
            else if (sw->n < SWEPT_MAX) {
                sw->first[sw->n] = p;
                sw->varies[sw->n++] = 0;
            }
        }
}

/* The case's swept parameters, "n=1000,size=64": cut to SWEPT_COL characters. */
static size_t swept_text(const struct swept *sw, const struct pb_case_info *c, char *buf)
{
    char v[PB_PARAM_STRMAX + 64];
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < c->nparams && used < SWEPT_COL; j++) {
        long k = swept_find(sw, c->params[j].name);
        if (k < 0 || !sw->varies[k])
            continue;
        pb_case_param_text(&c->params[j], v, sizeof(v));
        used += (size_t)snprintf(buf + used, SWEPT_COL + 1 - used, "%s%s=%s", used ? "," : "",
                                 c->params[j].name, v);
    }
    if (used > SWEPT_COL)
        memcpy(buf + SWEPT_COL - 3, "...", 4);
    return strlen(buf);
}

void pb_console_summary(const struct pb_case_result *cases, size_t n, FILE *out)
{
    struct swept sw;
    char params[SWEPT_COL + 1];
    int width = 0; /* the params column's; none when no parameter varies */
    swept_scan(&sw, cases, n);
    for (size_t i = 0; i < n; i++) {
        size_t len = swept_text(&sw, &cases[i].info, params);
        width = (int)len > width ? (int)len : width;
    }
    if (width && width < 6)
        width = 6;
    fprintf(out, "%-10s %-12s %5s %-*s%s%12s %10s %10s %8s %s\n", "runner", "workload", "c", width,
            width ? "params" : "", width ? " " : "", "throughput", "p50", "p99", "failed",
            "speedup [CI]");
    for (size_t i = 0; i < n; i++) {
        const struct pb_case_result *c = &cases[i];
        char conc[16], tp[32], p50[32], p99[32], sp[112] = "-";
        size_t len;
        if (c->info.gather)
            snprintf(conc, sizeof(conc), "all");
        else
            snprintf(conc, sizeof(conc), "%u", c->info.concurrency);
        swept_text(&sw, &c->info, params);
        pb_format_metric(tp, sizeof(tp), PB_METRIC_THROUGHPUT,
                         pb_case_median(c, PB_METRIC_THROUGHPUT));
        pb_format_metric(p50, sizeof(p50), PB_METRIC_LATENCY_P50,
                         pb_case_median(c, PB_METRIC_LATENCY_P50));
        pb_format_metric(p99, sizeof(p99), PB_METRIC_LATENCY_P99,
                         pb_case_median(c, PB_METRIC_LATENCY_P99));
        if (c->speedup.present)
            format_speedup(sp, sizeof(sp), &c->speedup);
        /* Never a finding: the reason goes under the table. */
        if (c->speedup.present && c->speedup.suspect && (len = strlen(sp)) + 10 < sizeof(sp))
            snprintf(sp + len, sizeof(sp) - len, " suspect");
        fprintf(out, "%-10s %-12s %5s %-*s%s%12s %10s %10s %8llu %s\n", c->info.runner,
                c->info.workload, conc, width, params, width ? " " : "", tp, p50, p99,
                (unsigned long long)pb_case_failed(c), sp);
    }
}

/* One line per suspect speed-up, after the table. */
static void suspects(const struct pb_case_result *cases, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        char label[128];
        if (!cases[i].speedup.present || !cases[i].speedup.suspect)
            continue;
        pb_case_info_label(&cases[i].info, label, sizeof(label));
        fprintf(out, "suspect speed-up, %s: %s\n", label, cases[i].speedup.suspect_reason);
    }
}

void pb_console_machine(const struct pb_case_result *cases, size_t n, FILE *out)
{
    suspects(cases, n, out);
    int header = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pb_case_result *c = &cases[i];
        if (!c->trust.judged || !c->trust.busy_reps)
            continue;
        const char *why = "";
        unsigned watched = 0;
        for (size_t k = 0; k < c->nreps; k++) {
            watched += c->reps[k].machine.watched != 0;
            if (!why[0] && c->reps[k].machine.busy)
                why = c->reps[k].machine.busy_reason;
        }
        char label[512];
        pb_case_info_label(&c->info, label, sizeof(label));
        if (!header)
            fputs("\nThe machine was busy:\n", out);
        header = 1;
        fprintf(out, "  %u of %u repetitions of %s (%s); %s\n", c->trust.busy_reps, watched, label,
                why,
                c->trust.trustworthy ? "most ran undisturbed: kept"
                                     : "its numbers are not trustworthy");
    }
}
