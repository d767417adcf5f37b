package kurrentwire

import (
	"testing"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/protobuf/proto"
)

// FuzzRequestDecoding: whatever bytes a client sends as an Append, Read,
// Delete or Tombstone request, the server's request decoding (event ids,
// expected revisions, read positions, filters) answers a value or an error,
// never a panic.
func FuzzRequestDecoding(f *testing.F) {
	seed := func(m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(&api.ReadReq{Options: &api.ReadReq_Options{
		StreamOption: &api.ReadReq_Options_All{All: &api.ReadReq_Options_AllOptions{}},
		FilterOption: &api.ReadReq_Options_Filter{Filter: &api.ReadReq_Options_FilterOptions{
			Filter: &api.ReadReq_Options_FilterOptions_EventType{EventType: &api.ReadReq_Options_FilterOptions_Expression{Regex: "^ticket\\."}},
		}},
	}})
	seed(&api.AppendReq{Content: &api.AppendReq_ProposedMessage_{ProposedMessage: &api.AppendReq_ProposedMessage{
		Metadata: map[string]string{metaType: "ticket.note_added", metaContentType: "application/json"}, Data: []byte(`{}`),
	}}})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var read api.ReadReq
		if proto.Unmarshal(b, &read) == nil {
			o := read.GetOptions()
			_, _ = streamPosFromProto(o.GetStream())
			_, _ = allPosFromProto(o.GetAll())
			if fo := o.GetFilter(); fo != nil {
				_, _ = filterFromProto(fo)
				_ = checkpointInterval(fo)
			}
		}
		var app api.AppendReq
		if proto.Unmarshal(b, &app) == nil {
			o := app.GetOptions()
			_, _ = expectedFromProto(o, o.GetExpectedStreamRevision() != nil)
			_, _ = uuidFromProto(app.GetProposedMessage().GetId())
		}
		var del api.DeleteReq
		if proto.Unmarshal(b, &del) == nil {
			o := del.GetOptions()
			_, _ = expectedFromProto(o, o.GetExpectedStreamRevision() != nil)
		}
		var tomb api.TombstoneReq
		if proto.Unmarshal(b, &tomb) == nil {
			o := tomb.GetOptions()
			_, _ = expectedFromProto(o, o.GetExpectedStreamRevision() != nil)
		}
	})
}
