package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ticketledger/ticketledger/domain"
)

// openAPI builds the OpenAPI 3.1 document from the route table: paths,
// parameters and headers from the routes, schemas by reflection from the Go
// types of the request and response bodies, so the document cannot drift
// from the code.
func openAPI(rts []route, live, imports domain.Window) map[string]any {
	back, skew := live.Limits()
	ib, _ := imports.Limits()
	window := fmt.Sprintf("422 rule broken (among them backdated-too-far: occurred-at more than %s before now, this ledger's backdating window, serve --max-backdate, %s for imports; occurred-at-in-future: more than %s ahead, --max-clock-skew; GET /v1/info has both)",
		domain.FormatLimit(back), domain.FormatLimit(ib), domain.FormatLimit(skew))
	g := &schemaGen{components: map[string]any{}, names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}}
	problem := g.schema(reflect.TypeFor[Problem]())
	paths := map[string]map[string]any{}
	for _, rt := range rts {
		op := map[string]any{"operationId": rt.op, "summary": rt.summary, "tags": []string{rt.tag}}
		var params []any
		for _, name := range pathParams(rt.path) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, queryParam(q))
		}
		if rt.public {
			op["security"] = []any{}
		} else {
			op["security"] = []any{map[string]any{"bearerAuth": []string{}}}
		}
		params = append(params, header(HeaderCorrelationID, false, "correlation id; generated when absent; echoed in the response", nil))
		if rt.idempotent {
			params = append(params, header(HeaderIdempotencyKey, false, "a retry with the same key and body returns the first result and appends nothing twice; the same key with another body: 422 idempotency-key-reused", nil))
		}
		if rt.command {
			params = append(params,
				header(HeaderOnBehalfOf, false, "customer the actor acts for (default: the ticket's customer)", nil),
				header(HeaderIdempotencyKey, false, "a retry with the same key returns the first result and appends nothing twice", nil))
			if !rt.create {
				params = append(params, header(HeaderIfMatch, false, `expected stream revision, the ETag of an earlier response, e.g. "3"; stale: 409 with currentRevision`, nil))
			}
		}
		op["parameters"] = params
		switch {
		case rt.body != nil && rt.stream:
			op["requestBody"] = map[string]any{"required": true, "description": "JSON lines: one object of this schema per line (docs/import-format.md)",
				"content": map[string]any{NDJSONContentType: map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		case rt.body != nil:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		}
		okBody := map[string]any{"type": "object"}
		if rt.resp != nil {
			okBody = g.schema(reflect.TypeOf(rt.resp))
		}
		okContent := map[string]any{"application/json": map[string]any{"schema": okBody}}
		if rt.media != "" {
			okContent = map[string]any{rt.media: map[string]any{"schema": map[string]any{"description": rt.mediaDesc}}}
		}
		responses := map[string]any{
			strconv.Itoa(rt.status): map[string]any{"description": http.StatusText(rt.status), "content": okContent},
			"default": map[string]any{"description": "a problem document (RFC 9457): 400 malformed request, 401 not authenticated (WWW-Authenticate), 403 forbidden by a rule, 404 not found, 409 conflict, 413 body too large, 415 not JSON, " + window + ", 429 too many failed authentications (Retry-After), 500 (rule store-damaged: a damaged store file holds data the request needs), 503 (rule store-full: the disk is full, nothing recorded, reads go on; rule store-failed: a commit failed and the store is reopening itself; both with Retry-After), other 5xx",
				"content": map[string]any{ProblemContentType: map[string]any{"schema": problem}}},
		}
		if !rt.public {
			responses["401"] = map[string]any{"description": "not authenticated: no, a refused or a revoked token (WWW-Authenticate says how to authenticate)",
				"content": map[string]any{ProblemContentType: map[string]any{"schema": problem}}}
			responses["429"] = map[string]any{"description": "too many failed authentications from this address: retry after Retry-After seconds",
				"content": map[string]any{ProblemContentType: map[string]any{"schema": problem}}}
		}
		op["responses"] = responses
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "ticketledger",
			"version": "1",
			"description": "Event-sourced ledger of support requests filed by CSP partners on behalf of their customers. " +
				"Commands append events and answer with the stream revision (ETag) and, when they set one, the first-response deadline; " +
				"refusals are problem documents naming the rule. Every operation but /healthz, /readyz and /openapi.json needs an authenticated principal, " +
				"recorded as the actor of the events it causes. Read models are eventually consistent with commands.",
		},
		"servers":    []any{map[string]any{"url": "/", "description": "the ledger serving this document"}},
		"paths":      paths,
		"components": map[string]any{"schemas": g.components, "securitySchemes": securitySchemes},
	}
}

var pathParamRE = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

func pathParams(p string) []string {
	var out []string
	for _, m := range pathParamRE.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

func queryParam(q param) map[string]any {
	var s map[string]any
	switch q.Type {
	case "integer":
		s = map[string]any{"type": "integer", "minimum": 0}
	case "boolean":
		s = map[string]any{"type": "boolean"}
	case "date-time":
		s = map[string]any{"type": "string", "format": "date-time"}
	case "duration":
		s = map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, "examples": []string{"30m", "2h"}}
	default:
		s = map[string]any{"type": "string"}
	}
	if len(q.Values) > 0 {
		s["enum"] = q.Values
	}
	if q.List {
		s = map[string]any{"type": "array", "items": s}
	}
	p := map[string]any{"name": q.Name, "in": "query", "schema": s}
	if q.Desc != "" {
		p["description"] = q.Desc
	}
	if q.List {
		p["style"], p["explode"] = "form", true
	}
	return p
}

func header(name string, required bool, desc string, enum []string) map[string]any {
	s := map[string]any{"type": "string"}
	if enum != nil {
		s["enum"] = enum
	}
	return map[string]any{"name": name, "in": "header", "required": required, "description": desc, "schema": s}
}

// schemaGen turns Go types into JSON Schemas, named structs into
// components.
type schemaGen struct {
	components map[string]any
	names      map[reflect.Type]string
	taken      map[string]reflect.Type
}

var (
	timestampType = reflect.TypeFor[Timestamp]()
	uuidType      = reflect.TypeFor[uuid.UUID]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	durationType  = reflect.TypeFor[time.Duration]()
	eventType     = reflect.TypeFor[domain.Event]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType, timestampType:
		return map[string]any{"type": "string", "format": "date-time"}
	case uuidType:
		return map[string]any{"type": "string", "format": "uuid"}
	case rawType:
		return map[string]any{"description": "any JSON value"}
	case durationType:
		return map[string]any{"type": "integer", "description": "a duration in nanoseconds: the API must not emit one (TestNoNanosecondDurations); write seconds"}
	case eventType:
		return map[string]any{"type": "object", "description": "the event payload; its shape depends on the event type"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Interface:
		return map[string]any{"description": "any JSON value"}
	case reflect.Struct:
		name := g.name(t)
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // placeholder against recursion
			g.components[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// name picks a component name: the type's name, qualified by its package
// when another type already has it.
func (g *schemaGen) name(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	n, _, _ := strings.Cut(t.Name(), "[") // an instance of a generic type goes by the type's name
	if n == "" {
		n = "Anonymous"
	}
	if other, ok := g.taken[n]; ok && other != t {
		pkg := path.Base(t.PkgPath())
		n = strings.ToUpper(pkg[:1]) + pkg[1:] + n
	}
	g.names[t], g.taken[n] = n, t
	return n
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does. Fields without omitempty/omitzero are required.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

// securitySchemes declares how callers authenticate (components.securitySchemes).
var securitySchemes = map[string]any{
	"bearerAuth": map[string]any{
		"type": "http", "scheme": "bearer",
		"description": "A ledger token (tl_…, issued by an admin with POST /v1/tokens or `ticketledger tokens create`) " +
			"or, when the ledger is configured with an OIDC issuer, a JWT of that issuer (audience, role and partner claims configured on the server). " +
			"Missing or refused credentials: 401 with WWW-Authenticate; too many failures from one address: 429 with Retry-After. " +
			"Proxy mode (serve --trust-proxy CIDR,...): requests from a trusted authenticating proxy may instead carry the identity headers " +
			"X-Actor-Id, X-Actor-Role and X-Actor-Partner; from any other address those headers are refused with 401.",
	},
}
