# Chart 3: speed-up against serial and parallel efficiency (speed-up / workers) for one
# CPU-bound workload, with the ideal (linear) line and the machine's processing units marked.
# Set by scripts/plot: gpdir, fmt, out, data (rows c, speedup, efficiency), sweep, flat,
# chart_title, xmin, xmax, pus.
wide = 1
load gpdir.'/style.gp'

file(r) = data.'.'.r.'.tsv'
set multiplot title chart_title font ',14'
set logscale x 2
set xrange [xmin / 1.4 : xmax * 1.4]
set xlabel 'workers c (log scale)'
set tmargin at screen 0.86
set bmargin at screen 0.13
set arrow 1 from pus, graph 0 to pus, graph 1 nohead ls 21
set label 1 sprintf('%d PUs', pus) at pus, graph 0.04 offset 0.5,0 font ',10' tc rgb '#777777'

set title 'speed-up (serial = 1)'
set ylabel 'speed-up (x; log scale)'
set logscale y 2
set format y '%g'
set lmargin at screen 0.07
set rmargin at screen 0.38
unset key
eval "plot x with lines ls 20, " . \
     "for [r in sweep] file(r) using 1:2 with linespoints ls runner_ls(r)" . \
     flat_clause('1:2', 0)

set title 'parallel efficiency'
set ylabel 'efficiency (speed-up / workers)'
unset logscale y
set yrange [0:*]
set offsets 0, 0, 0.1, 0
set format y '%.1f'
set lmargin at screen 0.46
set rmargin at screen 0.77
set key at screen 0.785, screen 0.86 left top vertical Left reverse samplen 2.5 spacing 1.2
eval "plot 1 with lines ls 20 title 'ideal (linear)', " . \
     "for [r in sweep] file(r) using 1:3 with linespoints ls runner_ls(r) " . \
     "title runner_title(r)" . flat_clause('1:3', 1)
unset multiplot
