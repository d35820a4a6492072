/* Merging result documents of the same plan run several times (interleaved A/B rounds) into one
 * document whose cases carry every round's repetitions. */
#ifndef PB_MERGE_H
#define PB_MERGE_H

#include <stddef.h>

#include <jansson.h>

#include "harness/doc_read.h"
#include "harness/error.h"

/* Merges docs[0..n) into a new document (*out). Cases are matched by their key (info.id); a
 * matched case gets the other documents' repetitions appended in order, its warm-ups and its
 * repeat and warmup settings summed, complete the conjunction, warnings united. Summaries are
 * recomputed from the merged repetitions (pb_case_summarize) and speed-ups with pb_speedups;
 * the latency spectrum, which percentiles of histograms cannot be merged into exactly, is the
 * per-percentile median of the inputs' spectra. The first document is the skeleton (tool,
 * host, settings, command line); started_at/finished_at span the inputs, complete and the stop
 * reason are the worst of them, "merged_from" lists them, and differing hosts, CPU models,
 * build types or commits add a warning.
 *
 * The inputs must be runs of one plan: every complete document must have every case any input
 * has (an incomplete one, an interrupted round, may lack some), else -EINVAL with err naming a
 * case one input has and another lacks; union_plans keeps every case with what the inputs have
 * of it instead. -EINVAL when n is 0, -ENOMEM. */
int pb_merge_docs(const struct pb_doc *docs, size_t n, int union_plans, json_t **out,
                  struct pb_err *err);
/* The typed half of pb_merge_docs: the merged cases, summarised, with their spectra and
 * speed-ups, in *out (allocated, *nout of them; pb_case_result_free each, then free). The same
 * errors. (--isolate merges its child runs into one case with it.) */
int pb_merge_cases(const struct pb_doc *docs, size_t n, int union_plans,
                   struct pb_case_result **out, size_t *nout, struct pb_err *err);

#endif
