/* The result document: written from typed results by harness/doc_write.c, read back into them by
 * harness/doc_read.c; results/schema/result-v1.schema.json describes it. */
#ifndef PB_DOC_H
#define PB_DOC_H

#define PB_RESULT_SCHEMA "parbench/result/v1"

/* How documents are dumped: indented, reals with enough digits to read back what was measured. */
#define PB_DOC_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

#endif
