package eventstore

import (
	"testing"
	"time"
)

func TestFilterMatch(t *testing.T) {
	ev := &RecordedEvent{StreamID: "ticket-123", Type: "ticket.opened"}
	tests := []struct {
		name string
		f    *Filter
		want bool
	}{
		{"nil selects all", nil, true},
		{"empty selects all", &Filter{}, true},
		{"stream prefix", &Filter{On: FilterStreamName, Prefixes: []string{"plan-", "ticket-"}}, true},
		{"stream prefix miss", &Filter{On: FilterStreamName, Prefixes: []string{"plan-"}}, false},
		{"type prefix", &Filter{On: FilterEventType, Prefixes: []string{"ticket."}}, true},
		{"type prefix does not look at stream", &Filter{On: FilterEventType, Prefixes: []string{"ticket-"}}, false},
		{"regex unanchored", &Filter{On: FilterStreamName, Regex: "-12"}, true},
		{"regex anchored miss", &Filter{On: FilterStreamName, Regex: "^12"}, false},
		{"type regex", &Filter{On: FilterEventType, Regex: `^ticket\.(opened|closed)$`}, true},
		{"prefix or regex", &Filter{On: FilterStreamName, Prefixes: []string{"x"}, Regex: "123$"}, true},
		{"invalid regex selects nothing", &Filter{On: FilterStreamName, Regex: "("}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Match(ev); got != tt.want {
			t.Errorf("%s: Match = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := (&Filter{Regex: "("}).Compile(); err == nil {
		t.Error("Compile of invalid regex: no error")
	}
	if _, err := (&Filter{On: 7, Prefixes: []string{"a"}}).Compile(); err == nil {
		t.Error("Compile of unknown target: no error")
	}
	var m *Matcher
	if !m.Match(ev) || !m.IsAll() {
		t.Error("nil Matcher must select everything")
	}
}

func TestParseStreamMetadata(t *testing.T) {
	tests := []struct {
		in      string
		want    StreamMetadata
		wantErr bool
	}{
		{`{}`, StreamMetadata{}, false},
		{`{"$maxAge": 60, "$maxCount": 5, "$tb": 3, "other": {"x": [1]}}`, StreamMetadata{MaxAge: time.Minute, MaxCount: 5, TruncateBefore: 3}, false},
		{`{"$maxCount": 0, "$tb": -1}`, StreamMetadata{}, false},
		{`{"$tb": 9223372036854775807}`, StreamMetadata{TruncateBefore: DeletedStreamRevision}, false},
		{`{"$maxCount": "5"}`, StreamMetadata{}, true},
		{`{"$maxCount": 5.5, "$tb": 2}`, StreamMetadata{}, true},
		{`{"$tb": 99999999999999999999}`, StreamMetadata{}, true},
		{`[1]`, StreamMetadata{}, true},
		{`null`, StreamMetadata{}, true},
		{`not json`, StreamMetadata{}, true},
		{`{"$maxAge": 9223372036854775807}`, StreamMetadata{}, false},
	}
	for _, tt := range tests {
		got, err := ParseStreamMetadata([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseStreamMetadata(%s) = %+v, %v; want %+v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestStreamMetadataVisible(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	md := StreamMetadata{MaxCount: 3, TruncateBefore: 1}
	if got := md.FirstVisibleRevision(1); got != 1 {
		t.Errorf("FirstVisibleRevision(1) = %d, want 1", got)
	}
	if got := md.FirstVisibleRevision(9); got != 7 {
		t.Errorf("FirstVisibleRevision(9) = %d, want 7", got)
	}
	if md.Visible(6, 9, now, now) || !md.Visible(7, 9, now, now) {
		t.Error("maxCount visibility wrong")
	}
	age := StreamMetadata{MaxAge: time.Minute}
	if !age.Visible(0, 0, now.Add(-time.Minute), now) || age.Visible(0, 0, now.Add(-time.Minute-1), now) {
		t.Error("maxAge visibility wrong")
	}
	if !(StreamMetadata{TruncateBefore: DeletedStreamRevision}).IsSoftDeleted() || md.IsSoftDeleted() {
		t.Error("IsSoftDeleted wrong")
	}
	if got := MetastreamMetadata().FirstVisibleRevision(4); got != 4 {
		t.Errorf("metastream first visible = %d, want 4", got)
	}
	if o, ok := IsMetadataStream("$$ticket-1"); !ok || o != "ticket-1" {
		t.Error("IsMetadataStream")
	}
}

// MatchBytes decides without allocating, by prefix and by expression, and
// agrees with MatchStrings; a nil Matcher selects everything.
func TestMatchBytesAllocates0(t *testing.T) {
	m, err := (&Filter{On: FilterStreamName, Prefixes: []string{"ticket-", "partner-"}, Regex: "^x"}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	typ := []byte("ticket.opened")
	for _, name := range []string{"ticket-1", "partner-2", "xyz", "other-1", ""} {
		if got, want := m.MatchBytes([]byte(name), typ), m.MatchStrings(name, string(typ)); got != want {
			t.Errorf("%q: MatchBytes %t, MatchStrings %t", name, got, want)
		}
	}
	if !m.MatchBytes([]byte("xyz"), typ) || m.MatchBytes([]byte("other-1"), typ) {
		t.Error("MatchBytes: wrong verdict")
	}
	var none *Matcher
	if !none.MatchBytes([]byte("other-1"), typ) || !none.MatchStrings("other-1", "") {
		t.Error("a nil Matcher must select everything")
	}
	hit, miss := []byte("ticket-1"), []byte("other-1")
	if n := testing.AllocsPerRun(100, func() { m.MatchBytes(hit, typ); m.MatchBytes(miss, typ) }); n != 0 {
		t.Errorf("MatchBytes allocates %v times", n)
	}
}
