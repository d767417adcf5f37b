package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketledger/ticketledger/infra/http/server"
	"github.com/ticketledger/ticketledger/projections"
)

// A what-if runs as a background job: the period is cut into whatIfChunks
// slices, each asked of the API in turn (the job's progress), and the
// reports are added up. A job's result is cached under its key — policy,
// period, scope filters and the viewer's tenancy — for whatIfTTL, so the
// same question asked again (by anyone of the same tenancy) reuses it; a
// job is visible only within the tenancy of the viewer who started it.
const (
	whatIfChunks  = 10
	whatIfTTL     = 10 * time.Minute
	whatIfMaxJobs = 64
	whatIfFlips   = 200 // flips shown
	whatIfWorkers = 2   // jobs running at once; others wait their turn
)

// whatIfStep is called after each slice of a job (a test's hook).
var whatIfStep atomic.Pointer[func(done, total int)]

// whatIfJob is one what-if computation.
type whatIfJob struct {
	ID, key, tenancy string
	Policy           string
	Period           periodForm
	Started          time.Time

	mu       sync.Mutex
	done     int
	finished time.Time
	report   *projections.WhatIfReport
	err      error
}

// jobState is a job as a page shows it, read under its lock.
type jobState struct {
	Done, Total int
	Percent     int
	Finished    time.Time
	Report      *projections.WhatIfReport
	Err         error
}

func (j *whatIfJob) state() jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return jobState{Done: j.done, Total: whatIfChunks, Percent: j.done * 100 / whatIfChunks, Finished: j.finished, Report: j.report, Err: j.err}
}

// whatIfJobs holds the jobs, newest last, at most whatIfMaxJobs, and runs
// at most whatIfWorkers at once.
type whatIfJobs struct {
	mu    sync.Mutex
	byID  map[string]*whatIfJob
	order []*whatIfJob
	// workers bounds the jobs running at once (each reads the whole read
	// model once per slice).
	workers chan struct{}
}

func newWhatIfJobs() *whatIfJobs {
	return &whatIfJobs{byID: map[string]*whatIfJob{}, workers: make(chan struct{}, whatIfWorkers)}
}

// tenancyOf names what a viewer may see: a partner its own tickets, every
// other role the whole ledger.
func tenancyOf(s *session) string {
	if s.principal.Role.IsPartner() {
		return "partner:" + s.principal.Partner
	}
	return "ledger"
}

// find returns the job with id if the viewer's tenancy may see it.
func (js *whatIfJobs) find(id, tenancy string) *whatIfJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j := js.byID[id]; j != nil && j.tenancy == tenancy {
		return j
	}
	return nil
}

// reuse returns a running job, or one finished within whatIfTTL, for key.
func (js *whatIfJobs) reuse(key string, now time.Time) *whatIfJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, j := range slices.Backward(js.order) {
		if j.key != key {
			continue
		}
		st := j.state()
		if st.Err == nil && (st.Finished.IsZero() || now.Sub(st.Finished) < whatIfTTL) {
			return j
		}
	}
	return nil
}

// add keeps j, forgetting the oldest job past the bound.
func (js *whatIfJobs) add(j *whatIfJob) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.byID[j.ID] = j
	js.order = append(js.order, j)
	if len(js.order) > whatIfMaxJobs {
		delete(js.byID, js.order[0].ID)
		js.order = js.order[1:]
	}
}

// of lists the jobs the tenancy may see, newest first.
func (js *whatIfJobs) of(tenancy string) []*whatIfJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	var out []*whatIfJob
	for _, j := range slices.Backward(js.order) {
		if j.tenancy == tenancy {
			out = append(out, j)
		}
	}
	return out
}

// whatIfData is the what-if form.
type whatIfData struct {
	Policies server.PolicyList
	Period   periodForm
	Policy   string
	Jobs     []*whatIfJob
}

// whatIfForm asks which policy version and period to re-judge.
func (c *Console) whatIfForm(w http.ResponseWriter, r *http.Request, s *session) error {
	d := whatIfData{Jobs: c.jobs.of(tenancyOf(s)), Policy: r.URL.Query().Get("policy")}
	p, err := periodOf(r, c.now())
	if err != nil {
		return err
	}
	d.Period = p
	if err := c.get(r, s, "/v1/policies", nil, &d.Policies); err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "whatif", s, "What-if", d)
}

// startWhatIf starts a job for the form's question, or reuses the cached
// one, and sends the viewer to its page.
func (c *Console) startWhatIf(w http.ResponseWriter, r *http.Request, s *session) error {
	policy := r.PostFormValue("policy")
	if policy == "" {
		return &pageError{Status: http.StatusBadRequest, Title: "No policy version", Field: "policy",
			Detail: "pick the policy version to re-judge the tickets under"}
	}
	q := r.URL.Query()
	for _, k := range []string{"from", "to", "partnerId", "customerId"} {
		q.Set(k, r.PostFormValue(k))
	}
	r.URL.RawQuery = q.Encode()
	p, err := periodOf(r, c.now())
	if err != nil {
		return err
	}
	tenancy := tenancyOf(s)
	key := tenancy + "\x00" + policy + "\x00" + rfc3339(p.From) + "\x00" + rfc3339(p.To) + "\x00" + p.PartnerID + "\x00" + p.CustomerID
	j := c.jobs.reuse(key, c.now())
	if j == nil {
		j = &whatIfJob{ID: newJobID(), key: key, tenancy: tenancy, Policy: policy, Period: p, Started: c.now()}
		c.jobs.add(j)
		go c.runWhatIf(r.WithContext(context.WithoutCancel(r.Context())), s, j)
	}
	http.Redirect(w, r, "/sla/what-if/jobs/"+j.ID, http.StatusSeeOther)
	return nil
}

func newJobID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// runWhatIf asks the API for each slice of the period, as the job's
// creator, and adds the reports up.
func (c *Console) runWhatIf(r *http.Request, s *session, j *whatIfJob) {
	c.jobs.workers <- struct{}{}
	defer func() { <-c.jobs.workers }()
	sum := projections.WhatIfReport{PolicyVersion: j.Policy, From: j.Period.From, To: j.Period.To, Now: c.now().UTC(),
		Flips: []projections.Flip{}, Errors: []projections.WhatIfError{}}
	step := j.Period.To.Sub(j.Period.From) / whatIfChunks
	var err error
	for i := range whatIfChunks {
		from, to := j.Period.From.Add(step*time.Duration(i)), j.Period.From.Add(step*time.Duration(i+1))
		if i == whatIfChunks-1 {
			to = j.Period.To
		}
		var rep projections.WhatIfReport
		body := server.WhatIfBody{PolicyVersion: j.Policy, From: server.Timestamp{Time: from}, To: server.Timestamp{Time: to},
			PartnerID: j.Period.PartnerID, CustomerID: j.Period.CustomerID}
		if err = c.call(r, s, http.MethodPost, "/v1/reports/what-if", nil, nil, body, &rep); err != nil {
			break
		}
		addWhatIf(&sum, rep)
		j.mu.Lock()
		j.done = i + 1
		j.mu.Unlock()
		if step := whatIfStep.Load(); step != nil {
			(*step)(i+1, whatIfChunks)
		}
	}
	sum.RecordedCompliancePct = projections.CompliancePct(sum.RecordedMet, sum.RecordedDecided)
	sum.WhatIfCompliancePct = projections.CompliancePct(sum.WhatIfMet, sum.WhatIfDecided)
	slices.SortStableFunc(sum.Flips, func(a, b projections.Flip) int {
		return cmpAbs(b.ShiftSeconds, a.ShiftSeconds)
	})
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = c.now()
	if err != nil {
		j.err = err
		return
	}
	j.report = &sum
}

// addWhatIf adds the report of an adjacent slice to sum.
func addWhatIf(sum *projections.WhatIfReport, rep projections.WhatIfReport) {
	sum.Evaluated += rep.Evaluated
	sum.MetToBreached += rep.MetToBreached
	sum.BreachedToMet += rep.BreachedToMet
	sum.Unchanged += rep.Unchanged
	sum.Failed += rep.Failed
	sum.RecordedMet += rep.RecordedMet
	sum.RecordedDecided += rep.RecordedDecided
	sum.WhatIfMet += rep.WhatIfMet
	sum.WhatIfDecided += rep.WhatIfDecided
	sum.Flips = append(sum.Flips, rep.Flips...)
	sum.Errors = append(sum.Errors, rep.Errors[:min(len(rep.Errors), max(0, 20-len(sum.Errors)))]...)
}

func cmpAbs(a, b float64) int {
	a, b = max(a, -a), max(b, -b)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// jobData is a job's page.
type jobData struct {
	Job   *whatIfJob
	State jobState
	Flips []projections.Flip
	More  int
}

// whatIfJobPage shows a job's progress (refreshing itself every second
// until it is done) and then its result.
func (c *Console) whatIfJobPage(w http.ResponseWriter, r *http.Request, s *session) error {
	j := c.jobs.find(r.PathValue("id"), tenancyOf(s))
	if j == nil {
		return &pageError{Status: http.StatusNotFound, Title: "No such what-if job",
			Detail: "this what-if job does not exist or has been forgotten: ask the question again from the what-if page"}
	}
	d := jobData{Job: j, State: j.state()}
	if d.State.Err != nil {
		return d.State.Err
	}
	if d.State.Report == nil {
		w.Header().Set("Refresh", "1") // the progress page reloads itself, no script needed
	} else {
		d.Flips = d.State.Report.Flips[:min(len(d.State.Report.Flips), whatIfFlips)]
		d.More = len(d.State.Report.Flips) - len(d.Flips)
	}
	return c.render(w, r, http.StatusOK, "whatifjob", s, "What-if under "+j.Policy, d)
}

// shift says how a deadline moved: "2 hours later".
func shift(s float64) string {
	switch {
	case s > 0:
		return words(seconds(s)) + " later"
	case s < 0:
		return words(seconds(-s)) + " earlier"
	}
	return "unchanged"
}

// margin says a judgement's margin: "1 hour to spare", "20 minutes late".
func margin(s float64) string {
	if s >= 0 {
		return words(seconds(s)) + " to spare"
	}
	return words(seconds(-s)) + " late"
}
