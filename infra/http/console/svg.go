package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// The SLA page's charts are inline SVG rendered here, server-side: no
// script, nothing the Content-Security-Policy has to allow, and each chart
// carries a <title> and <desc> (named by aria-labelledby) besides the data
// table the page shows under it.

// chartPoint is one labelled value of a chart.
type chartPoint struct {
	Label string
	Value float64
}

// chartSeries is one named, coloured row of bars.
type chartSeries struct {
	Name, Colour string
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH         = 640.0, 220.0
	chartLeft, chartBottom = 56.0, 36.0
	chartTop, chartRight   = 12.0, 12.0
)

// svgOpen starts a chart: the element, its title and its description.
func svgOpen(b *strings.Builder, id, title, desc string, h float64) {
	e := template.HTMLEscapeString
	fmt.Fprintf(b, `<svg class="chart" id="%s" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %g %g" width="100%%" preserveAspectRatio="xMinYMin meet">`,
		e(id), e(id), e(id), chartW, h)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, e(id), e(title), e(id), e(desc))
}

// lineChart draws percentages (0–100) over labelled periods.
func lineChart(id, title, desc string, pts []chartPoint) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title, desc, chartH)
	plotH := chartH - chartTop - chartBottom
	plotW := chartW - chartLeft - chartRight
	y := func(v float64) float64 { return chartTop + plotH*(1-v/100) }
	for _, g := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#c9d1d9"/><text x="%g" y="%.1f" text-anchor="end" font-size="11" fill="#4d5560">%g%%</text>`,
			chartLeft, chartW-chartRight, y(g), y(g), chartLeft-6, y(g)+4, g)
	}
	step := plotW
	if len(pts) > 1 {
		step = plotW / float64(len(pts)-1)
	}
	x := func(i int) float64 {
		if len(pts) == 1 {
			return chartLeft + plotW/2
		}
		return chartLeft + step*float64(i)
	}
	var path []string
	for i, p := range pts {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Value)))
	}
	if len(path) > 1 {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#0a4fb3" stroke-width="2" points="%s"/>`, strings.Join(path, " "))
	}
	every := int(math.Ceil(float64(len(pts)) / 6)) // at most ~6 axis labels
	for i, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#0a4fb3"><title>%s: %.1f%%</title></circle>`,
			x(i), y(p.Value), template.HTMLEscapeString(p.Label), p.Value)
		if i%every == 0 || i == len(pts)-1 {
			anchor := "middle" // the last label ends at the plot's edge, inside the chart
			if i == len(pts)-1 && len(pts) > 1 {
				anchor = "end"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="%s" font-size="11" fill="#4d5560">%s</text>`,
				x(i), chartH-chartBottom+16, anchor, template.HTMLEscapeString(p.Label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barChart draws, for each labelled group, one horizontal bar per series
// (values[g][s]), scaled to the largest value; label formats a value.
func barChart(id, title, desc string, groups []string, series []chartSeries, values [][]float64, label func(float64) string) template.HTML {
	const rowH, barH, labelW = 14.0, 12.0, 150.0
	groupH := rowH*float64(len(series)) + 10
	h := chartTop + groupH*float64(len(groups)) + 24
	var b strings.Builder
	svgOpen(&b, id, title, desc, h)
	top := 0.0
	for _, vs := range values {
		for _, v := range vs {
			top = max(top, v)
		}
	}
	plotW := chartW - labelW - chartRight - 170 // room for the value after the longest bar
	for g, name := range groups {
		gy := chartTop + groupH*float64(g)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" font-size="12" fill="#1b1f24">%s</text>`,
			labelW-8, gy+rowH, template.HTMLEscapeString(clip(name, 24)))
		for s, sr := range series {
			v := values[g][s]
			w := 0.0
			if top > 0 {
				w = plotW * v / top
			}
			yy := gy + rowH*float64(s)
			fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="%.1f" height="%g" fill="%s"><title>%s %s: %s</title></rect>`,
				labelW, yy+1, max(w, 1), barH, sr.Colour, template.HTMLEscapeString(name), sr.Name, template.HTMLEscapeString(label(v)))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#4d5560">%s %s</text>`,
				labelW+max(w, 1)+4, yy+barH-1, sr.Name, template.HTMLEscapeString(label(v)))
		}
	}
	lx := labelW
	for _, sr := range series {
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g" font-size="11" fill="#1b1f24">%s</text>`,
			lx, h-16, sr.Colour, lx+14, h-7, sr.Name)
		lx += 70
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
