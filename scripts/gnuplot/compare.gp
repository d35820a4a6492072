# Chart 5: base against new, per case: the change of one metric with its confidence interval,
# coloured by the verdict of `parbench compare`; the band is the threshold below which no
# change counts.
# Set by scripts/plot: gpdir, fmt, out, data (rows y, change %, ci low %, ci high %, label;
# one file per verdict: data.'.'.v.'.tsv'; the label of row y is labels[y], from
# data.'.labels.gp', as a data file cannot carry a double quote), verdicts, threshold, ncases,
# chart_title, metric.
wide = 1
height = 140 + 18 * ncases
load gpdir.'/style.gp'

verdict_color(v) = v eq 'regression' ? '#C0392B' : v eq 'improvement' ? '#1E8449' : \
                   v eq 'unchanged' ? '#7F8C8D' : '#E67E22'
verdict_title(v) = v eq 'noisy' ? 'too noisy to gate' : v eq 'busy' ? 'machine busy' : v
set title chart_title
set xlabel sprintf('change of %s, new vs base (%%; interval at the compare level)', metric)
set yrange [0 : ncases + 1]
set ytics 1 font ',9'
set grid noytics
set lmargin 48
set obj 1 rect from -threshold, graph 0 to threshold, graph 1 fc rgb '#EEEEEE' fs solid \
    noborder behind
set arrow 1 from 0, graph 0 to 0, graph 1 nohead ls 20
file(v) = data.'.'.v.'.tsv'
load data.'.labels.gp'
plot for [v in verdicts] file(v) using 2:1:3:4:ytic(labels[int($1)]) with xerrorbars pt 7 ps 0.9 lw 1.5 \
         lc rgb verdict_color(v) title verdict_title(v)
