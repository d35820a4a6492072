/* How a message shows the bad text it names: quoted, cut to a sane length, on one line. */
#ifndef PB_QUOTE_H
#define PB_QUOTE_H

#include <stddef.h>

/* Bytes of the text a message repeats: enough to recognise it, never the whole of a pasted
 * file. */
#define PB_QUOTE_MAX 64

struct pb_quote {
    char s[1 + PB_QUOTE_MAX * 4 + 3 + 1 + 1]; /* ' text (each byte at worst \xNN) ... ' NUL */
};

/* Writes 'text' into q and returns it: at most PB_QUOTE_MAX bytes of the text, then "..." when
 * there is more (never cutting a UTF-8 sequence), control bytes and DEL as \xNN so that the
 * message stays one line. */
const char *pb_quote(struct pb_quote *q, const char *text);
/* The same for the first len bytes of text (which need no terminator). */
const char *pb_quote_n(struct pb_quote *q, const char *text, size_t len);

#endif
