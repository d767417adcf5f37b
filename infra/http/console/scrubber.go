package console

import (
	"net/http"
	"slices"
	"time"

	"github.com/ticketledger/ticketledger/projections"
)

// scrubber is the ticket page's as-of control: an instant on one of the
// two time axes (occurred: what had happened; recorded: what the ledger
// had recorded), and the events' instants on that axis to step between.
type scrubber struct {
	At   time.Time
	Axis string
	// Input is At for the datetime-local field, in the viewer's zone.
	Input string
	// Steps are the events' instants on the axis, in order; Prev and Next
	// the queries of the neighbours of At (empty at the ends).
	Steps      []step
	Prev, Next string
	Index      int // of the last step at or before At (-1: before all)
}

// step is one event's instant on the scrubber's axis.
type step struct {
	At       time.Time
	Type     string
	Query    string
	Selected bool
}

// scrubberOf reads the scrubber from the query: asOf as RFC 3339 (the
// links) or as a datetime-local value in the viewer's zone (the field),
// axis occurred or recorded (default recorded, as the API's).
func scrubberOf(r *http.Request) (scrubber, error) {
	q := r.URL.Query()
	sc := scrubber{Axis: string(projections.AxisRecorded), Index: -1}
	switch a := q.Get("axis"); a {
	case "", string(projections.AxisRecorded):
	case string(projections.AxisOccurred):
		sc.Axis = a
	default:
		return sc, &pageError{Status: http.StatusBadRequest, Title: "Unknown time axis", Field: "axis",
			Detail: "axis " + clip(a, 40) + " is neither occurred (what had happened) nor recorded (what the ledger had recorded): pick one of the two"}
	}
	v := q.Get("asOf")
	if v == "" {
		return sc, nil
	}
	loc := zoneOf(r)
	t, err := time.Parse(time.RFC3339Nano, v)
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if err == nil {
			break
		}
		t, err = time.ParseInLocation(layout, v, loc)
	}
	if err != nil {
		return sc, &pageError{Status: http.StatusBadRequest, Title: "Not an instant", Field: "asOf",
			Detail: "as of " + clip(v, 40) + " is not a date and time: pick one in the field, or use a link of the timeline"}
	}
	sc.At = t
	sc.Input = t.In(loc).Format("2006-01-02T15:04:05")
	return sc, nil
}

// steps fills the events' instants on the axis and the neighbours of At.
func (sc *scrubber) steps(es []entry) {
	axis := projections.Axis(sc.Axis)
	for _, e := range es {
		at := e.RecordedAt
		if axis == projections.AxisOccurred {
			at = e.OccurredAt
		}
		sc.Steps = append(sc.Steps, step{At: at, Type: e.Type, Query: asOfQuery(at, axis)})
	}
	slices.SortStableFunc(sc.Steps, func(a, b step) int { return a.At.Compare(b.At) })
	if sc.At.IsZero() {
		return
	}
	for i, st := range sc.Steps {
		if !st.At.After(sc.At) {
			sc.Index = i
		}
	}
	if sc.Index >= 0 {
		sc.Steps[sc.Index].Selected = true
	}
	if sc.Index > 0 {
		sc.Prev = sc.Steps[sc.Index-1].Query
	}
	if sc.Index+1 < len(sc.Steps) {
		sc.Next = sc.Steps[sc.Index+1].Query
	}
}
