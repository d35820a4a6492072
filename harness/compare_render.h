/* The outcome of a comparison as people and programs read it: an aligned table for a terminal,
 * Markdown for pull requests, and a JSON object (parbench/compare/v1). */
#ifndef PB_COMPARE_RENDER_H
#define PB_COMPARE_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "harness/compare.h"

#define PB_COMPARE_SCHEMA "parbench/compare/v1"

/* Text from the documents (names, hosts, paths) reaches the terminal with its control
 * characters made visible, and Markdown with its markup escaped. -EIO on a write error. */
int pb_compare_print_text(const struct pb_compare *c, FILE *out);
int pb_compare_print_md(const struct pb_compare *c, FILE *out);
/* -ENOMEM. */
int pb_compare_to_json(const struct pb_compare *c, json_t **out);

#endif
