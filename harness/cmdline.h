/* A command line as one string and back: the splitting the exec workload does on its cmd
 * parameter (no shell, a shell's simple quoting), and the quoting `parbench run -- ARGV` does
 * so that the splitting gives ARGV back exactly. The quoting is also what a POSIX shell reads
 * as the same words, so `-p shell=1` runs the same command. */
#ifndef PB_CMDLINE_H
#define PB_CMDLINE_H

#include <stddef.h>

#include "harness/error.h"

/* Splits text into words at blanks (space, tab, newline). Inside single quotes every character
 * is literal; inside double quotes a backslash escapes `"` and `\` (before any other character
 * it stays); outside quotes a backslash escapes the next character. Quotes join the word they
 * touch ("a'b c'd" is one word), and '' is an empty word. The words go into out, each ending
 * in NUL, one after another; *nwords says how many. out needs strlen(text) + 1 bytes at most.
 * 0, or -EINVAL (an unterminated quote, a backslash at the end; err says which) or -ENOSPC. */
int pb_cmdline_split(const char *text, char *out, size_t len, size_t *nwords, struct pb_err *err);

/* Quotes argv[0..n) into out (len bytes) as one line that pb_cmdline_split, and a POSIX shell,
 * reads back as exactly those words: a word of only [A-Za-z0-9_@%+:,./-] as it is, any other in
 * single quotes ('\'' for a quote inside, '' for an empty word). Returns the length the line
 * needs without its NUL, as snprintf does; out holds it whole only when that is below len. */
size_t pb_cmdline_quote(char *const *argv, size_t n, char *out, size_t len);

#endif
