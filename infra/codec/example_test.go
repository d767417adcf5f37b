package codec_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/ticket"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/eventstore"
)

// A record's hash is recomputed from its stored bytes alone: strip the hash
// member from the metadata, hash the fields, compare.
func ExampleComputeHash() {
	meta := domain.Meta{
		EventID:    uuid.MustParse("0b3f6d4e-0000-4000-8000-000000000001"),
		Actor:      domain.Actor{ID: "vera@vendor.example", Role: domain.RoleVendorSupport},
		OccurredAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		RecordedAt: time.Date(2026, 3, 2, 9, 30, 1, 0, time.UTC),
	}
	d, _, _ := codec.Encode("ticket-0b3f6d4e-0000-4000-8000-000000000002", ticket.NoteAdded{Text: "hello"}, meta, "")

	m0, stored, _ := codec.SplitHash(d.Metadata)
	fmt.Println(string(m0))
	fmt.Println(codec.ComputeHash("", "ticket-0b3f6d4e-0000-4000-8000-000000000002", d.Type, 1, d.Data, m0) == stored)
	fmt.Println(codec.Verify([]eventstore.RecordedEvent{{StreamID: "ticket-0b3f6d4e-0000-4000-8000-000000000002",
		ID: d.ID, Type: d.Type, Data: d.Data, Metadata: d.Metadata}}))
	// Output:
	// {"eventId":"0b3f6d4e-0000-4000-8000-000000000001","schemaVersion":1,"actor":{"id":"vera@vendor.example","role":"vendor_support"},"occurredAt":"2026-03-02T09:30:00Z","recordedAt":"2026-03-02T09:30:01Z"}
	// true
	// <nil>
}
