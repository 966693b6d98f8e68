package router

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// The scripted subscribers: the router plays their СЭД (SMDO-ACK), on timers of real time. The
// script in force when a package is routed to the subscriber is the one played for it.

// play schedules a scripted receiver's answers to package id (r.mu held): it confirms after
// ConfirmAfter, then, for a document asking for acknowledgement (msg_acknow 2), sends a
// registration notice after RegisterAfter.
func (r *Router) play(s Script, packageID, receiver string) {
	r.after(s.ConfirmAfter, func() {
		p := r.packages[packageID]
		if p == nil {
			return
		}
		d := p.deliveryTo(receiver)
		if d == nil {
			return
		}
		r.confirmDelivery(d)
		if p.router || p.facts.msgType != 1 || p.facts.msgAcknow != 2 {
			return
		}
		r.after(s.RegisterAfter, func() { r.register(s, packageID, receiver) })
	})
}

// after runs f with r.mu held once d has passed, unless the router is closed first (r.mu held).
func (r *Router) after(d time.Duration, f func()) {
	if r.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, pending := r.timers[t]; !pending {
			return // stopped by Close
		}
		delete(r.timers, t)
		f()
	})
	r.timers[t] = struct{}{}
}

// register sends a scripted receiver's registration notice (ack_type 2) for package id to its
// sender, as that receiver's СЭД would (r.mu held).
func (r *Router) register(s Script, packageID, receiverID string) {
	p := r.packages[packageID]
	if p == nil {
		return
	}
	receiver, sender := r.subscribers[receiverID], r.subscribers[p.from]
	if receiver == nil || sender == nil {
		return
	}
	result := map[string]any{"value": registrationText(s), "errorcode": s.ErrorCode}
	ack := map[string]any{"msg_id": p.facts.msgID, "ack_type": 2, "ackResult": []any{result}}
	if s.ErrorCode == Registered && s.RegNumber != "" {
		ack["incNumber"] = map[string]any{"value": s.RegNumber, "regdate": r.now().UTC().Format("2006-01-02")}
	}
	pkgJSON := map[string]any{
		"dateSent": timestamp(r.now()),
		"parentId": p.id,
		"to":       []any{map[string]any{"idAbonent": sender.ID, "typeAbonent": "SMDO", "name": sender.Name}},
		"body": map[string]any{"envelop": map[string]any{
			"type": "SDIP-2.1.1", "msg_id": uuid.NewString(), "dtstamp": timestamp(r.now()),
			"subject": "Уведомление о регистрации документа",
			"header": map[string]any{"sender": map[string]any{"id": receiver.Code, "name": receiver.Name},
				"receiver": []any{map[string]any{"id": sender.Code, "name": sender.Name}}, "msg_type": 0, "msg_acknow": 0},
			"body": map[string]any{"acknowledgement": ack},
		}},
	}
	raw, _ := json.Marshal(pkgJSON)
	if _, err := r.takeLocked(receiver, raw, nil, nil); err != nil {
		r.logger.Error("smdo router: a scripted registration notice was refused", "from", receiverID, "package", packageID, "error", err)
	}
}

// registrationText is the ackResult value of a registration notice.
func registrationText(s Script) string {
	switch {
	case s.ErrorCode == Registered && s.RegNumber != "":
		return "Документ зарегистрирован в системе документооборота: " + s.RegNumber
	case s.ErrorCode == Registered:
		return "Документ зарегистрирован в системе документооборота"
	case s.Reason != "":
		return s.Reason
	case s.ErrorCode == NotForRegistration:
		return "Документ не подлежит регистрации в системе документооборота"
	}
	return "Отказ в регистрации документа"
}
