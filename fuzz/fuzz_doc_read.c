/* libFuzzer target of the document reader: bytes to the JSON loader and pb_doc_from_json. Any
 * input must be refused with a message or read; what is read must write (pb_doc_set_cases) and
 * read back as the same cases, so the reader accepts nothing the writer cannot say. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/doc_read.h"
#include "harness/doc_write.h"

static void check_round_trip(const struct pb_doc *d)
{
    struct pb_doc again;
    struct pb_err err = {{0}};
    json_t *root = json_deep_copy(d->root);
    if (!root || pb_doc_set_cases(root, d->cases, d->ncases) < 0) {
        json_decref(root);
        return; /* out of memory: nothing to check */
    }
    if (pb_doc_from_json(&again, root, "again.json", &err) < 0) {
        fprintf(stderr, "a document read does not read back once written: %s\n", err.msg);
        abort();
    }
    if (again.ncases != d->ncases)
        abort();
    for (size_t i = 0; i < d->ncases; i++) {
        const struct pb_case_result *a = &d->cases[i], *b = &again.cases[i];
        if (strcmp(a->info.id, b->info.id) != 0 || a->nreps != b->nreps ||
            a->has_spectrum != b->has_spectrum) {
            fprintf(stderr, "case %zu differs: %s / %s\n", i, a->info.id, b->info.id);
            abort();
        }
    }
    pb_doc_destroy(&again);
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pb_doc d;
    struct pb_err err = {{0}};
    if (pb_doc_parse(&d, (const char *)data, size, "fuzz.json", &err) == 0) {
        check_round_trip(&d);
        pb_doc_destroy(&d);
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        abort(); /* a refusal is one line */
    }
    return 0;
}
