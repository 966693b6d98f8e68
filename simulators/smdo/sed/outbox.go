package sed

import "sync"

// maxRecords bounds the outbox, so that a system running for months keeps a bounded memory.
const maxRecords = 10_000

// outbox keeps the packages this system sent and the notices taken for them, so that the receiving
// thread and a Send waiting for its receipt see the same notices, whichever took them. It keeps at
// most limit records; beyond, the oldest settled record goes first (no one waits for its notices),
// and only when none is settled the oldest of all.
type outbox struct {
	mu    sync.Mutex
	limit int
	order []*record // oldest first
	byMsg map[string]*record
	byPkg map[string]*record
}

// record is one package sent and its notices.
type record struct {
	msgID, packageID string
	receivers        []string // idAbonent of each receiver
	notices          []Notice
	settled          bool // no Send waits for its notices any more
}

func newOutbox(limit int) *outbox {
	return &outbox{limit: limit, byMsg: map[string]*record{}, byPkg: map[string]*record{}}
}

// add records a package about to be sent.
func (o *outbox) add(msgID string, receivers []string) *record {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.order) >= o.limit {
		o.evict()
	}
	r := &record{msgID: msgID, receivers: receivers}
	o.byMsg[msgID] = r
	o.order = append(o.order, r)
	return r
}

// evict drops one record: the oldest settled, else the oldest (o.mu held).
func (o *outbox) evict() {
	i := 0
	for j, r := range o.order {
		if r.settled {
			i = j
			break
		}
	}
	r := o.order[i]
	o.order = append(o.order[:i], o.order[i+1:]...)
	if o.byMsg[r.msgID] == r {
		delete(o.byMsg, r.msgID)
	}
	if r.packageID != "" && o.byPkg[r.packageID] == r {
		delete(o.byPkg, r.packageID)
	}
}

// settle marks r as awaited no more: its notices may still be filed, but it is the first to go.
func (o *outbox) settle(r *record) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r.settled = true
}

// bind gives the package of msgID the id the router gave it.
func (o *outbox) bind(msgID, packageID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r := o.byMsg[msgID]; r != nil {
		r.packageID = packageID
		o.byPkg[packageID] = r
	}
}

// note files n under the package it concerns: by the acknowledged msg_id, else by parentId. It
// says whether the package is one of ours; a notice taken twice (offered again) is filed once.
func (o *outbox) note(n Notice) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.byMsg[n.MsgID]
	if r == nil {
		r = o.byPkg[n.About]
	}
	if r == nil {
		return false
	}
	for _, m := range r.notices {
		if m.PackageID == n.PackageID {
			return true
		}
	}
	r.notices = append(r.notices, n)
	return true
}

// notices are the notices taken for r so far.
func (o *outbox) notices(r *record) []Notice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Notice(nil), r.notices...)
}

// size is the number of records kept.
func (o *outbox) size() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.order)
}
