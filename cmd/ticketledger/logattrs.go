package main

import (
	"context"
	"log/slog"
	"slices"
)

// uniqueAttrs is a slog.Handler that leaves out an attribute a logger's
// With already carries with the same value: a component that names itself
// on a logger its caller already named (component=projector twice) logs it
// once. The same key with another value is kept. Inside a group (WithGroup)
// it passes everything through.
type uniqueAttrs struct {
	h     slog.Handler
	attrs []slog.Attr // from WithAttrs, outside any group
	group bool
}

// dedupAttrs wraps h in uniqueAttrs.
func dedupAttrs(h slog.Handler) slog.Handler { return &uniqueAttrs{h: h} }

// Enabled is h's.
func (u *uniqueAttrs) Enabled(ctx context.Context, l slog.Level) bool { return u.h.Enabled(ctx, l) }

// WithAttrs adds the attributes not carried yet.
func (u *uniqueAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	if u.group {
		return &uniqueAttrs{h: u.h.WithAttrs(as), group: true}
	}
	var fresh []slog.Attr
	for _, a := range as {
		if !u.has(a) && !slices.ContainsFunc(fresh, a.Equal) {
			fresh = append(fresh, a)
		}
	}
	return &uniqueAttrs{h: u.h.WithAttrs(fresh), attrs: append(slices.Clip(u.attrs), fresh...)}
}

// WithGroup opens a group; attributes in it are not compared.
func (u *uniqueAttrs) WithGroup(name string) slog.Handler {
	return &uniqueAttrs{h: u.h.WithGroup(name), attrs: u.attrs, group: true}
}

// Handle logs r without the attributes the logger carries already.
func (u *uniqueAttrs) Handle(ctx context.Context, r slog.Record) error {
	if u.group || len(u.attrs) == 0 {
		return u.h.Handle(ctx, r)
	}
	dup := false
	r.Attrs(func(a slog.Attr) bool {
		dup = u.has(a)
		return !dup
	})
	if !dup {
		return u.h.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if !u.has(a) {
			nr.AddAttrs(a)
		}
		return true
	})
	return u.h.Handle(ctx, nr)
}

func (u *uniqueAttrs) has(a slog.Attr) bool { return slices.ContainsFunc(u.attrs, a.Equal) }
