/* Number formatting by unit, and text made safe for a terminal. */
#include "harness/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Four significant digits: enough to see a 0.1% change, few enough to scan a column. */
#define DIGITS 4

static int missing(char *buf, size_t len, double v)
{
    if (isfinite(v))
        return 0;
    snprintf(buf, len, "-");
    return 1;
}

/* v scaled by 1000 per step through names[0..n), then "%.4g" with the name after sep. */
static void scaled(char *buf, size_t len, double v, const char *const *names, int n,
                   const char *sep, const char *suffix)
{
    int i = 0;
    if (missing(buf, len, v))
        return;
    /* Compare the rounded value, so 999.96 ns reads "1 us" rather than "1000 ns". */
    while (i + 1 < n) {
        char probe[64];
        snprintf(probe, sizeof(probe), "%.*g", DIGITS, fabs(v));
        if (strtod(probe, NULL) < 1000.0)
            break;
        v /= 1000.0;
        i++;
    }
    snprintf(buf, len, "%.*g%s%s%s", DIGITS, v, sep, names[i], suffix);
}

void pb_format_ns(char *buf, size_t len, double ns)
{
    static const char *const units[] = {"ns", "us", "ms", "s"};
    scaled(buf, len, ns, units, 4, " ", "");
}

void pb_format_seconds(char *buf, size_t len, double s)
{
    if (!missing(buf, len, s))
        snprintf(buf, len, "%.*g s", DIGITS, s);
}

void pb_format_rate(char *buf, size_t len, double per_s)
{
    static const char *const si[] = {"", "k", "M", "G", "T"};
    scaled(buf, len, per_s, si, 5, "", "/s");
}

void pb_format_bytes(char *buf, size_t len, double bytes)
{
    static const char *const si[] = {"B", "kB", "MB", "GB", "TB"};
    scaled(buf, len, bytes, si, 5, " ", "");
}

void pb_format_bytes_rate(char *buf, size_t len, double bytes_per_s)
{
    static const char *const si[] = {"B", "kB", "MB", "GB", "TB"};
    scaled(buf, len, bytes_per_s, si, 5, " ", "/s");
}

void pb_format_ratio(char *buf, size_t len, double x)
{
    if (missing(buf, len, x))
        return;
    if (fabs(x) < 9.995)
        snprintf(buf, len, "%.2fx", x);
    else if (fabs(x) < 99.95)
        snprintf(buf, len, "%.1fx", x);
    else
        snprintf(buf, len, "%.0fx", x);
}

void pb_format_percent(char *buf, size_t len, double fraction, int decimals)
{
    if (!missing(buf, len, fraction))
        snprintf(buf, len, "%.*f%%", decimals, fraction * 100.0);
}

void pb_format_metric(char *buf, size_t len, enum pb_metric m, double v)
{
    const struct pb_metric_def *def = pb_metric_def(m);
    switch (def ? def->unit : PB_UNIT_NS) {
    case PB_UNIT_TASKS_PER_S:
        pb_format_rate(buf, len, v);
        break;
    case PB_UNIT_BYTES_PER_S:
        pb_format_bytes_rate(buf, len, v);
        break;
    case PB_UNIT_S:
        pb_format_seconds(buf, len, v);
        break;
    case PB_UNIT_BYTES:
        pb_format_bytes(buf, len, v);
        break;
    case PB_UNIT_NS:
        pb_format_ns(buf, len, v);
        break;
    }
}

char *pb_format_safe_text(char *dst, size_t len, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t k = 0;
    if (!len)
        return dst;
    for (; *s; s++) {
        char esc[8];
        size_t n;
        if (*s < 0x20 || *s == 0x7f) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *s);
        } else if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[1]);
            s++;
        } else {
            /* A whole code point at a time, so truncation never splits one. */
            size_t cp = 1;
            while (*s >= 0xc0 && cp < 4 && (s[cp] & 0xc0) == 0x80)
                cp++;
            if (k + cp >= len)
                break;
            memcpy(dst + k, s, cp);
            k += cp;
            s += cp - 1;
            continue;
        }
        if (k + n >= len)
            break;
        memcpy(dst + k, esc, n);
        k += n;
    }
    dst[k] = '\0';
    return dst;
}
