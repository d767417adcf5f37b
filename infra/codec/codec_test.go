package codec_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/catalog"
	"github.com/ticketledger/ticketledger/domain/ledger"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/domain/sla"
	"github.com/ticketledger/ticketledger/domain/subject"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)

func sampleDeadline() sla.Deadline {
	return sla.Deadline{At: t0.Add(2 * time.Hour), Target: 2 * time.Hour, Clock: sla.ClockAroundTheClock,
		Class: sla.ClassBreakFix, Severity: domain.SeverityA, PolicyVersion: "2026-01", From: t0}
}

// samples returns one filled-in value of every event type of the catalog.
func samples() []domain.Event {
	d := sampleDeadline()
	delivery := webhook.Delivery{DeliveryID: "d1", EventID: "e1", TicketID: "t1", Sequence: 3, Type: "ticket.opened", Position: 1451}
	return []domain.Event{
		ticket.Opened{TicketID: "t1", Context: ticket.ContextCustomer, PartnerID: "p1", CustomerID: "c1",
			Product: ticket.ProductAzure, Class: sla.ClassBreakFix, Severity: domain.SeverityA, Title: "VMs down <prod> & more",
			Channel: ticket.ChannelWeb, Route: ticket.RoutePartnerCenter, Contact: ticket.Contact{Name: "Åsa", Email: "asa@p1.example", Organisation: "p1"},
			SupportPlan: "Cloud Solution Provider", Language: "sv", Locale: "sv-SE", Deadline: d},
		ticket.RedirectedToISV{TicketID: "t2", PartnerID: "p1", ProductName: "Widget", ISV: "Acme", ISVContact: ticket.ISVContact{SupportURL: "https://acme.example/support"}, Title: "x"},
		ticket.FirstResponseRecorded{Responder: "v1", RespondedAt: t0.Add(time.Hour), Deadline: d, Met: true},
		ticket.SeverityChanged{From: domain.SeverityB, To: domain.SeverityA, Reason: "worse", Previous: d, Deadline: d},
		ticket.Escalated{Level: 1, Reason: "stuck", CriteriaMet: []string{"business-impact"}},
		ticket.InfoRequested{Question: "logs?"},
		ticket.InfoProvided{Answer: "attached"},
		ticket.BillingDisputeOpened{DisputeID: "d1", InvoiceRef: "inv-1", AmountCents: 12345, Currency: "EUR", Reason: "double charge"},
		ticket.BillingDisputeResolved{DisputeID: "d1", Outcome: "upheld", CreditAmountCents: 12345, Currency: "EUR", Explanation: "ok"},
		ticket.FraudFlagged{Reason: "odd", Indicators: []string{"geo"}},
		ticket.FraudCleared{Reason: "fine"},
		ticket.NoteAdded{Text: "line1\nline2 \"quoted\""},
		ticket.Reassigned{From: "q1", To: "q2"},
		ticket.Resolved{Resolution: "rebooted"},
		ticket.Reopened{Reason: "again"},
		ticket.Closed{Reason: "done"},
		ticket.SLANoticed{Notice: ticket.NoticeBreached, Deadline: d, NoticedAt: time.Date(2026, 3, 2, 11, 0, 1, 0, time.UTC)},
		partner.Registered{PartnerID: "p1", Name: "Partner One", Role: string(domain.RoleIndirectProvider), Email: "support@p1.example"},
		partner.CustomerLinked{CustomerID: "c1", Name: "Contoso", Domain: "contoso.onmicrosoft.com", AdminRights: true},
		partner.SupportPlanRecorded{PlanID: "pl1", Kind: partner.PlanASfP, Reference: "ASFP-1", ValidFrom: t0},
		partner.SupportPlanEnded{PlanID: "pl1", Reason: "expired"},
		partner.AzureAccessGranted{CustomerID: "c1", GrantedBy: "p0"},
		partner.AzureAccessRevoked{CustomerID: "c1", RevokedBy: "p0"},
		principal.TokenIssued{TokenID: "t1", Name: "ci", Role: string(domain.RoleIndirectReseller), Partner: "p1", ExpiresAt: t0.Add(time.Hour), Hash: strings.Repeat("ab", 32), IssuedBy: "ops"},
		principal.TokenRevoked{TokenID: "t1", Reason: "leaked", RevokedBy: "ops"},
		ledger.KeyAdded{KeyID: "0123456789abcdef", Algorithm: ledger.AlgorithmEd25519, PublicKey: "AAAA", Reason: "genesis"},
		ledger.KeyRetired{KeyID: "0123456789abcdef", Reason: "rotated"},
		ledger.Sealed{TreeSize: 7, RootHash: "AAAA", KeyID: "0123456789abcdef", SealedAt: t0, Checkpoint: "ticketledger\n7\nAAAA\n",
			Flagged: []string{"leaf 3 ticket-x@1 e: unsigned"}},
		ledger.Restored{FromPosition: 1452, BackupTakenAt: t0, BackupTreeSize: 1451, ReplacedHead: 1457, ReplacedTreeSize: 1456, ReplacedRoot: "AAAA", Reason: "drill"},
		subject.Erased{SubjectID: "sub-0123456789abcdef0123456789abcdef", Reason: "erasure request", ErasedBy: "ops"},
		webhook.Subscribed{SubscriptionID: "wh_1", Partner: "p1", URL: "https://hooks.p1.example/in", Types: []string{"ticket.opened", "sla.breached"}, CreatedBy: "alice"},
		webhook.SecretRotated{SubscriptionID: "wh_1", Generation: 2, PreviousValidUntil: t0.Add(time.Hour), RotatedBy: "alice"},
		webhook.Paused{SubscriptionID: "wh_1", Reason: "maintenance", PausedBy: "alice"},
		webhook.Resumed{SubscriptionID: "wh_1", ResumedBy: "alice"},
		webhook.Deleted{SubscriptionID: "wh_1", Reason: "moved", DeletedBy: "alice"},
		webhook.Delivered{Delivery: delivery, Attempts: webhook.Attempts{Attempts: 2, Status: 204, LatencyMS: 12, FinishedAt: t0}},
		webhook.Parked{Delivery: delivery, Attempts: webhook.Attempts{Attempts: 5, Status: 503, Error: "503 Service Unavailable", LatencyMS: 40, FinishedAt: t0}, Body: `{"type":"ticket.opened"}`},
		webhook.Held{Delivery: delivery, Body: `{"type":"ticket.escalated"}`},
		webhook.ReplayRequested{DeliveryID: "d1", TicketID: "t1", RequestedBy: "ops"},
		webhook.Skipped{DeliveryID: "d1", TicketID: "t1", SkippedBy: "ops"},
		webhook.DispatchMark{Holder: "replica-a", Until: t0.Add(30 * time.Second), Position: 1452, Prepare: 1452},
	}
}

func sampleMeta(i int) domain.Meta {
	return domain.Meta{
		EventID:       uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(i))),
		Actor:         domain.Actor{ID: "alice@p1.example", Role: domain.RoleIndirectProvider, Partner: "p1"},
		OnBehalfOf:    "c1",
		CorrelationID: "corr-1",
		CausationID:   "cmd-1",
		OccurredAt:    t0.Add(time.Duration(i) * time.Minute).In(time.FixedZone("CET", 3600)),
		RecordedAt:    t0.Add(time.Duration(i)*time.Minute + time.Second),
		PolicyVersion: "2026-01",
	}
}

// record turns encoded data into what a store would return.
func record(stream string, rev uint64, d eventstore.EventData) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{StreamID: stream, Revision: rev, Position: eventstore.Position{Commit: 100 + rev, Prepare: 100 + rev},
		ID: d.ID, Type: d.Type, ContentType: d.ContentType, Data: d.Data, Metadata: d.Metadata, Created: t0}
}

func encodeStream(t testing.TB, stream string, evs []domain.Event) []eventstore.RecordedEvent {
	t.Helper()
	return encodeStreamSigned(t, stream, evs, nil)
}

// encodeStreamSigned encodes evs as one chained stream with sampleMeta
// metadata, signed by s (unsigned when s is nil), as a store returns them.
func encodeStreamSigned(t testing.TB, stream string, evs []domain.Event, s codec.Signer) []eventstore.RecordedEvent {
	t.Helper()
	metas := make([]domain.Meta, len(evs))
	for i := range metas {
		metas[i] = sampleMeta(i)
	}
	encode := codec.EncodeChain
	if s != nil {
		encode = func(stream, prevHash string, evs []domain.Event, metas []domain.Meta) ([]eventstore.EventData, []domain.Meta, error) {
			return codec.EncodeChainSigned(stream, prevHash, evs, metas, s)
		}
	}
	data, _, err := encode(stream, "", evs, metas)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]eventstore.RecordedEvent, len(data))
	for i, d := range data {
		out[i] = record(stream, uint64(i), d)
	}
	return out
}

func TestRoundTripEveryType(t *testing.T) {
	evs := samples()
	if len(evs) != len(catalog.All()) {
		t.Fatalf("samples cover %d types, catalog has %d: add the new type to samples()", len(evs), len(catalog.All()))
	}
	const stream = "ticket-0b3f6d4e-0000-4000-8000-000000000001"
	recs := encodeStream(t, stream, evs)
	prev := ""
	for i, r := range recs {
		got, err := codec.Decode(r)
		if err != nil {
			t.Fatalf("%s: %v", r.Type, err)
		}
		if !reflect.DeepEqual(got.Event, evs[i]) {
			t.Errorf("%s: decoded %#v, want %#v", r.Type, got.Event, evs[i])
		}
		if reflect.TypeOf(got.Event).Kind() == reflect.Pointer {
			t.Errorf("%s: Event is a pointer", r.Type)
		}
		if got.Stream != stream || got.Revision != uint64(i) || got.Position != 100+uint64(i) || got.Type != evs[i].EventType() {
			t.Errorf("%s: envelope %+v", r.Type, got)
		}
		want := sampleMeta(i)
		want.SchemaVersion = 1
		want.OccurredAt = want.OccurredAt.UTC()
		want.PrevHash = prev
		want.Hash = got.Meta.Hash
		if !reflect.DeepEqual(got.Meta, want) {
			t.Errorf("%s: meta\n got %+v\nwant %+v", r.Type, got.Meta, want)
		}
		if r.ID != want.EventID || r.ContentType != "application/json" {
			t.Errorf("%s: record id %s content type %q", r.Type, r.ID, r.ContentType)
		}
		prev = got.Meta.Hash
	}
	if err := codec.Verify(recs); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataIsReadableCamelCaseJSON(t *testing.T) {
	d, m, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "hi"}, sampleMeta(0), "")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(d.Metadata, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"eventId", "schemaVersion", "actor", "onBehalfOf", "correlationId", "causationId", "occurredAt", "recordedAt", "policyVersion", "hash"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("metadata lacks %q: %s", k, d.Metadata)
		}
	}
	if _, ok := obj["prevHash"]; ok {
		t.Errorf("first event has a prevHash: %s", d.Metadata)
	}
	if obj["hash"] != m.Hash || len(m.Hash) != 64 {
		t.Errorf("hash %v vs %q", obj["hash"], m.Hash)
	}
	if obj["occurredAt"] != "2026-03-02T09:30:00.123456789Z" {
		t.Errorf("occurredAt not normalised to UTC: %v", obj["occurredAt"])
	}
}

// TestActorAuth: how the actor was authenticated is recorded when known and
// decodes on the fast path; metadata without it (every event written before
// it existed) is byte for byte what it was, so old chains still verify.
func TestActorAuth(t *testing.T) {
	old := sampleMeta(0)
	d, _, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "hi"}, old, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(d.Metadata, []byte(`"actor":{"id":"alice@p1.example","role":"indirect_provider","partner":"p1"},`)) {
		t.Errorf("actor without auth changed shape: %s", d.Metadata)
	}
	m, err := codec.DecodeMeta(d.Metadata)
	if err != nil || m.Actor != old.Actor {
		t.Fatalf("old actor decoded as %+v, %v", m.Actor, err)
	}

	withAuth := sampleMeta(1)
	withAuth.Actor.Auth = domain.AuthToken
	evs := []domain.Event{ticket.NoteAdded{Text: "a"}, ticket.NoteAdded{Text: "b"}}
	data, _, err := codec.EncodeChain("ticket-y", "", evs, []domain.Meta{sampleMeta(0), withAuth})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data[1].Metadata, []byte(`"partner":"p1","auth":"token"}`)) {
		t.Errorf("auth not recorded: %s", data[1].Metadata)
	}
	m, err = codec.DecodeMeta(data[1].Metadata)
	if err != nil || m.Actor != withAuth.Actor {
		t.Fatalf("actor decoded as %+v, %v", m.Actor, err)
	}
	recs := []eventstore.RecordedEvent{record("ticket-y", 0, data[0]), record("ticket-y", 1, data[1])}
	if err := codec.Verify(recs); err != nil {
		t.Fatalf("a chain mixing actors with and without auth: %v", err)
	}
	tampered := bytes.Replace(data[1].Metadata, []byte(`"auth":"token"`), []byte(`"auth":"oidc"`), 1)
	recs[1].Metadata = tampered
	if err := codec.Verify(recs); !errors.Is(err, codec.ErrChainBroken) {
		t.Fatalf("changed auth method not detected: %v", err)
	}
}

func TestEncodeAssignsEventID(t *testing.T) {
	m := sampleMeta(0)
	m.EventID = uuid.Nil
	d, got, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "hi"}, m, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.EventID == uuid.Nil || d.ID != got.EventID {
		t.Fatalf("event id %s, record id %s", got.EventID, d.ID)
	}
}

type alien struct{}

func (alien) EventType() string { return "alien.landed" }

func TestUnknownType(t *testing.T) {
	if _, _, err := codec.Encode("x", alien{}, sampleMeta(0), ""); !errors.Is(err, codec.ErrUnknownType) {
		t.Fatalf("encode: %v", err)
	}
	r := encodeStream(t, "ticket-x", []domain.Event{ticket.NoteAdded{Text: "hi"}})[0]
	r.Type = "alien.landed"
	_, err := codec.Decode(r)
	if !errors.Is(err, codec.ErrUnknownType) {
		t.Fatalf("decode: %v", err)
	}
	var de *codec.DecodeError
	if !errors.As(err, &de) || de.Type != "alien.landed" || de.Stream != "ticket-x" {
		t.Fatalf("decode error %#v", err)
	}
}

// Test catalog for upcasting: "test.renamed" v1 had {"name": "..."}; v2
// splits it into {"first","last"}; v3 (current) adds "title" defaulting to
// "n/a".
type renamed struct {
	First string `json:"first"`
	Last  string `json:"last"`
	Title string `json:"title"`
}

func (renamed) EventType() string { return "test.renamed" }

func upcastRenamed(from int, data json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if from < 2 {
		name, _ := m["name"].(string)
		first, last, _ := strings.Cut(name, " ")
		delete(m, "name")
		m["first"], m["last"] = first, last
	}
	if from < 3 {
		m["title"] = "n/a"
	}
	return json.Marshal(m)
}

func testCodec(t testing.TB, version int) *codec.Codec {
	t.Helper()
	c, err := codec.New([]domain.EventSpec{{Type: "test.renamed", Version: version,
		New: func() domain.Event { return &renamed{} }, Upcast: upcastRenamed}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestUpcast(t *testing.T) {
	// An old release (v1 catalog) wrote a v1 payload: hand-craft it, since
	// the v1 Go type no longer exists.
	m := sampleMeta(0)
	m.SchemaVersion = 1
	m0, _ := json.Marshal(m)
	data := []byte(`{"name":"Ada Lovelace"}`)
	h := codec.ComputeHash("", "test-1", "test.renamed", 1, data, m0)
	md := append(m0[:len(m0)-1:len(m0)-1], []byte(`,"hash":"`+h+`"}`)...)
	rec := eventstore.RecordedEvent{StreamID: "test-1", ID: m.EventID, Type: "test.renamed", ContentType: "application/json", Data: data, Metadata: md}

	got, err := testCodec(t, 3).Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if want := (renamed{First: "Ada", Last: "Lovelace", Title: "n/a"}); got.Event != want {
		t.Fatalf("upcast v1→v3: %#v, want %#v", got.Event, want)
	}
	if got.Meta.SchemaVersion != 1 {
		t.Errorf("Meta.SchemaVersion = %d, want the stored 1", got.Meta.SchemaVersion)
	}
	// The chain still verifies: upcasting never touches stored bytes.
	if err := codec.Verify([]eventstore.RecordedEvent{rec}); err != nil {
		t.Fatal(err)
	}

	// A v2 payload is upcast only by the v3 step.
	d, _, err := testCodec(t, 2).Encode("test-1", renamed{First: "Alan", Last: "Turing"}, sampleMeta(1), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err = testCodec(t, 3).Decode(record("test-1", 0, d))
	if err != nil {
		t.Fatal(err)
	}
	if want := (renamed{First: "Alan", Last: "Turing", Title: "n/a"}); got.Event != want {
		t.Fatalf("upcast v2→v3: %#v", got.Event)
	}

	// A v3 payload read by a v2 release: refused, not misread.
	d, _, _ = testCodec(t, 3).Encode("test-1", renamed{First: "A"}, sampleMeta(2), "")
	if _, err := testCodec(t, 2).Decode(record("test-1", 0, d)); !errors.Is(err, codec.ErrSchemaVersion) {
		t.Fatalf("newer version: %v", err)
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	bad := [][]domain.EventSpec{
		{{Type: "", Version: 1, New: func() domain.Event { return &renamed{} }}},
		{{Type: "test.renamed", Version: 0, New: func() domain.Event { return &renamed{} }}},
		{{Type: "test.renamed", Version: 1}},
		{{Type: "test.renamed", Version: 1, New: func() domain.Event { return renamed{} }}},
		{{Type: "test.other", Version: 1, New: func() domain.Event { return &renamed{} }}},
		{{Type: "test.renamed", Version: 1, New: func() domain.Event { return &renamed{} }}, {Type: "test.renamed", Version: 1, New: func() domain.Event { return &renamed{} }}},
	}
	for i, specs := range bad {
		if _, err := codec.New(specs); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	const stream = "ticket-t"
	fresh := func() []eventstore.RecordedEvent { return encodeStream(t, stream, samples()[:6]) }
	if err := codec.Verify(fresh()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		tamper  func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent
		rev     uint64
		problem string
	}{
		{"payload edited", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[2].Data = bytes.Replace(h[2].Data, []byte(`"met":true`), []byte(`"met":false`), 1)
			return h
		}, 2, "hash mismatch"},
		{"actor edited", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[3].Metadata = bytes.Replace(h[3].Metadata, []byte("alice@"), []byte("mallory"), 1)
			return h
		}, 3, "hash mismatch"},
		{"type changed", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[4].Type = "ticket.info_provided"
			return h
		}, 4, "hash mismatch"},
		{"event deleted", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h = append(h[:2], h[3:]...)
			for i := range h {
				h[i].Revision = uint64(i)
			}
			return h
		}, 2, "prevHash"},
		{"events swapped", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[1], h[2] = h[2], h[1]
			h[1].Revision, h[2].Revision = 1, 2
			return h
		}, 1, "prevHash"},
		{"revision gap", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[5].Revision = 7
			return h
		}, 7, "revision"},
		{"moved from another stream", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			other := encodeStream(t, "ticket-u", samples()[:1])
			h[0] = other[0]
			h[0].StreamID = stream
			return h
		}, 0, "hash mismatch"},
		{"hash rewritten", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[1].Metadata = bytes.Replace(h[1].Metadata, []byte(`"hash":"`), []byte(`"hash":"0`), 1)
			h[1].Metadata = append(h[1].Metadata[:len(h[1].Metadata)-3], '"', '}')
			return h
		}, 1, "hash mismatch"},
		{"hash removed", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[0].Metadata, _, _ = codec.SplitHash(h[0].Metadata)
			return h
		}, 0, "malformed metadata"},
		{"record id changed", func(h []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			h[5].ID = uuid.New()
			return h
		}, 5, "event id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := codec.Verify(tc.tamper(fresh()))
			var ce *codec.ChainError
			if !errors.As(err, &ce) || !errors.Is(err, codec.ErrChainBroken) {
				t.Fatalf("Verify = %v, want a *ChainError", err)
			}
			if ce.Revision != tc.rev || !strings.Contains(ce.Problem, tc.problem) {
				t.Fatalf("Verify = %v (revision %d), want revision %d and %q", err, ce.Revision, tc.rev, tc.problem)
			}
		})
	}
}

func TestVerifyFrom(t *testing.T) {
	h := encodeStream(t, "ticket-v", samples()[:4])
	m, err := codec.DecodeMeta(h[1].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := codec.VerifyFrom(m.Hash, h[2:]); err != nil {
		t.Fatal(err)
	}
	if err := codec.Verify(h[2:]); err == nil {
		t.Fatal("a history that does not start at the first event verified from an empty hash")
	}
}

// TestMetaFastPathMatchesEncodingJSON feeds the metadata decoder inputs on
// and off its fast path and checks it agrees with encoding/json.
func TestMetaFastPathMatchesEncodingJSON(t *testing.T) {
	d, _, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "x"}, sampleMeta(3), strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	inputs := []string{
		string(d.Metadata),
		`{}`,
		` { "eventId" : "6ba7b812-9dad-11d1-80b4-00c04fd430c8" , "schemaVersion" : 2 } `,
		`{"eventId":"6ba7b8129dad11d180b400c04fd430c8","actor":{"id":"a","role":"auditor"},"actor":{"partner":"p"}}`,
		`{"actor":{"id":"a\u00e9","role":"auditor"}}`,
		`{"actor":{"id":"Åsa","role":"auditor"}}`,
		`{"actor":null,"onBehalfOf":"c"}`,
		`{"EventID":"6ba7b812-9dad-11d1-80b4-00c04fd430c8"}`,
		`{"schemaVersion":1.0}`,
		`{"schemaVersion":01}`,
		`{"schemaVersion":-3}`,
		`{"schemaVersion":12345678901}`,
		`{"occurredAt":"2026-01-02T03:04:05+01:00","recordedAt":"2026-01-02T03:04:05.5Z"}`,
		`{"occurredAt":"2026-01-02 03:04:05"}`,
		`{"eventId":"nope"}`,
		`{"extra":{"nested":[1,2]},"hash":"x"}`,
		`{"hash":"x"} trailing`,
		`{"hash":"x",}`,
		`{"hash":"x"`,
		"{\"hash\":\"\xff\"}",
		`[]`,
		`null`,
		`{"hash":"a","correlationId":"c","hash":"b","prevHash":"","causationId":"d"}`,
		`{"hash":"1","hash":"2","hash":"3","hash":"4","hash":"5","hash":"6","hash":"7","hash":"8","hash":"9","correlationId":"x"}`,
		`{"actor":{"id":"` + strings.Repeat("long-actor-", 5) + `","partner":"p","role":"custom_role"},"policyVersion":"v1","onBehalfOf":""}`,
		`{"actor":{"id":"ops","role":"admin","auth":"token"}}`,
		`{"actor":{"auth":"oidc","id":"a","role":"auditor"}}`,
		`{"actor":{"id":"ledger","role":"system","auth":"internal"},"hash":"h"}`,
		`{"actor":{"id":"p","role":"indirect_provider","partner":"p1","auth":"proxy"}}`,
		`{"actor":{"id":"a","role":"auditor","auth":"kerberos"}}`,
		`{"actor":{"id":"a","role":"auditor","auth":""}}`,
		`{"actor":{"id":"a","role":"auditor","auth":7}}`,
		`{"actor":{"id":"a","role":"auditor","auth":"t\u006fken"}}`,
	}
	for _, in := range inputs {
		got, gotErr := codec.DecodeMeta([]byte(in))
		var want domain.Meta
		wantErr := json.Unmarshal([]byte(in), &want)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, encoding/json %v", in, gotErr, wantErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
	}
}

// TestHashSchemeIndependently rebuilds the canonical input of the package
// documentation by hand, without ComputeHash, for the first two events of a
// stream.
func TestHashSchemeIndependently(t *testing.T) {
	recs := encodeStream(t, "ticket-h", samples()[:2])
	prev := ""
	for _, r := range recs {
		var obj map[string]any
		if err := json.Unmarshal(r.Metadata, &obj); err != nil {
			t.Fatal(err)
		}
		h := obj["hash"].(string)
		suffix := `,"hash":"` + h + `"}`
		if !bytes.HasSuffix(r.Metadata, []byte(suffix)) {
			t.Fatalf("metadata does not end with the hash member: %s", r.Metadata)
		}
		m0 := append(bytes.TrimSuffix(r.Metadata, []byte(suffix)), '}')
		var in bytes.Buffer
		for _, f := range [][]byte{[]byte("ticketledger.hashchain.v1"), []byte(prev), []byte(r.StreamID), []byte(r.Type),
			[]byte(fmt.Sprint(obj["schemaVersion"])), r.Data, m0} {
			in.Write([]byte{byte(len(f) >> 24), byte(len(f) >> 16), byte(len(f) >> 8), byte(len(f))})
			in.Write(f)
		}
		sum := sha256.Sum256(in.Bytes())
		if got := hex.EncodeToString(sum[:]); got != h {
			t.Fatalf("independent hash %s, stored %s", got, h)
		}
		if p, _ := obj["prevHash"].(string); p != prev {
			t.Fatalf("prevHash %q, want %q", p, prev)
		}
		prev = h
	}
}

func TestDecodeAll(t *testing.T) {
	var evs []domain.Event
	for range 20 {
		evs = append(evs, samples()...)
	}
	recs := encodeStream(t, "ticket-all", evs)
	for _, workers := range []int{0, 1, 2, 8} {
		got, err := codec.Default().DecodeAll(recs, workers)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i].Revision != uint64(i) || !reflect.DeepEqual(got[i].Event, evs[i]) {
				t.Fatalf("workers %d: record %d out of order or wrong", workers, i)
			}
		}
	}
	recs[300].Type = "alien.landed"
	recs[400].Type = "alien.landed"
	_, err := codec.Default().DecodeAll(recs, 4)
	var de *codec.DecodeError
	if !errors.As(err, &de) || de.Revision != 300 {
		t.Fatalf("DecodeAll error %v, want the one of revision 300", err)
	}
}

// FuzzMetaFastPath mutates metadata (with and without the actor's auth
// method): the decoder agrees with encoding/json on every input.
func FuzzMetaFastPath(f *testing.F) {
	m := sampleMeta(2)
	d, _, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "x"}, m, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(d.Metadata)
	m.Actor = domain.Actor{ID: "ops", Role: domain.RoleAdmin, Auth: domain.AuthToken}
	if d, _, err = codec.Encode("ticket-x", ticket.NoteAdded{Text: "x"}, m, ""); err != nil {
		f.Fatal(err)
	}
	f.Add(d.Metadata)
	f.Add([]byte(`{"actor":{"id":"a","role":"auditor","auth":"oidc"}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return // no metadata at all decodes as the zero Meta, by design
		}
		got, gotErr := codec.DecodeMeta(in)
		var want domain.Meta
		wantErr := json.Unmarshal(in, &want)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", in, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", in, got, want)
		}
	})
}

// FuzzDecode: any stored record (a known type with any payload and
// metadata bytes, any schema version) decodes, with upcasting, to an event
// of its type or to an error, never a panic.
func FuzzDecode(f *testing.F) {
	types := catalog.All()
	d, _, err := codec.Encode("ticket-x", ticket.NoteAdded{Text: "x"}, sampleMeta(1), "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), d.Data, d.Metadata)
	f.Add(uint8(1), []byte(`{"schemaVersion":1}`), []byte(`{"schemaVersion":99}`))
	f.Fuzz(func(t *testing.T, which uint8, data, meta []byte) {
		typ := types[int(which)%len(types)].Type
		rec, err := codec.Decode(eventstore.RecordedEvent{StreamID: "ticket-x", Type: typ, ContentType: "application/json", Data: data, Metadata: meta})
		if err == nil && (rec.Event == nil || rec.Event.EventType() != typ) {
			t.Fatalf("%s decoded to %#v", typ, rec.Event)
		}
	})
}
