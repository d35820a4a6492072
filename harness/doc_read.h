/* Reading a result document back into the typed model (harness/result.h), checking everything
 * that is read: compare, export and merge see only typed cases whose every value was valid. */
#ifndef PB_DOC_READ_H
#define PB_DOC_READ_H

#include <stddef.h>

#include <jansson.h>

#include "harness/doc.h"
#include "harness/error.h"
#include "harness/result.h"

/* How documents are parsed: any JSON value (a document that is not an object is named as such),
 * and a key given twice in one object is an error rather than a silent choice. */
#define PB_DOC_DECODE_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

struct pb_doc {
    char *path;   /* the name in messages: as given, "<stdin>" for "-" */
    json_t *root; /* owned: the whole document, for its header (tool, host, settings, ...) */
    struct pb_case_result *cases; /* owned, in the document's order */
    size_t ncases;
};

/* Loads the result document at path ("-": standard input) into d. On error d is left empty
 * (pb_doc_destroy is safe) and err holds one line naming the file:
 * "FILE: cannot open: REASON" (-errno), "FILE: not JSON: line L: REASON",
 * "FILE: not a parbench result document (no 'schema')", "FILE: schema 'X' is not
 * parbench/result/v1", or "FILE: PATH: PROBLEM" for a value that is missing, of the wrong type
 * or out of range, e.g. "r.json: cases[0].repetitions[1].throughput_per_s: expected a number
 * >= 0, got "fast"" (all -EINVAL), or -ENOMEM.
 *
 * Case identity is recomputed from the fields (pb_case_info_finish): the stored "id" must be a
 * string but is not the key, and two cases with one key are an error. Summaries, the latency
 * spectrum and the speed-up are read as stored; a metric the summary lacks is summarised from
 * the repetitions. Documents of the previous version read too: without a case's "settings",
 * repeat, warmup and timeout come from the top-level "settings" (else the defaults) and loops
 * from the workers of a loop runner; a repetition's "target" is its fixture. */
int pb_doc_load(struct pb_doc *d, const char *path, struct pb_err *err);
/* The same from bytes in memory (the fuzz target's way in). */
int pb_doc_parse(struct pb_doc *d, const char *buf, size_t len, const char *name,
                 struct pb_err *err);
/* The same checks on a parsed document; d takes its own reference to root. */
int pb_doc_from_json(struct pb_doc *d, json_t *root, const char *name, struct pb_err *err);
void pb_doc_destroy(struct pb_doc *d);

/* A string member of a top-level object ("host", "hostname"), or of the root when obj is NULL;
 * "" when absent (a present one was checked to be a string). */
const char *pb_doc_str(const struct pb_doc *d, const char *obj, const char *key);
/* The document's "complete": 0 for an interrupted run (absent counts as complete). */
int pb_doc_complete(const struct pb_doc *d);
/* The index of the case whose key is id, or -1. */
long pb_doc_find(const struct pb_doc *d, const char *id);

#endif
