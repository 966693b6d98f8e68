package post

// Limits bound the memory the service holds, whatever its clients send. They are the simulator's
// own: the walkthrough names none.
type Limits struct {
	// MaxMessages is how many messages the service keeps. Beyond it the oldest settled ones (read,
	// every push finished) are dropped with their registry entries; while MaxMessages are unsettled
	// a send is refused with 503 service.busy, since nothing accepted may be lost.
	MaxMessages int
	// MaxBodyBytes is the size of a request body; a larger one is answered 413.
	MaxBodyBytes int64
	// MaxAudit is how many entries Audit keeps, the newest.
	MaxAudit int
	// MaxRequestIDs is how many request ids the service remembers per system for their uniqueness
	// (GP-W-AUDIT), the newest.
	MaxRequestIDs int
	// MaxNonces is how many nonces of accepted personal-data fields the service remembers for
	// their uniqueness under a recipient's key (GP-W-ENC), the newest.
	MaxNonces int
}

// DefaultLimits are the service's limits unless WithLimits says otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxMessages:   10000,
		MaxBodyBytes:  16 << 20,
		MaxAudit:      10000,
		MaxRequestIDs: 100000,
		MaxNonces:     200000,
	}
}

// withDefaults fills the zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxMessages <= 0 {
		l.MaxMessages = d.MaxMessages
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxAudit <= 0 {
		l.MaxAudit = d.MaxAudit
	}
	if l.MaxRequestIDs <= 0 {
		l.MaxRequestIDs = d.MaxRequestIDs
	}
	if l.MaxNonces <= 0 {
		l.MaxNonces = d.MaxNonces
	}
	return l
}

// seenSet remembers the newest cap strings. The oldest is dropped by moving a ring index, not by
// reslicing, so a long run does not keep growing the backing array.
type seenSet struct {
	cap   int
	set   map[string]struct{}
	order []string
	next  int
}

func (s *seenSet) has(v string) bool {
	_, ok := s.set[v]
	return ok
}

func (s *seenSet) add(v string) {
	if s.set == nil {
		s.set = map[string]struct{}{}
	}
	if s.has(v) {
		return
	}
	if s.cap > 0 && len(s.order) >= s.cap {
		delete(s.set, s.order[s.next])
		s.order[s.next] = v
		s.next = (s.next + 1) % len(s.order)
	} else {
		s.order = append(s.order, v)
	}
	s.set[v] = struct{}{}
}
