/* What the unit tests that check against a committed fixture (numbers another program
 * computed, tests/fixtures/make_*.py) share. Include after <cmocka.h>. */
#ifndef PB_TEST_FIXTURE_H
#define PB_TEST_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

/* Relative to the expected value (p-values span many decades); the caller has a `what` naming
 * the fixture case. */
#define assert_rel(a, b, rel)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (rel)*fabs(b_) + 1e-300))                                           \
            fail_msg("%s = %.17g, expected %.17g (%s)", #a, a_, b_, what);                         \
    } while (0)

/* Define FIXTURES, the file's path, before the include: `fixtures` is then the document,
 * load_fixtures and free_fixtures the group's setup and teardown (the setup fails, saying why,
 * when the file cannot be read). */
static json_t *fixtures;

static int load_fixtures(void **state)
{
    json_error_t e;
    (void)state;
    fixtures = json_load_file(FIXTURES, 0, &e);
    if (!fixtures)
        fprintf(stderr, "%s: line %d: %s\n", FIXTURES, e.line, e.text);
    return fixtures ? 0 : -1;
}

static int free_fixtures(void **state)
{
    (void)state;
    json_decref(fixtures);
    return 0;
}

/* A JSON array of numbers as an allocated array (*out); its length. */
static inline size_t test_doubles(const json_t *arr, double **out)
{
    size_t n = json_array_size(arr);
    double *v = malloc((n ? n : 1) * sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_number_value(json_array_get(arr, i));
    *out = v;
    return n;
}

#endif
