package codec_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/catalog"
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/projections/projectionstest"
)

// viaJSON decodes data with encoding/json into the type's fresh value.
func viaJSON(t testing.TB, typ string, data []byte) (domain.Event, error) {
	t.Helper()
	p := catalog.ByType()[typ].New()
	err := json.Unmarshal(data, p)
	return reflect.ValueOf(p).Elem().Interface().(domain.Event), err
}

// checkPayload decodes data as typ through the codec (fast path with its
// fallback) and with encoding/json, and requires the same outcome. It
// returns whether the fast path alone took the input.
func checkPayload(t testing.TB, typ string, data []byte) bool {
	t.Helper()
	want, wantErr := viaJSON(t, typ, data)
	fast, ok, planned := codec.FastPayload(codec.Default(), typ, data)
	if !planned {
		t.Fatalf("%s: no fast-path plan", typ)
	}
	if ok {
		if wantErr != nil {
			t.Fatalf("%s %s: fast path accepted what encoding/json refuses (%v)", typ, data, wantErr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%s %s:\n fast %#v\n json %#v", typ, data, fast, want)
		}
	}
	// Through Decode: same value, or an error exactly when encoding/json fails.
	rec := encodeStream(t, "ticket-p", []domain.Event{want})[0]
	rec.Type, rec.Data = typ, data
	got, err := codec.Decode(rec)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s %s: Decode error %v, encoding/json %v", typ, data, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got.Event, want) {
		t.Fatalf("%s %s:\n Decode %#v\n json   %#v", typ, data, got.Event, want)
	}
	return ok
}

func TestEveryCatalogTypeHasAFastPath(t *testing.T) {
	for _, s := range catalog.All() {
		if _, _, planned := codec.FastPayload(codec.Default(), s.Type, []byte(`{}`)); !planned {
			t.Errorf("%s: no fast-path plan (a field type the plan does not support?): decoding it is slow", s.Type)
		}
	}
}

// TestPayloadFastPathMatchesEncodingJSON: what the encoder writes takes the
// fast path and decodes exactly like encoding/json; odd inputs (unknown
// fields, other spellings, null, escapes, invalid UTF-8, numbers that are
// not integers, malformed JSON) decode like encoding/json too, through it.
func TestPayloadFastPathMatchesEncodingJSON(t *testing.T) {
	// Every sample, and a generated history (every type with realistic values).
	var evs []domain.Event
	evs = append(evs, samples()...)
	for _, r := range projectionstest.Generate(projectionstest.Options{Tickets: 300}) {
		evs = append(evs, r.Event)
	}
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !checkPayload(t, ev.EventType(), data) {
			t.Errorf("%s %s: encoder output not on the fast path", ev.EventType(), data)
		}
	}

	d, _ := json.Marshal(samples()[0])
	opened := string(d)
	odd := map[string][]string{
		"ticket.opened": {
			`{}`, ` { "ticketId" : "t" , "severity":"A" } `, "{\n\t\"ticketId\":\"t\"\r\n}",
			strings.Replace(opened, `"ticketId"`, `"TicketID"`, 1), // case-insensitive match
			strings.Replace(opened, `"ticketId"`, `"unknown":{"a":[1,2,{"b":null}]},"ticketId"`, 1),
			strings.Replace(opened, `"title":"`, `"title":null,"x":"`, 1),
			`{"ticketId":null}`, `{"contact":null}`, `{"deadline":{"target":null}}`,
			`{"title":"a\u00e9\u4e16\n\t\"\\\/\b\f\r"}`, `{"title":"\ud83d\ude00"}`, `{"title":"\ud83d"}`, `{"title":"\udc00x"}`,
			"{\"title\":\"\xff\xfe\"}", "{\"title\":\"tab\there\"}", `{"title":"\x"}`, `{"title":"\u12"}`, `{"title":"Åsa ✓"}`,
			`{"deadline":{"target":1.5}}`, `{"deadline":{"target":1e9}}`, `{"deadline":{"target":-0}}`, `{"deadline":{"target":01}}`,
			`{"deadline":{"target":9223372036854775807}}`, `{"deadline":{"target":99999999999999999999}}`, `{"deadline":{"target":-7200000000000}}`,
			`{"deadline":{"target":"7200"}}`, `{"deadline":{"at":"2026-01-02T03:04:05+01:00"}}`, `{"deadline":{"at":"2026-01-02 03:04:05"}}`,
			`{"deadline":{"at":"2026-01-02T03:04:05\u005a"}}`, `{"openedAt":null}`, `{"openedAt":1}`,
			`{"deadline":{"clock":"wall"},"deadline":{"severity":"B"}}`, `{"ticketId":"a","ticketId":"b"}`,
			`{"ticketId":"a"} x`, `{"ticketId":"a",}`, `{"ticketId":"a"`, `{"ticketId" "a"}`, `[]`, `null`, ``, `"x"`, `{"ticketId":"a"}{}`,
			`{"contact":{"name":"n","email":"e"},"contact":{"phone":"p"}}`, `{"deadline":{"target":true}}`,
		},
		"ticket.escalated": {
			`{"level":2,"criteriaMet":[]}`, `{"criteriaMet":null}`, `{"criteriaMet":["a", "b" ,"c\n"]}`, `{"criteriaMet":["a",]}`,
			`{"criteriaMet":[1]}`, `{"criteriaMet":["a"],"criteriaMet":["b","c"]}`, `{"level":2147483648}`, `{"level":-1}`,
			`{"criteriaMet":"a"}`, `{"level":true}`,
		},
		"ticket.first_response_recorded": {`{"met":true}`, `{"met":false}`, `{"met":tru}`, `{"met":truex}`, `{"met":null}`, `{"met":1}`},
		"webhook.delivered": { // promoted fields of embedded structs, unsigned integers
			`{"deliveryId":"d","attempts":2,"sequence":3}`, `{"sequence":-1}`, `{"sequence":-0}`, `{"sequence":0}`,
			`{"sequence":18446744073709551615}`, `{"sequence":999999999999999999}`, `{"sequence":1.0}`, `{"sequence":"3"}`,
			`{"Delivery":{"sequence":3}}`, `{"sequence":1,"sequence":2}`, `{"SEQUENCE":4}`, `{"finishedAt":null,"status":null}`,
		},
		"webhook.dispatch_mark":      {`{"position":4294967296,"prepare":0}`, `{"position":-5}`, `{"prepare":01}`},
		"partner.support_plan_ended": {`{"endedAt":"0001-01-01T00:00:00Z"}`, `{"planId":"p","endedAt":"2026-03-02T09:30:00.123456789Z"}`},
	}
	for typ, ins := range odd {
		for _, in := range ins {
			checkPayload(t, typ, []byte(in))
		}
	}
}

// FuzzPayloadFastPath mutates encoded payloads of every type: whatever the
// fast path accepts must decode exactly like encoding/json, and Decode must
// agree with encoding/json on everything.
func FuzzPayloadFastPath(f *testing.F) {
	types := catalog.All()
	for i, ev := range samples() {
		d, _ := json.Marshal(ev)
		f.Add(uint8(i), d)
	}
	f.Fuzz(func(t *testing.T, i uint8, data []byte) {
		checkPayload(t, types[int(i)%len(types)].Type, data)
	})
}
