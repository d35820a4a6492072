/* The files parbench writes (run's and merge's documents, export's formats), written so that
 * nothing but the destination is ever touched:
 *
 *   "-"                 standard output (fd 1), checked: a failed write or flush is an error;
 *   a regular file,     a new temporary PATH.tmp.XXXXXXXX beside it (O_CREAT|O_EXCL, so a
 *   or nothing there    planted link is never followed), fsynced and renamed over PATH at
 *                       commit: a reader sees the old file or the whole new one. A new file's
 *                       mode is 0666 & ~umask, as fopen makes it; a replaced one keeps its
 *                       mode and (where allowed) owner. A link at PATH to a regular file is
 *                       followed (the file it names is replaced, the link stays; /dev/stdout
 *                       is never replaced); a dangling one is replaced. Missing directories of
 *                       PATH are made (0777 & ~umask);
 *   anything else       (a character device, a FIFO) is written through: opened for writing
 *                       as it is (O_TRUNC, which such files ignore), never created or
 *                       replaced.
 *
 * Every failure removes the temporary, and its message (struct pb_err) is one line naming the
 * destination. Writes go to the descriptor through a stdio stream of the module's own
 * (fopencookie), so the errno of the first failed write is what commit reports. */
#ifndef PB_OUTFILE_H
#define PB_OUTFILE_H

#include <limits.h>
#include <stdio.h>

#include <jansson.h>

#include "harness/error.h"

/* pb_out_check: the path's missing directories will be made (results/runs/), so a missing
 * one is fine when it can be made. Without it a missing directory is bad input. */
#define PB_OUT_MKDIRS 1u

struct pb_out {
    FILE *f;             /* write here between pb_out_open and pb_out_commit or pb_out_abort */
    int fd;              /* under f */
    int kind;            /* how it ends (outfile.c) */
    int error;           /* errno of the first failed write; 0 while none */
    char path[PATH_MAX]; /* the destination as given (messages name it), "-" for stdout */
    char dest[PATH_MAX]; /* the file renamed over: path, or where a link at path points */
    char tmp[PATH_MAX];  /* the temporary file, "" when there is none */
};

/* The up-front check, before any work: can path be written? It writes and leaves nothing (it
 * creates and removes an empty probe file in the nearest existing directory). Returns 0 or:
 * -EISDIR path names a directory; -ENOENT a directory of path is missing (without
 * PB_OUT_MKDIRS); -EINVAL no path; -ENAMETOOLONG: the caller's input is wrong
 * (pb_out_exit_code: 2). A device or FIFO is not opened (that could block or act). Any
 * other negative errno: the environment refuses (permission, a read-only file system, a path
 * component that is a file, a closed standard output; pb_out_exit_code: 3). */
int pb_out_check(const char *path, unsigned flags, struct pb_err *err);

/* The exit code a failed pb_out_check (or pb_out_open) stands for: PB_EXIT_USAGE for bad
 * input, PB_EXIT_ENV for the rest. */
int pb_out_exit_code(int rc);

/* Opens path ("-": standard output) for writing into o->f. o must stay where it is until
 * pb_out_commit or pb_out_abort, and standard output must not be written by other means
 * meanwhile (what it had buffered is flushed first). A FIFO's open waits for its reader.
 * Returns 0 or a negative errno (and o->f is NULL, nothing is left behind). */
int pb_out_open(struct pb_out *o, const char *path, struct pb_err *err);

/* Finishes o: flushes, and for a temporary fsyncs it and renames it over the destination.
 * Fails (negative errno, the temporary removed) when any write, the flush, fsync, close or the
 * rename failed. Either way o->f is closed; standard output itself stays open. */
int pb_out_commit(struct pb_out *o, struct pb_err *err);

/* Gives up: nothing more is written (what is buffered is dropped), the temporary is removed,
 * the destination untouched. A no-op after pb_out_commit. */
void pb_out_abort(struct pb_out *o);

/* open, json_dumpf(doc, json_flags) and a newline, commit. */
int pb_out_write_json(const char *path, const json_t *doc, size_t json_flags, struct pb_err *err);

/* The fallback when doc could not be written to path: writes it to a new file
 * parbench-NAME-XXXXXX.json (NAME from path's last component, "stdout" for "-") in $TMPDIR,
 * or in /tmp when TMPDIR is unset or does not work, fsynced; its name goes into where.
 * Returns 0 or a negative errno (nothing left behind; err says where it last tried). */
int pb_out_rescue_json(const json_t *doc, size_t json_flags, const char *path, char *where,
                       size_t len, struct pb_err *err);

#endif
