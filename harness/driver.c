/* The driver: cases, warm-ups and repetitions around the runners, and what they measured. */
#include "harness/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/console.h"
#include "harness/isolate.h"
#include "harness/machine.h"
#include "harness/registry.h"
#include "harness/shm.h"
#include "harness/stop.h"
#include "harness/zygote.h"

/* The peak RSS counter (VmHWM) is per process and only grows; Linux resets it on request. */
static void peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static uint64_t peak_rss_read(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return (uint64_t)kb * 1024;
}

/* What a case's repetitions share. What workers read lives in shared memory: process workers
 * run in the zygote, which sees only that. */
struct case_run {
    const struct pb_plan *plan;
    const struct pb_case_spec *spec;
    struct pb_case_result *result;
    unsigned workers;
    struct pb_workload_env *env; /* shared */
    struct pb_params *params;    /* shared */
    struct pb_pin_plan *pins;    /* shared */
    size_t pins_size;
    struct pb_worker_record *records; /* shared */
    size_t records_size;
    struct pb_hist *latency; /* every kept repetition, merged */
    void *fixture;
    uint64_t repetitions_run; /* warm-ups included: each gets its own arrival seed */
    int watch;                /* the topology is this machine's: its PUs can be watched */
    struct pb_cpuset pus;     /* the PUs the workers may use (harness/machine.h) */
    unsigned round, order;    /* interleaved: where the next repetition runs; 0 sequential */
};

static void case_run_free(struct case_run *cr)
{
    pb_workload_fixture_teardown(cr->spec->workload, cr->fixture);
    pb_shm_free(cr->records, cr->records_size);
    pb_shm_free(cr->pins, cr->pins_size);
    pb_shm_free(cr->params, sizeof(*cr->params));
    pb_shm_free(cr->env, sizeof(*cr->env));
    free(cr->latency);
}

/* The case's shared memory, its pin plan and its fixture. */
static int case_run_init(struct case_run *cr, const struct pb_topo *topo, struct pb_err *err)
{
    const struct pb_case_spec *c = cr->spec;
    struct pb_pin_plan *pins = NULL;
    int rc = pb_pin_plan_make(topo, &c->set.pin, cr->workers, &pins, err);
    if (rc < 0)
        return rc;
    cr->pins_size = sizeof(*pins) + cr->workers * sizeof(pins->sets[0]);
    cr->records_size = cr->workers * sizeof(struct pb_worker_record);
    cr->pins = pb_shm_alloc(cr->pins_size);
    cr->records = pb_shm_alloc(cr->records_size);
    cr->params = pb_shm_alloc(sizeof(*cr->params));
    cr->env = pb_shm_alloc(sizeof(*cr->env));
    cr->latency = malloc(sizeof(*cr->latency));
    cr->result->pin_plan = calloc(cr->workers, sizeof(*cr->result->pin_plan));
    if (!cr->pins || !cr->records || !cr->params || !cr->env || !cr->latency ||
        !cr->result->pin_plan) {
        pb_pin_plan_destroy(pins);
        return pb_err_set(err, -ENOMEM, "out of memory for %u workers", cr->workers);
    }
    memcpy(cr->pins, pins, cr->pins_size);
    pb_pin_plan_destroy(pins);
    memcpy(cr->result->pin_plan, cr->pins->sets, cr->workers * sizeof(cr->pins->sets[0]));
    cr->result->pin_workers = cr->workers;
    cr->watch = pb_topo_is_this_system(topo);
    pb_cpuset_clear(&cr->pus);
    for (unsigned i = 0; i < cr->workers; i++)
        for (unsigned w = 0; w < PB_CPUSET_WORDS; w++)
            cr->pus.bits[w] |= cr->pins->sets[i].bits[w];
    pb_hist_reset(cr->latency);
    *cr->params = c->params;
    pb_case_workload_env(c, cr->env);
    cr->env->params = cr->params;
    cr->env->spare_pu = pb_pin_plan_spare_pu(topo, cr->pins);
    if ((rc = pb_workload_fixture_setup(c->workload, cr->env, &cr->fixture, err)) < 0)
        return rc;
    cr->env->fixture = cr->fixture;
    return 0;
}

static void account(struct pb_outcome *out, const struct pb_rep_result *r)
{
    out->tasks += r->ok + r->failed;
    out->failed += r->failed;
    out->check_failed |= !r->check_ok;
}

/* One repetition; kept in the case's result unless it is a warm-up. */
static int run_repetition(struct case_run *cr, int warmup, struct pb_outcome *out,
                          struct pb_err *err)
{
    const struct pb_case_spec *c = cr->spec;
    for (unsigned i = 0; i < cr->workers; i++)
        pb_record_reset(&cr->records[i], &cr->pins->sets[i]);
    void *shared = NULL;
    int rc = pb_workload_prepare(c->workload, cr->env, &shared, err);
    if (rc < 0)
        return rc;
    struct pb_run_spec rs = {
        .wl = c->workload,
        .env = cr->env,
        .wl_shared = shared,
        .concurrency = c->concurrency,
        .workers = cr->workers,
        .load = c->set.load,
        .queue_depth = c->set.queue_depth,
        .timeout_ns = c->set.timeout_ns,
        .grace_ns = c->set.grace_ns,
        .fail_fast = cr->plan->fail_fast,
        .pins = cr->pins,
        .records = cr->records,
    };
    rs.load.seed = 0x5eed + cr->repetitions_run++;
    struct pb_run_stats stats = {0};
    pb_workload_fixture_rep_begin(c->workload, cr->fixture);
    peak_rss_reset();
    struct pb_machine_sample before, after;
    int forks = c->runner->flags & PB_RUNNER_FORKS;
    pb_machine_sample(&before, &cr->pus, forks ? pb_zygote_pid() : 0);
    rc = forks ? pb_zygote_run(c->runner, &rs, &stats, err) : c->runner->run(&rs, &stats, err);
    pb_machine_sample(&after, &cr->pus, forks ? pb_zygote_pid() : 0);
    json_t *fixture = pb_workload_fixture_rep_report(c->workload, cr->fixture);
    if (rc < 0) {
        json_decref(fixture);
        json_decref(stats.report);
        pb_workload_release(c->workload, shared);
        /* Stopped before the workers started: no repetition, and no error either. */
        return rc == -ECANCELED && pb_stop_requested() ? 0 : rc;
    }
    struct pb_rep_result rep;
    if (pb_rep_from_records(&rep, cr->records, cr->workers, stats.start_ns, !pb_stop_requested()) <
        0) {
        json_decref(fixture);
        json_decref(stats.report);
        pb_workload_release(c->workload, shared);
        return pb_err_set(err, -ENOMEM, "out of memory");
    }
    rep.submitted = stats.submitted;
    rep.round = cr->round;
    rep.order = cr->order;
    rep.peak_rss_bytes = peak_rss_read() + stats.workers_peak_rss_bytes;
    rep.fixture = fixture;
    if (cr->watch)
        pb_machine_measure(&before, &after, &cr->pus, cr->records, cr->workers, &rep, &rep.machine);
    struct pb_err check = {""};
    uint64_t crashed =
        rep.failures[PB_FAIL_CRASH] + rep.failures[PB_FAIL_TIMEOUT] + rep.failures[PB_FAIL_OTHER];
    if (c->runner->flags & PB_RUNNER_FOREIGN) { /* the other program checked and reported */
        snprintf(check.msg, sizeof(check.msg), "%s", stats.check_failed);
        rep.check_ok = !check.msg[0];
        rep.workload = stats.report;
    } else {
        rep.check_ok =
            pb_workload_verify(c->workload, shared, cr->env, rep.ok, crashed, &check) == 0;
        rep.workload = pb_workload_report(c->workload, shared, cr->env);
    }
    if (!rep.check_ok)
        snprintf(rep.check_message, sizeof(rep.check_message), "%s", check.msg);
    pb_workload_release(c->workload, shared);
    if (warmup) {
        pb_rep_free(&rep);
        return 0;
    }
    for (unsigned i = 0; i < cr->workers; i++)
        pb_hist_merge(cr->latency, &cr->records[i].latency);
    account(out, &rep);
    if (!rep.check_ok)
        pb_console_warn("%s", rep.check_message);
    if (pb_case_result_add_rep(cr->result, &rep) < 0) {
        pb_rep_free(&rep);
        return pb_err_set(err, -ENOMEM, "out of memory");
    }
    return 0;
}

/* Prefixes err with the case's label. */
static int named(const struct pb_case_spec *c, int rc, struct pb_err *err)
{
    char label[256], msg[sizeof(err->msg)];
    pb_case_label(c, label, sizeof(label));
    snprintf(msg, sizeof(msg), "%s", err->msg);
    return pb_err_set(err, rc, "%s: %s", label, msg);
}

static int run_case(const struct pb_plan *plan, const struct pb_case_spec *c,
                    const struct pb_topo *topo, struct pb_case_result *result,
                    struct pb_outcome *out, struct pb_err *err)
{
    struct case_run cr = {.plan = plan, .spec = c, .result = result, .workers = pb_case_workers(c)};
    char label[256];
    pb_case_label(c, label, sizeof(label));
    pb_stop_set_grace(c->set.grace_ns);
    int rc = case_run_init(&cr, topo, err);
    unsigned total = c->set.warmup + c->set.repeat;
    for (unsigned r = 0; rc == 0 && r < total && !pb_stop_requested(); r++) {
        pb_console_progress(label, r, c->set.warmup, c->set.repeat);
        rc = run_repetition(&cr, r < c->set.warmup, out, err);
        result->warmups += rc == 0 && r < c->set.warmup;
    }
    pb_console_progress_done();
    result->complete = rc == 0 && result->nreps == c->set.repeat && !pb_stop_requested();
    if (pb_case_summarize(result, cr.latency) < 0 && rc == 0)
        rc = pb_err_set(err, -ENOMEM, "out of memory");
    case_run_free(&cr);
    return rc < 0 ? named(c, rc, err) : 0;
}

static int run_case_isolated(const struct pb_plan *plan, const struct pb_case_spec *c,
                             struct pb_case_result *result, struct pb_outcome *out,
                             struct pb_err *err)
{
    char label[256];
    pb_case_label(c, label, sizeof(label));
    pb_console_progress(label, c->set.warmup, c->set.warmup, c->set.repeat);
    int rc = pb_isolate_case(plan, c, result, err);
    pb_console_progress_done();
    for (size_t i = 0; i < result->nreps; i++)
        account(out, &result->reps[i]);
    if (pb_case_summarize(result, NULL) < 0 && rc == 0)
        rc = pb_err_set(err, -ENOMEM, "out of memory");
    return rc < 0 ? named(c, rc, err) : 0;
}

/* splitmix64: a small, seedable generator, so that a seed names one order of every round. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Fisher-Yates; the modulo's bias is negligible for a plan's few cases. */
static void shuffle(size_t *v, size_t n, uint64_t *state)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_random(state) % i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Every case of the plan at once, interleaved. */
struct interleaved {
    const struct pb_plan *plan;
    struct case_run *runs;
    size_t ready;  /* runs whose case_run_init was called: those to free */
    size_t *order; /* a round's cases, shuffled */
    struct pb_outcome *out;
    size_t failed; /* the case an error came from */
};

/* One repetition (or warm-up) of case i, under its own label and grace. */
static int interleaved_step(struct interleaved *iv, size_t i, unsigned r, struct pb_err *err)
{
    struct case_run *cr = &iv->runs[i];
    const struct pb_case_spec *c = cr->spec;
    char label[256];
    pb_case_label(c, label, sizeof(label));
    pb_stop_set_grace(c->set.grace_ns);
    pb_console_progress(label, r, c->set.warmup, c->set.repeat);
    int rc = run_repetition(cr, r < c->set.warmup, iv->out, err);
    cr->result->warmups += rc == 0 && r < c->set.warmup;
    iv->failed = i;
    return rc;
}

/* Round k (1-based): repetition k of every case that has one, in a random order. */
static int interleaved_round(struct interleaved *iv, unsigned k, uint64_t *rng, struct pb_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < iv->plan->count; i++)
        if (iv->plan->cases[i].set.repeat >= k)
            iv->order[n++] = i;
    shuffle(iv->order, n, rng);
    int rc = 0;
    for (size_t j = 0; j < n && rc == 0 && !pb_stop_requested(); j++) {
        struct case_run *cr = &iv->runs[iv->order[j]];
        cr->round = k;
        cr->order = (unsigned)j + 1;
        rc = interleaved_step(iv, iv->order[j], cr->spec->set.warmup + k - 1, err);
    }
    return rc;
}

/* Every case's set-up up front, then the warm-ups in plan order, then the rounds: a drift of the
 * machine lands on every case alike, and round k of two cases ran at about the same time. */
static int interleaved_run(struct interleaved *iv, const struct pb_topo *topo, struct pb_err *err)
{
    const struct pb_plan *plan = iv->plan;
    int rc = 0;
    unsigned rounds = 0;
    for (; iv->ready < plan->count && rc == 0; iv->ready++) {
        iv->failed = iv->ready;
        rc = case_run_init(&iv->runs[iv->ready], topo, err);
    }
    for (size_t i = 0; i < plan->count && rc == 0; i++) {
        for (unsigned w = 0; w < plan->cases[i].set.warmup && rc == 0 && !pb_stop_requested(); w++)
            rc = interleaved_step(iv, i, w, err);
        if (plan->cases[i].set.repeat > rounds)
            rounds = plan->cases[i].set.repeat;
    }
    uint64_t rng = plan->interleave_seed;
    for (unsigned k = 1; k <= rounds && rc == 0 && !pb_stop_requested(); k++)
        rc = interleaved_round(iv, k, &rng, err);
    pb_console_progress_done();
    return rc;
}

/* The cases' results once the rounds are over (or stopped): complete, summaries, freed. */
static int interleaved_finish(struct interleaved *iv, int rc, struct pb_err *err)
{
    for (size_t i = 0; i < iv->plan->count; i++) {
        struct case_run *cr = &iv->runs[i];
        struct pb_case_result *res = cr->result;
        res->complete = rc == 0 && res->nreps == cr->spec->set.repeat && !pb_stop_requested();
        if (pb_case_summarize(res, cr->latency) < 0 && rc == 0)
            rc = pb_err_set(err, -ENOMEM, "out of memory");
        if (i < iv->ready)
            case_run_free(cr);
    }
    return rc;
}

static int run_interleaved(const struct pb_plan *plan, const struct pb_topo *topo,
                           struct pb_run_results *results, struct pb_outcome *out,
                           struct pb_err *err)
{
    struct interleaved iv = {.plan = plan, .out = out};
    iv.runs = calloc(plan->count ? plan->count : 1, sizeof(*iv.runs));
    iv.order = calloc(plan->count ? plan->count : 1, sizeof(*iv.order));
    int rc = iv.runs && iv.order ? 0 : pb_err_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < plan->count && rc == 0; i++) {
        const struct pb_case_spec *c = &plan->cases[i];
        struct pb_case_result *res = &results->cases[i];
        pb_case_result_init(res);
        if (pb_case_info_from_spec(c, &res->info) < 0)
            rc = pb_err_set(err, -ENOMEM, "out of memory");
        results->count++;
        iv.runs[i] = (struct case_run){
            .plan = plan, .spec = c, .result = res, .workers = pb_case_workers(c)};
    }
    if (rc == 0) {
        rc = interleaved_run(&iv, topo, err);
        if (rc < 0)
            rc = named(&plan->cases[iv.failed], rc, err);
        rc = interleaved_finish(&iv, rc, err);
    }
    free(iv.runs);
    free(iv.order);
    return rc;
}

static void warn_console(const char *label, const char *msg)
{
    pb_console_warn("%s: %s", label, msg);
}

/* The PUs a case's workers could use. */
static unsigned case_pus(const struct pb_case_result *c)
{
    struct pb_cpuset pus;
    pb_cpuset_clear(&pus);
    for (unsigned i = 0; i < c->pin_workers; i++)
        for (unsigned w = 0; w < PB_CPUSET_WORDS; w++)
            pus.bits[w] |= c->pin_plan[i].bits[w];
    return pb_cpuset_count(&pus);
}

/* Whether the machine disturbed each case, serial cases first: their quiet CPU per task is the
 * baseline of the same CPU-bound work under the other runners. One line in the case's
 * warnings when it is not to be trusted. */
static int judge_machine(struct pb_run_results *res)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < res->count; i++) {
            struct pb_case_result *c = &res->cases[i];
            const struct pb_workload_ops *wl = pb_workload_find(c->info.workload);
            int cpu_bound = wl && wl->flags & PB_WL_CPU;
            /* A serial run's CPU per task is a fair baseline for one worker only: with more,
             * contention is part of the work (sync.lock's two threads spend 7x the CPU per
             * task on the lock, mem.stream's share the memory bandwidth), and their baseline
             * is their own quietest repetition. */
            int serial_fair = c->pin_workers == 1;
            if (pb_is_baseline_runner(c->info.runner) != (pass == 0))
                continue;
            unsigned npus = case_pus(c);
            double base = 0;
            for (size_t j = 0; pass == 1 && cpu_bound && serial_fair && j < res->count; j++)
                if (strcmp(res->cases[j].info.runner, pb_baseline_runner(c->info.runner)) == 0 &&
                    res->cases[j].trust.judged && res->cases[j].trust.trustworthy &&
                    pb_case_same_work(&c->info, &res->cases[j].info))
                    base = pb_machine_quiet_cpu_per_task(&res->cases[j]);
            pb_machine_judge_case(c, npus, cpu_bound, base);
            if (pb_case_untrusted(c) &&
                pb_case_result_warn(c, "busy machine: %s; its numbers are not trustworthy",
                                    c->trust.reason) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

void pb_run_results_free(struct pb_run_results *r)
{
    for (size_t i = 0; i < r->count; i++)
        pb_case_result_free(&r->cases[i]);
    free(r->cases);
    r->cases = NULL;
    r->count = 0;
}

int pb_driver_run(const struct pb_plan *plan, const struct pb_topo *topo,
                  struct pb_run_results *results, struct pb_outcome *out, struct pb_err *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    results->count = 0;
    results->cases = calloc(plan->count ? plan->count : 1, sizeof(*results->cases));
    if (!results->cases)
        return pb_err_set(err, -ENOMEM, "out of memory");
    if (plan->interleave) {
        rc = run_interleaved(plan, topo, results, out, err);
        for (size_t i = 0; i < results->count; i++)
            if (pb_case_check_stability(&results->cases[i], warn_console) < 0 && rc == 0)
                rc = pb_err_set(err, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; !plan->interleave && i < plan->count && rc == 0 && !pb_stop_requested();
         i++) {
        const struct pb_case_spec *c = &plan->cases[i];
        struct pb_case_result *res = &results->cases[results->count];
        pb_case_result_init(res);
        if (pb_case_info_from_spec(c, &res->info) < 0)
            return pb_err_set(err, -ENOMEM, "out of memory");
        results->count++;
        rc = plan->isolate ? run_case_isolated(plan, c, res, out, err)
                           : run_case(plan, c, topo, res, out, err);
        if (pb_case_check_stability(res, warn_console) < 0 && rc == 0)
            rc = pb_err_set(err, -ENOMEM, "out of memory");
    }
    if (judge_machine(results) < 0 && rc == 0)
        rc = pb_err_set(err, -ENOMEM, "out of memory");
    if (pb_speedups(results->cases, results->count) < 0 && rc == 0)
        rc = pb_err_set(err, -ENOMEM, "out of memory");
    return rc;
}
