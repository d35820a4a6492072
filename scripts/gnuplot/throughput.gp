# Chart 1: throughput against concurrency (log x) for one workload, a line per runner with the
# repetitions' confidence interval as error bars.
# Set by scripts/plot: gpdir, fmt, out, data (runner r's rows are in data.'.'.r.'.tsv': c,
# median, ci_low, ci_high), sweep and flat (runner lists), chart_title, xmin, xmax, logy (1:
# a log y axis, for throughputs that span decades).
load gpdir.'/style.gp'

set title chart_title
set xlabel 'concurrency c (tasks in progress at once; log scale)'
set ylabel logy ? 'throughput (tasks/s; log scale)' : 'throughput (tasks/s)'
set logscale x 2
set xrange [xmin / 1.4 : xmax * 1.4]
if (logy) {
    set logscale y 10
    set format y '%.0s%c'
} else {
    set yrange [0:*]
    set format y '%.1s%c'
}
file(r) = data.'.'.r.'.tsv'
plot_cmd = "plot for [r in sweep] file(r) using 1:2:3:4 with yerrorlines ls runner_ls(r) " . \
           "title runner_title(r)"
eval plot_cmd . flat_clause('1:2', 1)
