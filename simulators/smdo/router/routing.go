package router

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/rule"
)

// Routing (reconstructed from the walkthrough: "проверка пакета на соответствие формату,
// действительности ЭЦП", then delivery, then the notices): a package that passed the checks is
// "routed", a copy in each receiver's incoming list with its own confirmId; when a receiver
// confirms it, the sender gets the router's delivery receipt (SMDO-RECEIPT), and once every
// receiver confirmed it the package is "delivered".

// routerName is how the router's own packets name their sender.
const routerName = "Маршрутизатор АИС МВ"

// route puts a checked package into each receiver's incoming list (r.mu held).
func (r *Router) route(p *pkg) {
	now := r.now()
	for _, id := range p.to {
		d := &delivery{pkg: p, to: id, confirmID: uuid.NewString(), downloaded: map[string]time.Time{}}
		p.deliveries = append(p.deliveries, d)
		r.confirms[d.confirmID] = d
	}
	p.routedAt = now
	r.routed++
	p.routedSeq = r.routed
	p.enter(StateRouted, now)
	for _, d := range p.deliveries {
		if sub := r.subscribers[d.to]; sub != nil && sub.Script != nil {
			r.play(*sub.Script, p.id, d.to)
		}
	}
}

// confirmDelivery records receiver d.to's confirmation of d's package (SMDO-CONFIRM): the
// package counts as received by it, and once every receiver confirmed it the package is
// delivered. The sender gets the router's delivery receipt for each confirmation (SMDO-RECEIPT),
// unless the package is itself a router's packet or an acknowledgement. Confirming again changes
// nothing (r.mu held).
func (r *Router) confirmDelivery(d *delivery) {
	if !d.confirmed.IsZero() {
		return
	}
	now := r.now()
	d.confirmed = now
	p := d.pkg
	all := true
	for _, o := range p.deliveries {
		all = all && !o.confirmed.IsZero()
	}
	if all {
		p.enter(StateDelivered, now)
	}
	// The router's own packets and acknowledgements are not themselves acknowledged: a receipt for
	// a notice would call for a receipt in turn (reconstructed).
	if p.router || p.facts.msgType == 0 {
		return
	}
	r.receipt(p, d.to)
}

// receipt is the router's delivery receipt for a package confirmed by receiver to: a ROUTER
// packet acknowledging the package's msg_id with ack_type 1, errorcode 0 (SMDO-RECEIPT).
func (r *Router) receipt(p *pkg, to string) {
	value := "Документ доставлен абоненту " + to
	if sub := r.subscribers[to]; sub != nil {
		value = "Документ доставлен абоненту " + sub.Name + " (" + sub.Code + ")"
	}
	ack := map[string]any{"msg_id": p.facts.msgID, "ack_type": 1,
		"ackResult": []map[string]any{{"value": value, "errorcode": 0}}}
	r.routerPacket(p, map[string]any{"envelop": r.routerEnvelope(p, "Уведомление о доставке", ack)})
}

// notice is the router's notice of a fault of a sent package (SMDO-NOTICE): a ROUTER packet with
// parentId the package and body.message the breach.
func (r *Router) notice(p *pkg, b *rule.Breach) {
	// The refused package stays unsettled until its sender confirmed this notice (pkg.settled).
	p.notice = r.routerPacket(p, map[string]any{"message": b.Error(), "rule": b.Rule, "field": b.Field})
}

// routerEnvelope is the envelope of a router's acknowledgement to p's sender.
func (r *Router) routerEnvelope(p *pkg, subject string, ack map[string]any) map[string]any {
	receiver := map[string]any{"id": p.from}
	if sub := r.subscribers[p.from]; sub != nil {
		receiver = map[string]any{"id": sub.Code, "name": sub.Name}
	}
	return map[string]any{"type": "SDIP-2.1.1", "msg_id": uuid.NewString(), "dtstamp": timestamp(r.now()), "subject": subject,
		"header": map[string]any{"sender": map[string]any{"id": RouterID, "name": routerName},
			"receiver": []any{receiver}, "msg_type": 0, "msg_acknow": 0},
		"body": map[string]any{"acknowledgement": ack}}
}

// routerPacket keeps a ROUTER packet to p's sender, routed at once (r.mu held). It is kept even
// beyond the caps: it answers a package the router took, and nothing accepted may be lost (see
// Limits.MaxPackages); only settled packages make room for it.
func (r *Router) routerPacket(p *pkg, body map[string]any) *pkg {
	raw, _ := json.Marshal(body)
	to, _ := json.Marshal([]partyJSON{r.party(p.from)})
	n := &pkg{id: uuid.NewString(), confirmID: uuid.NewString(), headerID: uuid.NewString(), parentID: p.id,
		from: RouterID, to: []string{p.from}, toRaw: to, body: raw, router: true}
	n.facts = factsOf(raw)
	n.dateSent, _ = json.Marshal(timestamp(r.now()))
	n.enter(StateSent, r.now())
	r.makeRoom(n.heldBytes(), p.id)
	r.keep(n)
	r.route(n)
	return n
}

// party is how the incoming list names a subscriber (or the router).
func (r *Router) party(id string) partyJSON {
	if id == RouterID {
		return partyJSON{IDAbonent: RouterID, TypeAbonent: "SMDO", Name: routerName}
	}
	out := partyJSON{IDAbonent: id, TypeAbonent: "SMDO"}
	if sub := r.subscribers[id]; sub != nil {
		out.Name = sub.Name
	}
	return out
}

// incomingOf is a package as receiver d.to's incoming list shows it (r.mu held).
func (r *Router) incomingOf(d *delivery) incomingJSON {
	p := d.pkg
	dateSent := p.dateSent
	if t, _ := scalarText(dateSent); t == "" {
		dateSent, _ = json.Marshal(timestamp(p.routedAt))
	}
	return incomingJSON{ID: p.id, ConfirmID: d.confirmID, HeaderID: p.headerID, ParentID: p.parentID,
		From: r.party(p.from), To: r.party(d.to), DateSent: dateSent, DateIn: timestamp(p.routedAt),
		Ack: p.facts.msgType == 0, Attachments: attachmentsJSON(p), Body: p.body}
}
