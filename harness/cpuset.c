/* CPU sets: the text form users write ("0,2-3"), counting, iteration and binding a thread. */
#include "harness/cpuset.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "harness/quote.h"

void pb_cpuset_clear(struct pb_cpuset *s)
{
    memset(s, 0, sizeof(*s));
}

unsigned pb_cpuset_count(const struct pb_cpuset *s)
{
    unsigned n = 0;
    for (unsigned w = 0; w < PB_CPUSET_WORDS; w++)
        n += (unsigned)__builtin_popcountll(s->bits[w]);
    return n;
}

int pb_cpuset_next(const struct pb_cpuset *s, unsigned from)
{
    if (from >= PB_CPUSET_MAX)
        return -1;
    unsigned w = from / 64;
    uint64_t word = s->bits[w] & (~UINT64_C(0) << (from % 64));
    for (;;) {
        if (word)
            return (int)(w * 64 + (unsigned)__builtin_ctzll(word));
        if (++w == PB_CPUSET_WORDS)
            return -1;
        word = s->bits[w];
    }
}

/* A list that does not fit is cut after the last item that does, so the text never lies about
 * a member it shows. */
char *pb_cpuset_format(const struct pb_cpuset *s, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    size_t used = 0;
    int lo = pb_cpuset_next(s, 0);
    while (lo >= 0) {
        int hi = lo;
        while (hi + 1 < PB_CPUSET_MAX && pb_cpuset_has(s, (unsigned)hi + 1))
            hi++;
        char item[32];
        int n = hi == lo ? snprintf(item, sizeof(item), "%s%d", used ? "," : "", lo)
                         : snprintf(item, sizeof(item), "%s%d-%d", used ? "," : "", lo, hi);
        if (n < 0 || used + (size_t)n >= len)
            break;
        memcpy(buf + used, item, (size_t)n + 1);
        used += (size_t)n;
        lo = pb_cpuset_next(s, (unsigned)hi + 1);
    }
    return buf;
}

/* A CPU number: decimal digits only, so "-1", "+2" and "0x3" are rejected rather than read;
 * -2 for one past the largest a set holds (once every character is known to be a digit). */
static int parse_cpu(const char *p, const char *end, unsigned *out)
{
    unsigned long v = 0;
    int big = 0;

    if (p == end)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v >= PB_CPUSET_MAX) {
            big = 1;
            v = 0;
        }
    }
    if (big)
        return -2;
    *out = (unsigned)v;
    return 0;
}

/* One item, "3" or "2-5". A space is an error like any other stray character: "list: 0" would
 * otherwise be one spelling of a policy among many. */
static int parse_item(const char *p, const char *end, struct pb_cpuset *s, struct pb_err *err)
{
    struct pb_quote q;
    const char *dash = memchr(p, '-', (size_t)(end - p));
    unsigned lo = 0, hi = 0;
    int rlo = parse_cpu(p, dash ? dash : end, &lo);
    int rhi = dash ? parse_cpu(dash + 1, end, &hi) : 0;
    /* A bad character outranks a big number: "9999-x" is no range at all. */
    int rc = rlo == -1 || rhi == -1 ? -1 : rlo < 0 ? rlo : rhi;

    if (!dash)
        hi = lo;
    if (rc == -2)
        return pb_err_set(err, -EINVAL, "bad CPU list item %s (CPUs go up to %d)",
                          pb_quote_n(&q, p, (size_t)(end - p)), PB_CPUSET_MAX - 1);
    if (rc < 0 && memchr(p, ' ', (size_t)(end - p)))
        return pb_err_set(err, -EINVAL, "bad CPU list item %s (no spaces in a CPU list)",
                          pb_quote_n(&q, p, (size_t)(end - p)));
    if (rc < 0)
        return pb_err_set(err, -EINVAL, "bad CPU list item %s",
                          pb_quote_n(&q, p, (size_t)(end - p)));
    if (lo > hi)
        return pb_err_set(err, -EINVAL, "bad CPU list item %s (range goes down)",
                          pb_quote_n(&q, p, (size_t)(end - p)));
    for (unsigned c = lo; c <= hi; c++)
        pb_cpuset_add(s, c);
    return 0;
}

/* "" is the empty set, so that whatever pb_cpuset_format writes parses back. */
int pb_cpuset_parse(const char *text, struct pb_cpuset *s, struct pb_err *err)
{
    struct pb_cpuset tmp;
    pb_cpuset_clear(&tmp);
    if (*text != '\0') {
        const char *p = text;
        for (;;) {
            const char *comma = strchr(p, ',');
            const char *end = comma ? comma : p + strlen(p);
            int rc = parse_item(p, end, &tmp, err);
            if (rc < 0)
                return rc;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    *s = tmp;
    return 0;
}

int pb_cpuset_bind_self(const struct pb_cpuset *s)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    unsigned n = 0;
    for (int c = pb_cpuset_next(s, 0); c >= 0; c = pb_cpuset_next(s, (unsigned)c + 1)) {
        if (c >= CPU_SETSIZE)
            return -EINVAL;
        CPU_SET(c, &set);
        n++;
    }
    /* The kernel would take an empty mask as EINVAL too, but say it before asking. */
    if (n == 0)
        return -EINVAL;
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        return -errno;
    return 0;
}
