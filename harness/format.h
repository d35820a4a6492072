/* Numbers as people read them: one formatter per unit, shared by the console, compare, export
 * and the scripts (through export's text columns), so a value reads the same everywhere. And
 * text from documents made safe for a terminal. */
#ifndef PB_FORMAT_H
#define PB_FORMAT_H

#include <stddef.h>

#include "harness/metric.h"

/* Every formatter writes "-" for a value that is not finite, and never more than len bytes. */

/* Nanoseconds in the unit they read best in: "850 ns", "12.35 us", "1.234 ms", "2.1 s". */
void pb_format_ns(char *buf, size_t len, double ns);
/* Seconds: "0.1234 s", "12.35 s". */
void pb_format_seconds(char *buf, size_t len, double s);
/* Per second with an SI prefix: "950/s", "45.6k/s", "1.234M/s". */
void pb_format_rate(char *buf, size_t len, double per_s);
/* Bytes with a decimal SI prefix: "512 B", "10.49 MB". */
void pb_format_bytes(char *buf, size_t len, double bytes);
/* Bytes per second: "1.234 GB/s". */
void pb_format_bytes_rate(char *buf, size_t len, double bytes_per_s);
/* A ratio such as a speed-up: "0.98x", "3.50x", "12.3x", "250x". */
void pb_format_ratio(char *buf, size_t len, double x);
/* A fraction as a percentage with the given decimals: 0.0123, 1 -> "1.2%". */
void pb_format_percent(char *buf, size_t len, double fraction, int decimals);
/* A value of metric m, in the unit the metric table gives it. */
void pb_format_metric(char *buf, size_t len, enum pb_metric m, double v);

/* src with what a terminal would act on made visible: C0 controls and DEL as \xNN, C1 controls
 * (U+0080..U+009F, which some terminals read as escape sequences) as \uNNNN. src is UTF-8 (jansson
 * checks it). Truncated to len - 1 bytes, never inside an escape; returns dst. */
char *pb_format_safe_text(char *dst, size_t len, const char *src);

#endif
