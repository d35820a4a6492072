# Chart 2: p50 and p99 latency (from creation to completion) against concurrency for one
# workload, side by side, a line per runner; both axes log scale.
# Set by scripts/plot: gpdir, fmt, out, data (rows c, p50, p99 in unit), unit, sweep, flat,
# chart_title, xmin, xmax.
wide = 1
load gpdir.'/style.gp'

file(r) = data.'.'.r.'.tsv'
set multiplot title chart_title font ',14'
set logscale x 2
set logscale y 10
set xrange [xmin / 1.4 : xmax * 1.4]
set format y '%g'
set xlabel 'concurrency c (log scale)'
set ylabel 'latency ('.unit.')'
set tmargin at screen 0.86
set bmargin at screen 0.13

set title 'p50 (median)'
set lmargin at screen 0.07
set rmargin at screen 0.38
unset key
eval "plot for [r in sweep] file(r) using 1:2 with linespoints ls runner_ls(r)" . \
     flat_clause('1:2', 0)

set title 'p99'
set lmargin at screen 0.46
set rmargin at screen 0.77
set key at screen 0.785, screen 0.86 left top vertical Left reverse samplen 2.5 spacing 1.2
eval "plot for [r in sweep] file(r) using 1:3 with linespoints ls runner_ls(r) " . \
     "title runner_title(r)" . flat_clause('1:3', 1)
unset multiplot
