/* The outcome of a comparison as people and programs read it: an aligned table for a terminal,
 * Markdown for pull requests, JUnit XML for CI, and a JSON object (parbench/compare/v2). */
#ifndef PB_COMPARE_RENDER_H
#define PB_COMPARE_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "harness/compare.h"

#define PB_COMPARE_SCHEMA "parbench/compare/v2"

/* Text from the documents (names, hosts, paths) reaches the terminal with its control
 * characters made visible, and Markdown with its markup escaped. -EIO on a write error. */
int pb_compare_print_text(const struct pb_compare *c, FILE *out);
int pb_compare_print_md(const struct pb_compare *c, FILE *out);
/* JUnit XML: a test per gated comparison, a failure per regression, skipped for what is not
 * decided or not measurable (valid against Jenkins' junit-4.xsd). -EIO on a write error. */
int pb_compare_print_junit(const struct pb_compare *c, FILE *out);
/* -ENOMEM. */
int pb_compare_to_json(const struct pb_compare *c, json_t **out);

#endif
