package calendar_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/domain/calendar"
)

// propertyCalendars: the shipped locales plus user calendars with split
// hours and with hours around the clock.
func propertyCalendars(t testing.TB) []*calendar.Calendar {
	t.Helper()
	reg := calendar.Shipped()
	if _, err := reg.LoadJSON(strings.NewReader(`[
	  {"id": "split", "base": "de-DE", "hours": ["07:30-11:45", "12:30-16:00", "18:00-24:00"], "days": ["mon-sat"]},
	  {"id": "allday", "base": "en-US", "days": ["mon-sun"], "hours": ["00:00-24:00"]}
	]`)); err != nil {
		t.Fatal(err)
	}
	return reg.All()
}

// randInstant is a random instant in 2025-2027 (ns precision), sometimes
// aligned to a whole hour so that boundaries are hit.
func randInstant(rng *rand.Rand) time.Time {
	lo := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	x := lo + rng.Int64N(hi-lo)
	if rng.IntN(3) == 0 {
		x -= x % int64(time.Hour)
	}
	return time.Unix(0, x).UTC()
}

func randDuration(rng *rand.Rand) time.Duration {
	switch rng.IntN(4) {
	case 0:
		return time.Duration(rng.Int64N(int64(time.Hour))) + 1
	case 1:
		return time.Duration(rng.IntN(40)+1) * time.Hour
	default:
		return time.Duration(rng.Int64N(int64(600 * time.Hour)))
	}
}

// checkInvariants checks the properties of BusinessTime and AddBusinessTime
// that must hold for any a <= b <= c and d >= 0.
func checkInvariants(t *testing.T, c *calendar.Calendar, a, b, cc time.Time, d time.Duration) {
	t.Helper()
	ab, bc, ac := c.BusinessTime(a, b), c.BusinessTime(b, cc), c.BusinessTime(a, cc)
	if ab < 0 || bc < 0 || ac < 0 {
		t.Fatalf("%s: negative business time %v %v %v", c, ab, bc, ac)
	}
	if ac != ab+bc {
		t.Fatalf("%s: not additive: BT(%v,%v)=%v != %v + %v (b=%v)", c, a, cc, ac, ab, bc, b)
	}
	if ab > b.Sub(a) {
		t.Fatalf("%s: business time %v exceeds wall time %v", c, ab, b.Sub(a))
	}
	if c.BusinessTime(b, a) != 0 && b.After(a) {
		t.Fatalf("%s: BT(b,a) != 0 for b > a", c)
	}
	end := c.AddBusinessTime(a, d)
	if got := c.BusinessTime(a, end); got != d {
		t.Fatalf("%s: BT(%v, Add(%v, %v)=%v) = %v", c, a, a, d, end, got)
	}
	if d > 0 {
		// Earliest such instant: one nanosecond earlier is not enough.
		if got := c.BusinessTime(a, end.Add(-1)); got >= d {
			t.Fatalf("%s: Add(%v, %v)=%v is not the earliest instant", c, a, d, end)
		}
		if !end.After(a) {
			t.Fatalf("%s: Add(%v, %v)=%v not after from", c, a, d, end)
		}
	}
	// Add is monotone in d and composes: Add(Add(a,d1),d2) == Add(a,d1+d2)
	// when the first leg ends inside working hours.
	half := d / 2
	mid := c.AddBusinessTime(a, half)
	if got := c.AddBusinessTime(mid, d-half); half > 0 && c.IsOpen(mid) && !got.Equal(end) {
		t.Fatalf("%s: Add does not compose: %v vs %v", c, got, end)
	}
	// IsOpen agrees with BusinessTime over the next nanosecond; NextOpen
	// is the first open instant at or after a.
	if c.IsOpen(a) != (c.BusinessTime(a, a.Add(1)) == 1) {
		t.Fatalf("%s: IsOpen(%v) disagrees with BusinessTime", c, a)
	}
	n := c.NextOpen(a)
	if n.Before(a) || !c.IsOpen(n) || c.BusinessTime(a, n) != 0 {
		t.Fatalf("%s: NextOpen(%v) = %v", c, a, n)
	}
}

// TestPropertiesRandom runs the invariants on deterministic random inputs
// in every `go test` run.
func TestPropertiesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 1))
	cals := propertyCalendars(t)
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		c := cals[rng.IntN(len(cals))]
		a := randInstant(rng)
		b := a.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
		cc := b.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
		checkInvariants(t, c, a, b, cc, randDuration(rng))
	}
}

// reference counts business minutes the slow, obvious way: minute by minute
// in local wall-clock time.
func reference(c *calendar.Calendar, hours [][2]int, days map[time.Weekday]bool, from, to time.Time) time.Duration {
	var sum time.Duration
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		lt := t.In(c.Location())
		if !days[lt.Weekday()] {
			continue
		}
		if _, hol := c.Holiday(lt); hol {
			continue
		}
		m := lt.Hour()*60 + lt.Minute()
		for _, h := range hours {
			if m >= h[0] && m < h[1] {
				sum += time.Minute
				break
			}
		}
	}
	return sum
}

// TestAgainstReference compares BusinessTime with a minute-by-minute count
// over random spans of up to three weeks, DST switches included.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	weekdays := map[time.Weekday]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}
	sat := map[time.Weekday]bool{time.Saturday: true}
	for k := range weekdays {
		sat[k] = true
	}
	cases := map[string]struct {
		hours [][2]int
		days  map[time.Weekday]bool
	}{
		"sv-SE": {[][2]int{{480, 1020}}, weekdays},
		"de-DE": {[][2]int{{480, 1020}}, weekdays},
		"en-GB": {[][2]int{{480, 1020}}, weekdays},
		"en-US": {[][2]int{{480, 1020}}, weekdays},
		"ja-JP": {[][2]int{{480, 1020}}, weekdays},
		"split": {[][2]int{{450, 705}, {750, 960}, {1080, 1440}}, sat},
	}
	cals := propertyCalendars(t)
	// Spans that start just before the 2026 DST switches, then random ones.
	starts := []time.Time{
		time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 25, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC),
	}
	for range 8 {
		s := randInstant(rng)
		starts = append(starts, s.Truncate(time.Minute))
	}
	for _, c := range cals {
		tc, ok := cases[c.ID()]
		if !ok {
			continue
		}
		for _, from := range starts {
			to := from.Add(time.Duration(rng.IntN(21*24*60)) * time.Minute)
			if got, want := c.BusinessTime(from, to), reference(c, tc.hours, tc.days, from, to); got != want {
				t.Errorf("%s: BusinessTime(%v, %v) = %v, reference %v", c, from, to, got, want)
			}
		}
	}
}

// TestNonWorkingDaysContributeNothing: every weekend day and holiday of
// 2024-2027 has no business time, every other day of a 08-17 locale 9h.
func TestNonWorkingDaysContributeNothing(t *testing.T) {
	for _, c := range calendar.Shipped().All() {
		for d := time.Date(2024, 1, 1, 12, 0, 0, 0, c.Location()); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
			want := 9 * time.Hour
			if !c.IsWorkingDay(d) {
				want = 0
			}
			if got := c.DayLength(d); got != want {
				t.Fatalf("%s %s: %v, want %v", c, d.Format(time.DateOnly), got, want)
			}
		}
	}
}

// FuzzBusinessTime checks the invariants on fuzzed inputs. The seed corpus
// (DST weekends, holidays, year ends) runs in every `go test`; explore with
// go test -fuzz=FuzzBusinessTime ./domain/calendar/
func FuzzBusinessTime(f *testing.F) {
	unix := func(y int, m time.Month, d, h int) int64 { return time.Date(y, m, d, h, 0, 0, 0, time.UTC).Unix() }
	f.Add(uint8(0), unix(2026, 3, 27, 15), int64(3*24*3600), int64(4*24*3600), int64(2*time.Hour))
	f.Add(uint8(1), unix(2026, 10, 23, 15), int64(3*24*3600), int64(40*24*3600), int64(9*time.Hour))
	f.Add(uint8(2), unix(2026, 12, 24, 0), int64(10*24*3600), int64(400*24*3600), int64(300*time.Hour))
	f.Add(uint8(3), unix(2026, 11, 25, 21), int64(2*24*3600), int64(3600), int64(4*time.Hour))
	f.Add(uint8(4), unix(2026, 4, 28, 7), int64(9*24*3600), int64(0), int64(8*time.Hour))
	f.Add(uint8(5), unix(2026, 6, 18, 14), int64(4*24*3600), int64(1), int64(1))
	f.Add(uint8(6), unix(2021, 12, 30, 22), int64(5*24*3600), int64(7*24*3600), int64(18*time.Hour))
	cals := propertyCalendars(f)
	f.Fuzz(func(t *testing.T, ci uint8, a, ab, bc, d int64) {
		c := cals[int(ci)%len(cals)]
		const span = int64(20 * 365 * 24 * 3600)
		base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		a = base + mod(a-base, span)
		at := time.Unix(a, mod(d, 1e9))
		bt := at.Add(time.Duration(mod(ab, 60*24*3600)) * time.Second)
		ct := bt.Add(time.Duration(mod(bc, 400*24*3600)) * time.Second)
		checkInvariants(t, c, at, bt, ct, time.Duration(mod(d, int64(2000*time.Hour))))
	})
}

func mod(x, m int64) int64 {
	if x %= m; x < 0 {
		x += m
	}
	return x
}

// BenchmarkBusinessTime measures BusinessTime over spans of two to five
// weeks (the typical first-response report) in sv-SE.
func BenchmarkBusinessTime(b *testing.B) {
	c := mustGet(b, calendar.Shipped(), "sv-SE")
	rng := rand.New(rand.NewPCG(1, 2))
	type pair struct{ from, to time.Time }
	pairs := make([]pair, 1024)
	for i := range pairs {
		f := randInstant(rng)
		pairs[i] = pair{f, f.Add(time.Duration(14+rng.IntN(21)) * 24 * time.Hour)}
	}
	for _, p := range pairs { // warm the year tables
		c.BusinessTime(p.from, p.to)
	}
	b.ResetTimer()
	var sink time.Duration
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		sink += c.BusinessTime(p.from, p.to)
	}
	_ = sink
}

// BenchmarkAddBusinessTime measures a 4h deadline computation in sv-SE.
func BenchmarkAddBusinessTime(b *testing.B) {
	c := mustGet(b, calendar.Shipped(), "sv-SE")
	rng := rand.New(rand.NewPCG(3, 4))
	froms := make([]time.Time, 1024)
	for i := range froms {
		froms[i] = randInstant(rng)
		c.AddBusinessTime(froms[i], 4*time.Hour)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.AddBusinessTime(froms[i%len(froms)], 4*time.Hour)
	}
}

// TestConcurrentUse: year tables are built lazily; concurrent first use must
// be safe (run with -race) and give the same answers.
func TestConcurrentUse(t *testing.T) {
	cs, err := calendar.LoadJSON(strings.NewReader(`{"id": "fresh", "base": "sv-SE"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	from := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
	results := make(chan time.Duration, 8)
	for range 8 {
		go func() { results <- c.BusinessTime(from, to) }()
	}
	first := <-results
	for range 7 {
		if got := <-results; got != first {
			t.Fatalf("concurrent results differ: %v vs %v", got, first)
		}
	}
}

// FuzzParseSpecs: any calendar definition file parses to specs or to an
// error naming the problem, and every spec it accepts builds a calendar or
// is refused, never a panic.
func FuzzParseSpecs(f *testing.F) {
	f.Add([]byte(`{"id":"se","timeZone":"Europe/Stockholm","week":{"mon":["08:00-17:00"]},"holidays":["2026-12-24"]}`))
	f.Add([]byte(`{"calendars":[{"id":"x","timeZone":"UTC"}]}`))
	f.Add([]byte(`[{"id":"x","timeZone":"Mars/Olympus"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		specs, err := calendar.ParseSpecs(bytes.NewReader(b))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		for _, s := range specs {
			_, _ = calendar.New(s)
		}
	})
}
