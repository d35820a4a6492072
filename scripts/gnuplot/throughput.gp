# Chart 1: throughput against concurrency (log x) for one workload, a line per runner with the
# repetitions' confidence interval as error bars.
# Set by scripts/plot: gpdir, fmt, out, data (runner r's rows are in data.'.'.r.'.tsv': c,
# median, ci_low, ci_high), sweep and flat (runner lists), chart_title, xmin, xmax.
load gpdir.'/style.gp'

set title chart_title
set xlabel 'concurrency c (tasks in progress at once; log scale)'
set ylabel 'throughput (tasks/s)'
set logscale x 2
set xrange [xmin / 1.4 : xmax * 1.4]
set yrange [0:*]
set format y '%.1s%c'
file(r) = data.'.'.r.'.tsv'
plot for [r in sweep] file(r) using 1:2:3:4 with yerrorlines ls runner_ls(r) \
         title runner_title(r), \
     for [r in flat] file(r) using 1:2 with lines ls runner_ls(r) dt 2 title runner_title(r)
