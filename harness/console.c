/* The terminal side of a run: progress, warnings, the summary table. */
#include "harness/console.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "harness/clock.h"

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

void pb_format_ns(double ns, char *buf, size_t len)
{
    if (ns < 1e3)
        snprintf(buf, len, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, len, "%.1f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, len, "%.2f ms", ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", ns / 1e9);
}

static double median_of(const json_t *c, const char *metric)
{
    const json_t *m = json_object_get(json_object_get(c, "summary"), metric);
    return json_number_value(json_object_get(m, "median"));
}

static void format_rate(double r, char *buf, size_t len)
{
    if (r >= 1e6)
        snprintf(buf, len, "%.2fM/s", r / 1e6);
    else if (r >= 1e3)
        snprintf(buf, len, "%.1fk/s", r / 1e3);
    else
        snprintf(buf, len, "%.1f/s", r);
}

void pb_console_summary(const json_t *doc, FILE *out)
{
    fprintf(out, "%-10s %-12s %5s %12s %10s %10s %8s %8s\n", "runner", "workload", "c",
            "throughput", "p50", "p99", "failed", "speedup");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        char conc[16], tp[32], p50[32], p99[32], sp[32] = "-";
        const json_t *jc = json_object_get(c, "concurrency");
        if (json_is_integer(jc))
            snprintf(conc, sizeof(conc), "%lld", (long long)json_integer_value(jc));
        else
            snprintf(conc, sizeof(conc), "all");
        format_rate(median_of(c, "throughput_per_s"), tp, sizeof(tp));
        pb_format_ns(median_of(c, "latency_p50_ns"), p50, sizeof(p50));
        pb_format_ns(median_of(c, "latency_p99_ns"), p99, sizeof(p99));
        const json_t *s = json_object_get(c, "speedup");
        if (s)
            snprintf(sp, sizeof(sp), "%.2fx", json_number_value(json_object_get(s, "value")));
        json_int_t failed = 0;
        size_t j;
        json_t *rep;
        json_array_foreach(json_object_get(c, "repetitions"), j, rep) failed +=
            json_integer_value(json_object_get(rep, "tasks_failed"));
        fprintf(out, "%-10s %-12s %5s %12s %10s %10s %8lld %8s\n",
                json_string_value(json_object_get(c, "runner")),
                json_string_value(json_object_get(c, "workload")), conc, tp, p50, p99,
                (long long)failed, sp);
    }
}
