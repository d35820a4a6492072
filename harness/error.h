/* One-line error messages carried from where a problem is found to main, which prints them:
 * struct pb_err, pb_err_set and the exit codes are part of the plug-in interface. */
#ifndef PB_ERROR_H
#define PB_ERROR_H

#include "parbench/parbench.h"

#endif
