# Chart 4: the latency percentile spectrum of one workload at one concurrency, a line per
# runner, on a "nines" axis (x = -log10(1 - p/100): 90% at 1, 99% at 2, 99.9% at 3), so the
# tail gets as much room as the median.
# Set by scripts/plot: gpdir, fmt, out, data (rows x, value in unit), runners, unit,
# chart_title, xmax.
load gpdir.'/style.gp'

set title chart_title
set xlabel 'percentile ("nines" scale)'
set ylabel 'latency ('.unit.'; log scale)'
set logscale y 10
set format y '%g'
set xrange [0 : xmax + 0.15]
set xtics ('50%%' log10(2), '90%%' 1, '99%%' 2, '99.9%%' 3, '99.99%%' 4, '99.999%%' 5)
set mxtics 1
file(r) = data.'.'.r.'.tsv'
plot for [r in runners] file(r) using 1:2 with linespoints ls runner_ls(r) ps 0.7 \
         title runner_title(r)
