/* The stop channel. */
#include "harness/stop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "harness/clock.h"
#include "harness/futex.h"

#define MAX_WATCHED 32

struct stop_channel {
    _Atomic uint32_t reason; /* also the futex word pb_stop_sleep_until waits on */
    _Atomic int signal;
    _Atomic uint64_t grace_ns;
    _Atomic uint64_t grace_end_ns;
    _Atomic(_Atomic uint32_t *) watched[MAX_WATCHED];
};

static struct stop_channel local = {.grace_end_ns = UINT64_MAX};
static struct stop_channel *chan = &local;
_Atomic uint32_t *pb_stop_word = &local.reason;

void pb_stop_request(enum pb_stop_reason reason)
{
    uint32_t none = PB_STOP_NONE;
    if (!atomic_compare_exchange_strong(&chan->reason, &none, (uint32_t)reason))
        return;
    atomic_store(&chan->grace_end_ns, pb_now_ns() + atomic_load(&chan->grace_ns));
    pb_futex_wake(&chan->reason, INT32_MAX);
    for (int i = 0; i < MAX_WATCHED; i++) {
        _Atomic uint32_t *w = atomic_load(&chan->watched[i]);
        if (w) {
            atomic_fetch_add(w, 1);
            pb_futex_wake(w, INT32_MAX);
        }
    }
}

static void on_signal(int sig)
{
    int none = 0;
    atomic_compare_exchange_strong(&chan->signal, &none, sig);
    pb_stop_request(PB_STOP_SIGNAL);
}

int pb_stop_setup(void)
{
    struct stop_channel *c =
        mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return -errno;
    memset(c, 0, sizeof(*c));
    atomic_store(&c->grace_end_ns, UINT64_MAX);
    chan = c;
    pb_stop_word = &c->reason;
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A parent that held them through our exec (--isolate) gets what came meanwhile now. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
    /* A reader that went away (-o - | head) is a failed write, which the document survives. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

enum pb_stop_reason pb_stop_reason(void)
{
    return (enum pb_stop_reason)atomic_load_explicit(&chan->reason, memory_order_relaxed);
}

int pb_stop_signal(void)
{
    return atomic_load(&chan->signal);
}

const char *pb_stop_reason_name(enum pb_stop_reason reason)
{
    switch (reason) {
    case PB_STOP_NONE:
        return "completed";
    case PB_STOP_SIGNAL:
        return "interrupted";
    case PB_STOP_FAIL_FAST:
        return "fail_fast";
    case PB_STOP_ERROR:
        break;
    }
    return "error";
}

void pb_stop_set_grace(uint64_t grace_ns)
{
    atomic_store(&chan->grace_ns, grace_ns);
}

uint64_t pb_stop_grace_end_ns(void)
{
    return pb_stop_requested() ? atomic_load(&chan->grace_end_ns) : UINT64_MAX;
}

int pb_stop_grace_over(void)
{
    return pb_stop_requested() && pb_now_ns() >= atomic_load(&chan->grace_end_ns);
}

int pb_stop_watch(_Atomic uint32_t *word)
{
    for (int i = 0; i < MAX_WATCHED; i++) {
        _Atomic uint32_t *none = NULL;
        if (atomic_compare_exchange_strong(&chan->watched[i], &none, word))
            return 0;
    }
    return -ENOSPC;
}

void pb_stop_unwatch(_Atomic uint32_t *word)
{
    for (int i = 0; i < MAX_WATCHED; i++) {
        _Atomic uint32_t *w = word;
        atomic_compare_exchange_strong(&chan->watched[i], &w, NULL);
    }
}

int pb_stop_sleep_until(uint64_t t_ns)
{
    for (;;) {
        if (pb_stop_requested())
            return -ECANCELED;
        uint64_t now = pb_now_ns();
        if (now >= t_ns)
            return 0;
        pb_futex_wait(&chan->reason, PB_STOP_NONE, t_ns - now);
    }
}

void pb_stop_reset(void)
{
    atomic_store(&chan->reason, PB_STOP_NONE);
    atomic_store(&chan->signal, 0);
    atomic_store(&chan->grace_end_ns, UINT64_MAX);
}
