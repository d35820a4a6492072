# Chart 6: a trend over a series of result documents (x = commit and date, oldest first): the
# best throughput each runner reached on one workload, with its confidence interval.
# Set by scripts/plot: gpdir, fmt, out, data (rows index, median, ci_low, ci_high, label; the
# label of index i is labels[i + 1], from data.'.labels.gp'), runners, ndocs, chart_title.
wide = 1
height = 480
load gpdir.'/style.gp'

set title chart_title
set xlabel 'result document (commit, date)'
set ylabel 'peak throughput (tasks/s)'
set xrange [-0.5 : ndocs - 0.5]
set yrange [0:*]
set format y '%.1s%c'
set xtics rotate by 30 right font ',9'
set bmargin 7
file(r) = data.'.'.r.'.tsv'
load data.'.labels.gp'
plot for [r in runners] file(r) using 1:2:3:4:xtic(labels[int($1) + 1]) with yerrorlines ls runner_ls(r) \
         title runner_title(r)
