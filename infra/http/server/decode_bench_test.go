package server

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// deskOpenBody is an open-ticket request as a partner's desk sends it.
var deskOpenBody = []byte(`{"customerId":"c-0042","product":"azure","severity":"B","title":"VM fails to start after resize",` +
	`"description":"Since the resize at 09:00 the VM stays in starting; the boot log ends at the network step.\nCustomer needs it back today.",` +
	`"contact":{"name":"Rob Walters","email":"rob.walters@fabrikam.example","phone":"+44 20 7946 0958"},` +
	`"supportPlan":"premier","language":"en","locale":"en-GB"}`)

// BenchmarkDecodeOpenBody is what every open pays for its body: the
// hygiene walk (checkJSON) and the decode into the body type.
func BenchmarkDecodeOpenBody(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/tickets", bytes.NewReader(deskOpenBody))
		r.Header.Set("Content-Type", "application/json")
		var body OpenTicketBody
		if err := decodeBody(r, &body); err != nil || body.Contact.Email == "" {
			b.Fatalf("%+v, %v", body, err)
		}
	}
}
