package server

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain/ticket"
)

// TestActionRequestMatchesRoutes: every action's request goes to a ticket
// command route that decodes the body ActionRequest writes, and every such
// route (but opening and redirecting, which create a ticket) has an action.
func TestActionRequestMatchesRoutes(t *testing.T) {
	actions := []ticket.Action{
		ticket.FirstResponse{}, ticket.SeverityChange{}, ticket.Escalation{}, ticket.InfoRequest{}, ticket.InfoAnswer{},
		ticket.Dispute{}, ticket.Decision{DisputeID: "d/1"}, ticket.FraudFlag{}, ticket.FraudClearance{}, ticket.Note{},
		ticket.Reassignment{}, ticket.Resolution{}, ticket.Reopening{}, ticket.Closure{},
	}
	mux := http.NewServeMux()
	byPattern := map[string]route{}
	for _, rt := range routes() {
		if rt.command {
			pattern := rt.method + " " + rt.path
			byPattern[pattern] = rt
			mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	covered := map[string]bool{}
	for _, a := range actions {
		path, body, err := ActionRequest("t 1", a, CommandBase{})
		if err != nil {
			t.Fatalf("%T: %v", a, err)
		}
		_, pattern := mux.Handler(httptest.NewRequest(http.MethodPost, path, nil))
		rt, ok := byPattern[pattern]
		if !ok {
			t.Fatalf("%T: POST %s matches no command route", a, path)
		}
		if got, want := reflect.TypeOf(body), reflect.TypeOf(rt.body); got != want {
			t.Errorf("%T: POST %s sends a %v, the route %s decodes a %v", a, path, got, rt.op, want)
		}
		covered[pattern] = true
	}
	for pattern, rt := range byPattern {
		if strings.HasPrefix(rt.path, "/v1/tickets/{id}/") && !covered[pattern] {
			t.Errorf("route %s (%s) has no action in ActionRequest", rt.op, pattern)
		}
	}
	if _, _, err := ActionRequest("t1", nil, CommandBase{}); err == nil {
		t.Error("a nil action has a route")
	}
}
