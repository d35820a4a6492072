/* Splitting a command line without a shell, and quoting words so that it splits back. */
#include "harness/cmdline.h"

#include <errno.h>
#include <string.h>

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

int pb_cmdline_split(const char *text, char *out, size_t len, size_t *nwords, struct pb_err *err)
{
    const char *p = text;
    size_t used = 0, n = 0;

    *nwords = 0;
    for (;;) {
        while (blank(*p))
            p++;
        if (!*p)
            break;
        /* one word: up to the next blank outside quotes */
        while (*p && !blank(*p)) {
            char c = *p++, quote = 0;
            if (c == '\'' || c == '"') {
                quote = c;
                for (; *p && *p != quote; p++) {
                    if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    if (used + 1 >= len)
                        return pb_err_set(err, -ENOSPC, "the command line is too long");
                    out[used++] = *p;
                }
                if (!*p)
                    return pb_err_set(err, -EINVAL, "an unterminated %c quote in the command: %s",
                                      quote, text);
                p++;
                continue;
            }
            if (c == '\\') {
                if (!*p)
                    return pb_err_set(err, -EINVAL, "a backslash at the end of the command: %s",
                                      text);
                c = *p++;
            }
            if (used + 1 >= len)
                return pb_err_set(err, -ENOSPC, "the command line is too long");
            out[used++] = c;
        }
        if (used >= len)
            return pb_err_set(err, -ENOSPC, "the command line is too long");
        out[used++] = '\0';
        n++;
    }
    *nwords = n;
    return 0;
}

/* Characters no POSIX shell gives a meaning to anywhere in a word ('=' would make a first word
 * an assignment, '~' and '#' a word's start special). */
static int plain(const char *word)
{
    static const char ok[] = "_@%+:,./-";
    if (!*word)
        return 0;
    for (const char *p = word; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(ok, *p)))
            return 0;
    return 1;
}

size_t pb_cmdline_quote(char *const *argv, size_t n, char *out, size_t len)
{
    size_t need = 0;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (need + 1 < len)                                                                        \
            out[need] = (c);                                                                       \
        need++;                                                                                    \
    } while (0)
    for (size_t i = 0; i < n; i++) {
        const char *w = argv[i];
        if (i)
            PUT(' ');
        if (plain(w)) {
            for (; *w; w++)
                PUT(*w);
            continue;
        }
        PUT('\'');
        for (; *w; w++) {
            if (*w == '\'') { /* close, an escaped quote, reopen */
                PUT('\'');
                PUT('\\');
                PUT('\'');
            }
            PUT(*w);
        }
        PUT('\'');
    }
#undef PUT
    if (len)
        out[need < len ? need : len - 1] = '\0';
    return need;
}
