/* Quoting bad input for one-line error messages. */
#include "harness/quote.h"

#include <stdio.h>
#include <string.h>

const char *pb_quote_n(struct pb_quote *q, const char *text, size_t len)
{
    size_t shown = len, o = 0;

    if (shown > PB_QUOTE_MAX) {
        shown = PB_QUOTE_MAX;
        /* Back off to the start of a UTF-8 sequence, so the cut never leaves half a character. */
        while (shown > 0 && ((unsigned char)text[shown] & 0xc0) == 0x80)
            shown--;
    }
    q->s[o++] = '\'';
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(q->s + o, 5, "\\x%02x", c);
            o += 4;
        } else {
            q->s[o++] = (char)c;
        }
    }
    if (shown < len) {
        memcpy(q->s + o, "...", 3);
        o += 3;
    }
    q->s[o++] = '\'';
    q->s[o] = '\0';
    return q->s;
}

const char *pb_quote(struct pb_quote *q, const char *text)
{
    return pb_quote_n(q, text, strlen(text));
}
