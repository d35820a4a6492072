/* Plug-ins: shared objects that add runners and workloads (the interface is
 * include/parbench/parbench.h). Only what is named is loaded (--plugin, PARBENCH_PLUGINS, a
 * suite's "plugins"): nothing is searched for. They are loaded before any worker exists, so
 * that process workers, forked later, have them too, and never unloaded. */
#ifndef PB_PLUGIN_H
#define PB_PLUGIN_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "harness/error.h"
#include "harness/sha256.h"

#define PB_PLUGINS_MAX 64

struct pb_plugin_loaded {
    char path[PATH_MAX]; /* the file's real path */
    char sha256[PB_SHA256_HEX];
    const struct pb_plugin *desc;
};

/* Loads the plug-in at path; loading the same file again does nothing. -EINVAL with err
 * naming the file and the problem (not found, not a shared object, a symbol it needs missing,
 * no descriptor, another ABI, a name a built-in or another plug-in has), -ENOMEM, -ENOSPC
 * beyond PB_PLUGINS_MAX. Nothing of a refused plug-in is registered. */
int pb_plugin_load(const char *path, struct pb_err *err);
/* Loads every file of PARBENCH_PLUGINS (a list separated by ':'), when it is set. */
int pb_plugin_load_env(struct pb_err *err);

size_t pb_plugin_count(void);
const struct pb_plugin_loaded *pb_plugin_at(size_t i);
/* The document's "plugins": [{path, name, version, sha256, runners, workloads}], a new array. */
json_t *pb_plugins_json(void);

#endif
