package reports

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Measurement is a series of measured values of one quantity (owner processing time, acceptance
// time, ...) with the limit the Rules set on it. The report draws each one as a histogram and as
// values over time, with the limit line, inline in the page (no script, no network).
type Measurement struct {
	Name    string  // what was measured: "owner processing time, synchronous channel"
	Rule    string  // the clause the limit comes from: "A2-T1 row 1"
	Unit    string  // of Value and Limit: "ms", "s"
	Limit   float64 // in Unit; 0 when the Rules set none
	Samples []Sample
}

// Sample is one measured value.
type Sample struct {
	At    time.Duration // since the measurement started
	Value float64       // in the measurement's Unit
}

// Stats of a measurement, as the report prints them beside the charts.
type Stats struct {
	Count     int
	Mean, Max float64
	OverLimit int // samples above the limit
}

// Stats computes the measurement's count, mean, maximum and the samples over the limit.
func (m Measurement) Stats() Stats {
	s := Stats{Count: len(m.Samples)}
	var sum float64
	for _, x := range m.Samples {
		sum += x.Value
		s.Max = math.Max(s.Max, x.Value)
		if m.Limit > 0 && x.Value > m.Limit {
			s.OverLimit++
		}
	}
	if s.Count > 0 {
		s.Mean = sum / float64(s.Count)
	}
	return s
}

// Chart geometry, in SVG user units; the SVG scales to the width of the page.
const (
	chartW, chartH             = 600, 220
	padL, padR, padT, padB     = 56, 12, 14, 34
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	histogramBins              = 20
	colourBar, colourOver      = "#0969da", "#cf222e"
	colourLimit, colourAxis    = "#cf222e", "#57606a"
	fontAttrs                  = `font-family="system-ui,sans-serif" font-size="11" fill="#57606a"`
	limitDash, overLimitRadius = "6 4", 2.5
)

// Histogram draws the distribution of the measurement's values, the limit as a vertical line and
// the bars beyond it in red.
func Histogram(m Measurement) template.HTML {
	top := axisTop(m)
	bins := make([]int, histogramBins)
	for _, s := range m.Samples {
		i := int(s.Value / top * histogramBins)
		bins[min(max(i, 0), histogramBins-1)]++
	}
	most := 1
	for _, n := range bins {
		most = max(most, n)
	}
	var b strings.Builder
	begin(&b, m.Name+": distribution")
	w := float64(plotW) / histogramBins
	for i, n := range bins {
		if n == 0 {
			continue
		}
		h := float64(n) / float64(most) * plotH
		colour := colourBar
		if m.Limit > 0 && float64(i)*top/histogramBins >= m.Limit {
			colour = colourOver
		}
		lo, hi := float64(i)*top/histogramBins, float64(i+1)*top/histogramBins
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s–%s %s: %d</title></rect>`,
			padL+float64(i)*w+1, padT+plotH-h, w-2, h, colour, num(lo), num(hi), html.EscapeString(m.Unit), n)
	}
	axes(&b, "0", num(top)+" "+m.Unit, "0", strconv.Itoa(most))
	if m.Limit > 0 {
		x := padL + m.Limit/top*plotW
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, x, padT, x, padT+plotH, colourLimit, limitDash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="end" %s>%s</text>`, x-4, padT+10, fontAttrs, html.EscapeString(limitLabel(m)))
	}
	return finish(&b)
}

// OverTime draws the measurement's values in the order they were taken, the limit as a
// horizontal line and the values beyond it as red dots.
func OverTime(m Measurement) template.HTML {
	top := axisTop(m)
	var end time.Duration
	for _, s := range m.Samples {
		end = max(end, s.At)
	}
	span := max(end.Seconds(), 1e-9)
	xy := func(s Sample) (float64, float64) {
		return padL + s.At.Seconds()/span*plotW, padT + plotH - math.Min(s.Value/top, 1)*plotH
	}
	var b strings.Builder
	begin(&b, m.Name+": over time")
	if len(m.Samples) > 0 {
		b.WriteString(`<polyline fill="none" stroke="` + colourBar + `" stroke-width="1.5" points="`)
		for _, s := range m.Samples {
			x, y := xy(s)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		b.WriteString(`"/>`)
	}
	for _, s := range m.Samples {
		if m.Limit > 0 && s.Value > m.Limit {
			x, y := xy(s)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s %s at %s</title></circle>`,
				x, y, overLimitRadius, colourOver, num(s.Value), html.EscapeString(m.Unit), s.At.Round(time.Millisecond))
		}
	}
	axes(&b, "0", end.Round(time.Millisecond).String(), "0", num(top)+" "+m.Unit)
	if m.Limit > 0 {
		y := padT + plotH - m.Limit/top*plotH
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, padL, y, padL+plotW, y, colourLimit, limitDash)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" %s>%s</text>`, padL+plotW-2, y-4, fontAttrs, html.EscapeString(limitLabel(m)))
	}
	return finish(&b)
}

// axisTop is the top of the value axis: a little above the largest value or the limit, whichever
// is larger, so the limit line is always inside the chart.
func axisTop(m Measurement) float64 {
	top := m.Limit
	for _, s := range m.Samples {
		top = math.Max(top, s.Value)
	}
	if top <= 0 {
		return 1
	}
	return top * 1.1
}

func limitLabel(m Measurement) string {
	l := "limit " + num(m.Limit) + " " + m.Unit
	if m.Rule != "" {
		l += " (" + m.Rule + ")"
	}
	return l
}

func begin(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`, chartW, chartH, html.EscapeString(title))
}

// axes draws the two axes with the labels of their ends.
func axes(b *strings.Builder, x0, x1, y0, y1 string) {
	fmt.Fprintf(b, `<path d="M%d %d V%d H%d" fill="none" stroke="%s"/>`, padL, padT, padT+plotH, padL+plotW, colourAxis)
	fmt.Fprintf(b, `<text x="%d" y="%d" %s>%s</text>`, padL, chartH-padB+16, fontAttrs, html.EscapeString(x0))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`, padL+plotW, chartH-padB+16, fontAttrs, html.EscapeString(x1))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`, padL-4, padT+plotH, fontAttrs, html.EscapeString(y0))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" %s>%s</text>`, padL-4, padT+10, fontAttrs, html.EscapeString(y1))
}

func finish(b *strings.Builder) template.HTML {
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// num prints a value for an axis or a tooltip: four significant digits, never in exponent form.
func num(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
