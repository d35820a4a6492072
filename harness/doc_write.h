/* Writing a result document: the header of a run, and cases and repetitions from typed results.
 * Keys follow results/schema/result-v1.schema.json; harness/doc_read.c reads the same keys. */
#ifndef PB_DOC_WRITE_H
#define PB_DOC_WRITE_H

#include <jansson.h>

#include "harness/doc.h"
#include "harness/plan.h"
#include "harness/result.h"
#include "harness/topo.h"

/* A new run document: schema, tool, host, libraries, the plan's settings, an empty "cases" and
 * "warnings"; complete false and stop_reason "error" until pb_doc_finish. */
json_t *pb_doc_new(int argc, char **argv, const struct pb_topo *topo, const struct pb_plan *plan);
/* Sets complete, stop_reason and finished_at. */
void pb_doc_finish(json_t *doc, const char *stop_reason);
/* Replaces the document's "cases" with these, and adds each case's warnings to the document's
 * "warnings" prefixed with its label (once). -ENOMEM. */
int pb_doc_set_cases(json_t *doc, const struct pb_case_result *cases, size_t n);
/* DIR/<UTC time>-<host>.json: where a run's document goes by default. */
void pb_doc_default_path(char *buf, size_t len, const char *dir);

#endif
