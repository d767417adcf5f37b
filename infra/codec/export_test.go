package codec

import (
	"reflect"

	"github.com/ticketledger/ticketledger/domain"
)

// FastPayload decodes data as a payload of type typ with the fast path
// alone: the value (not a pointer), whether the fast path took it, and
// whether the type has a plan at all.
func FastPayload(c *Codec, typ string, data []byte) (ev domain.Event, ok, planned bool) {
	plan := c.plans[typ]
	if plan == nil {
		return nil, false, false
	}
	p := c.specs[typ].New()
	if !scanPayload(plan, data, p) {
		return nil, false, true
	}
	return reflect.ValueOf(p).Elem().Interface().(domain.Event), true, true
}
