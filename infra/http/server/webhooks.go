package server

import (
	"net/http"
	"time"

	"github.com/ticketledger/ticketledger/domain"
	dw "github.com/ticketledger/ticketledger/domain/webhook"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// CreateWebhookBody is the request of POST /v1/webhooks.
type CreateWebhookBody struct {
	// URL is the receiver: https, reaching a public address.
	URL string `json:"url"`
	// Types are what to deliver: ticket event types (ticket.opened,
	// ticket.severity_changed, ticket.escalated,
	// ticket.first_response_recorded, ticket.billing_dispute_opened,
	// ticket.billing_dispute_resolved, ticket.fraud_flagged,
	// ticket.fraud_cleared, ticket.resolved, ticket.closed) and SLA
	// notices (sla.at_risk, sla.breached).
	Types []string `json:"types"`
	// Partner is whose tickets it receives: a partner's own (the default
	// for a partner); an admin may name any partner, or none for a
	// ledger-wide subscription.
	Partner     string `json:"partner,omitempty"`
	Description string `json:"description,omitempty"`
}

// RotateWebhookSecretBody is the request of POST /v1/webhooks/{id}/secret-rotation.
type RotateWebhookSecretBody struct {
	// OverlapSeconds is how long the previous secret stays valid (both
	// signatures are sent meanwhile); 0: a day.
	OverlapSeconds int64 `json:"overlapSeconds,omitempty"`
}

// WebhookReasonBody is the request of the pause and deletion routes.
type WebhookReasonBody struct {
	Reason string `json:"reason,omitempty"`
}

// WebhookList is the answer of GET /v1/webhooks.
type WebhookList struct {
	Subscriptions []webhook.View `json:"subscriptions"`
}

// DeliveryList is the answer of the delivery-log and dead-letter routes.
type DeliveryList struct {
	Deliveries []webhook.DeliveryView `json:"deliveries"`
}

// webhookCall decodes body (if any) and returns the caller.
func (a *API) webhookCall(r *http.Request, body any) (domain.Actor, error) {
	if a.webhooks == nil {
		return domain.Actor{}, &httpError{status: http.StatusNotFound, rule: RuleNoRoute,
			msg: "this ledger runs no webhooks (serve without a webhook key directory): give serve --webhook-key FILE"}
	}
	if body == nil {
		return actorOf(r)
	}
	return callerAndBody(r, body)
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b CreateWebhookBody
	act, err := a.webhookCall(r, &b)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	res, err := a.webhooks.Create(r.Context(), act, dw.Creation{Partner: b.Partner, URL: b.URL, Types: b.Types, Description: b.Description}, key)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, res)
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, _ *query) error {
	act, err := a.webhookCall(r, nil)
	if err != nil {
		return err
	}
	v, err := a.webhooks.Get(r.Context(), act, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, _ *query) error {
	var b RotateWebhookSecretBody
	act, err := a.webhookCall(r, &b)
	if err != nil {
		return err
	}
	res, err := a.webhooks.RotateSecret(r.Context(), act, r.PathValue("id"), time.Duration(b.OverlapSeconds)*time.Second)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, res)
}

// webhookChange serves the pause, resume and deletion routes.
func webhookChange(change func(s *webhook.Service, r *http.Request, act domain.Actor, id, reason string) (webhook.View, error)) func(*API, http.ResponseWriter, *http.Request, *query) error {
	return func(a *API, w http.ResponseWriter, r *http.Request, _ *query) error {
		var b WebhookReasonBody
		act, err := a.webhookCall(r, &b)
		if err != nil {
			return err
		}
		v, err := change(a.webhooks, r, act, r.PathValue("id"), b.Reason)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	}
}

var (
	listWebhooks = webhookQuery(func(q *query) bool { return q.bool("deleted") },
		func(s *webhook.Service, r *http.Request, act domain.Actor, deleted bool) (WebhookList, error) {
			subs, err := s.List(r.Context(), act, deleted)
			return WebhookList{Subscriptions: subs}, err
		})
	pauseWebhook = webhookChange(func(s *webhook.Service, r *http.Request, act domain.Actor, id, reason string) (webhook.View, error) {
		return s.Pause(r.Context(), act, id, reason)
	})
	resumeWebhook = webhookChange(func(s *webhook.Service, r *http.Request, act domain.Actor, id, _ string) (webhook.View, error) {
		return s.Resume(r.Context(), act, id)
	})
	deleteWebhook = webhookChange(func(s *webhook.Service, r *http.Request, act domain.Actor, id, reason string) (webhook.View, error) {
		return s.Delete(r.Context(), act, id, reason)
	})
	listWebhookDeliveries = deliveryList(func(s *webhook.Service, r *http.Request, act domain.Actor, id string, limit int) ([]webhook.DeliveryView, error) {
		return s.Deliveries(r.Context(), act, id, limit)
	})
	listWebhookDeadLetters = deliveryList(func(s *webhook.Service, r *http.Request, act domain.Actor, id string, _ int) ([]webhook.DeliveryView, error) {
		return s.DeadLetters(r.Context(), act, id)
	})
	replayWebhookDelivery = webhookResolve(func(s *webhook.Service, r *http.Request, act domain.Actor, id, delivery string) (webhook.DeliveryView, error) {
		return s.Replay(r.Context(), act, id, delivery)
	})
	skipWebhookDelivery = webhookResolve(func(s *webhook.Service, r *http.Request, act domain.Actor, id, delivery string) (webhook.DeliveryView, error) {
		return s.Skip(r.Context(), act, id, delivery)
	})
)

// webhookQuery serves a webhook route that reads a list: param reads the
// route's query parameter; once it is valid and the caller is known, read
// gives the answer (200).
func webhookQuery[P, V any](param func(q *query) P, read func(s *webhook.Service, r *http.Request, act domain.Actor, p P) (V, error)) func(*API, http.ResponseWriter, *http.Request, *query) error {
	return func(a *API, w http.ResponseWriter, r *http.Request, q *query) error {
		p := param(q)
		if q.err != nil {
			return q.err
		}
		act, err := a.webhookCall(r, nil)
		if err != nil {
			return err
		}
		v, err := read(a.webhooks, r, act, p)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	}
}

// deliveryList serves the delivery log and the dead-letter list.
func deliveryList(f func(s *webhook.Service, r *http.Request, act domain.Actor, id string, limit int) ([]webhook.DeliveryView, error)) func(*API, http.ResponseWriter, *http.Request, *query) error {
	return webhookQuery(func(q *query) int { return q.int("limit") },
		func(s *webhook.Service, r *http.Request, act domain.Actor, limit int) (DeliveryList, error) {
			ds, err := f(s, r, act, r.PathValue("id"), limit)
			return DeliveryList{Deliveries: ds}, err
		})
}

// webhookResolve serves the replay and skip routes.
func webhookResolve(f func(s *webhook.Service, r *http.Request, act domain.Actor, id, delivery string) (webhook.DeliveryView, error)) func(*API, http.ResponseWriter, *http.Request, *query) error {
	return func(a *API, w http.ResponseWriter, r *http.Request, _ *query) error {
		act, err := a.webhookCall(r, &struct{}{})
		if err != nil {
			return err
		}
		v, err := f(a.webhooks, r, act, r.PathValue("id"), r.PathValue("deliveryId"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusAccepted, v)
	}
}
