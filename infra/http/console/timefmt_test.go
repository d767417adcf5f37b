package console

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "under a second"},
		{12 * time.Second, "12 seconds"},
		{time.Minute, "1 minute"},
		{45*time.Minute + 10*time.Second, "45 minutes 10 seconds"},
		{2*time.Hour + 15*time.Minute + 59*time.Second, "2 hours 15 minutes"},
		{26 * time.Hour, "1 day 2 hours"},
		{24*time.Hour + 5*time.Minute, "1 day"},
		{-90 * time.Minute, "1 hour 30 minutes"},
	} {
		if got := words(c.d); got != c.want {
			t.Errorf("words(%s) = %q, want %q", c.d, got, c.want)
		}
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if got := until(now.Add(3*time.Hour), now); got != "in 3 hours" {
		t.Errorf("until future: %q", got)
	}
	if got := until(now.Add(-2*24*time.Hour), now); got != "2 days ago" {
		t.Errorf("until past: %q", got)
	}
}

// A time renders in the viewer's zone (from the zone cookie), with the UTC
// instant on hover and in datetime; an unknown zone falls back to UTC.
func TestWhenInViewersZone(t *testing.T) {
	at := time.Date(2026, 12, 1, 22, 50, 5, 0, time.UTC)
	r, _ := http.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: zoneCookie, Value: "Asia%2FTokyo"})
	got := string(when(at, zoneOf(r)))
	for _, want := range []string{`datetime="2026-12-01T22:50:05Z"`, `title="UTC 2026-12-01 22:50:05"`, `>2 Dec 2026 07:50 JST<`} {
		if !strings.Contains(got, want) {
			t.Errorf("when = %s, want %s", got, want)
		}
	}
	r, _ = http.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: zoneCookie, Value: "Mars%2FOlympus"})
	if loc := zoneOf(r); loc != time.UTC {
		t.Errorf("unknown zone: %v", loc)
	}
	if got := string(when(time.Time{}, time.UTC)); strings.Contains(got, "<time") {
		t.Errorf("zero time: %s", got)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"": "/tickets", "/tickets/x?y=1": "/tickets/x?y=1", "//evil.example/": "/tickets",
		"https://evil.example/": "/tickets", "/\\evil.example": "/tickets", "tickets": "/tickets",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
