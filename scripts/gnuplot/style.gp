# The look every parbench chart shares: terminal, fonts, grid, key, and one fixed colour and
# point style per runner. scripts/report reads the color_* lines too, so the tables match.
#
# Callers set: fmt ('png' or 'svg'), out (the path without extension), runner_name(r) (the
# name a runner list's word r stands for: words are file-name safe, names are anything), and
# optionally wide (1: a two-panel chart that spans the report's width) and height in pixels.
# The terminals are noenhanced: a name's '@', '^', '_' and braces are text, never markup.

color_serial    = '#4D4D4D'
color_threads   = '#0072B2'
color_processes = '#D55E00'
color_eventloop = '#009E73'
color_semaphore = '#CC79A7'
color_other     = '#999999'

# Okabe-Ito colours (readable with colour blindness) and a different point shape each, so a
# chart printed in grey still tells the runners apart.
set style line 1 lc rgb color_serial    lw 2 pt 3  ps 1.1
set style line 2 lc rgb color_threads   lw 2 pt 7  ps 1.1
set style line 3 lc rgb color_processes lw 2 pt 5  ps 1.0
set style line 4 lc rgb color_eventloop lw 2 pt 9  ps 1.2
set style line 5 lc rgb color_semaphore lw 2 pt 13 ps 1.1
set style line 9 lc rgb color_other     lw 2 pt 1  ps 1.1
# Reference lines: the ideal, the number of processing units, thresholds.
set style line 20 lc rgb '#888888' lw 1.5 dt 2
set style line 21 lc rgb '#BBBBBB' lw 1 dt 3

runner_ls(r) = r eq 'serial' ? 1 : r eq 'threads' ? 2 : r eq 'processes' ? 3 : \
               r eq 'eventloop' ? 4 : r eq 'semaphore' ? 5 : 9
# serial has no concurrency sweep (always 1) and eventloop starts every task at once: both
# are drawn as flat dashed reference lines across the sweep of the others.
runner_title(r) = r eq 'serial' ? 'serial (c=1)' : \
                  r eq 'eventloop' ? 'eventloop (all tasks at once)' : runner_name(r)

# The SVGs are sized for the HTML report (about 1200 pixels across, two charts to a row),
# so their text reads at its nominal size; the PNGs for Markdown and viewers.
# The plot clause of the flat runners (columns cols, with titles or not), or nothing: gnuplot
# 5.4 runs an empty iteration once when a title follows it, so an empty one must not exist.
flat_clause(cols, titled) = words(flat) == 0 ? '' : \
    ", for [r in flat] file(r) using " . cols . " with lines ls runner_ls(r) dt 2" . \
    (titled ? " title runner_title(r)" : "")

if (!exists('fmt')) fmt = 'png'
if (!exists('wide')) wide = 0
if (fmt eq 'svg') {
    width = wide ? 1200 : 660
    height = exists('height') ? height : wide ? 460 : 420
    set terminal svg size width,height noenhanced font 'DejaVu Sans,13' background rgb 'white'
} else {
    width = wide ? 1100 : 800
    height = exists('height') ? height : wide ? 460 : 480
    set terminal pngcairo size width,height noenhanced font 'DejaVu Sans,10'
}
set output out.'.'.fmt

set datafile separator "\t"
set border 3 lc rgb '#555555'
set tics nomirror
set grid xtics ytics mxtics mytics lc rgb '#E5E5E5' lw 1, lc rgb '#F2F2F2' lw 1
# A one-panel chart shares a report row with another: its key goes below so that the plot
# keeps the width. Wide charts keep it on the right.
if (wide) {
    set key outside right top vertical Left reverse noautotitle samplen 2.5 spacing 1.2
} else {
    set key below horizontal Left reverse noautotitle samplen 2 maxrows 2 width -2
}
set title font ',14'
