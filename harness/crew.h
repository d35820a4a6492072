/* The worker crew: the choreography every runner shares. Start N workers (threads or processes,
 * as the runner says), wait until each has set up or failed to, stamp the start, open the start
 * gate (the seed's threading.Event: set-up is never timed), let the runner drive its part (feed
 * an open loop, supervise), and join. A stop (harness/stop.h) during set-up abandons the start:
 * the gate opens for no one. A runner file then holds only its own queueing policy. Its
 * interface is part of the plug-in interface (include/parbench/parbench.h), so that a runner
 * plug-in shares the choreography; the gate it embeds is harness/gate.h. */
#ifndef PB_CREW_H
#define PB_CREW_H

#include <sys/resource.h>

#include "harness/gate.h"
#include "harness/runner.h"

#endif
