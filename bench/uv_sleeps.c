/* The yardstick for io.sleep on a loop: N concurrent sleeps of D ms on one bare libuv loop, one
 * uv_timer_t each (in one array: the cheapest way libuv allows), and nothing else: no records,
 * no checks. Prints the wall time from the first uv_timer_start to the last callback, and the
 * peak RSS of the process (scripts/bench-timers reads both).
 * usage: uv_sleeps [N [D_MS]]   (default 1000000 100) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <uv.h>

static unsigned long fired;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_timer(uv_timer_t *t)
{
    fired++;
    uv_close((uv_handle_t *)t, NULL);
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    uint64_t ms = argc > 2 ? strtoull(argv[2], NULL, 10) : 100;
    uv_loop_t loop;
    uv_timer_t *timers = calloc(n ? n : 1, sizeof(*timers));
    if (!timers || uv_loop_init(&loop) < 0) {
        fprintf(stderr, "uv_sleeps: out of memory\n");
        return 1;
    }
    /* Touched before the clock starts, as parbench touches its task slots before its start
     * gate: both then time the sleeps, not page faults. */
    memset(timers, 0xff, (n ? n : 1) * sizeof(*timers));
    double t0 = now_s();
    for (unsigned long i = 0; i < n; i++) {
        uv_timer_init(&loop, &timers[i]);
        uv_timer_start(&timers[i], on_timer, ms, 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    double wall = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("sleeps %lu\nms %llu\nfired %lu\nwall_s %.6f\npeak_rss_bytes %lld\n", n,
           (unsigned long long)ms, fired, wall, (long long)ru.ru_maxrss * 1024);
    uv_loop_close(&loop);
    free(timers);
    return fired == n ? 0 : 1;
}
