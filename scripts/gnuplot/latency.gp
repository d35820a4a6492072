# Chart 2: p50 and p99 latency (from creation to completion) against concurrency for one
# workload, side by side, a line per runner; both axes log scale.
# Set by scripts/plot: gpdir, fmt, out, data (rows c, p50, p99 in unit), unit, sweep, flat,
# chart_title, xmin, xmax.
width = 1000
height = 460
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
set lmargin at screen 0.08
set rmargin at screen 0.40
unset key
plot for [r in sweep] file(r) using 1:2 with linespoints ls runner_ls(r), \
     for [r in flat] file(r) using 1:2 with lines ls runner_ls(r) dt 2

set title 'p99'
set lmargin at screen 0.49
set rmargin at screen 0.81
set key outside right top vertical Left reverse samplen 2.5 spacing 1.2
plot for [r in sweep] file(r) using 1:3 with linespoints ls runner_ls(r) \
         title runner_title(r), \
     for [r in flat] file(r) using 1:3 with lines ls runner_ls(r) dt 2 title runner_title(r)
unset multiplot
