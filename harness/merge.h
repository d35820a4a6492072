/* Merging result documents of the same plan run several times (interleaved A/B rounds) into one
 * document whose cases carry every round's repetitions. */
#ifndef PB_MERGE_H
#define PB_MERGE_H

#include <stddef.h>

#include <jansson.h>

#include "harness/doc_read.h"
#include "harness/error.h"

/* The first document is the skeleton (tool, host, settings, command line). Cases are matched
 * by pb_case_key; a matched case gets the other documents' repetitions appended in order, a
 * case only some documents have is kept with what they have. Summaries and speed-ups are
 * recomputed from the merged repetitions; latency_spectrum_ns, which percentiles of histograms
 * cannot be merged into exactly, becomes the per-percentile median of the inputs' spectra.
 * started_at/finished_at span all inputs, complete is their conjunction, settings.repeat the
 * sum, "merged_from" lists the inputs, and differing hosts, CPU models, build types or commits
 * add a warning. -EINVAL when n is 0, -ENOMEM. */
int pb_merge_docs(struct pb_doc *const *docs, size_t n, json_t **out, struct pb_err *err);

#endif
