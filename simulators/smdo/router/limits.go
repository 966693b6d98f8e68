package router

// Limits bound the memory the router holds, whatever its clients send. They are the simulator's
// own: the real router's limits are not public.
type Limits struct {
	// MaxPackages is how many packages (the router's own notices included) the router keeps.
	// Beyond it the oldest settled ones are dropped: delivered (confirmed by every receiver, the
	// router's own packets included) and refused ones whose notice was confirmed. Nothing else is
	// ever dropped, since nothing accepted may be lost (SMDO-CONFIRM, SMDO-RECEIPT, SMDO-NOTICE):
	// while MaxPackages are unsettled, create, send and Deliver are refused with 503. The router's
	// own packets (notices, receipts) and the scripted subscribers' notices answer packages already
	// taken and are kept beyond it.
	MaxPackages int
	// MaxUnsent is how many unsent packages (draft, attached, signed) one subscriber may hold, so
	// that one subscriber's drafts cannot fill MaxPackages for all; a create beyond it is refused
	// with 429.
	MaxUnsent int
	// MaxFileBytes is the size of one attached file; a larger one is answered 413.
	MaxFileBytes int64
	// MaxBodyBytes is the size of a JSON request body; a larger one is answered 413.
	MaxBodyBytes int64
	// MaxStoredBytes is the bytes held over all packages: their files and their JSON (body, to,
	// dateSent). Beyond it the oldest settled packages are dropped, and a package or an attachment
	// that still does not fit is answered 413. An upload in progress holds its room from the start
	// (at most MaxFileBytes, or its Content-Length), so concurrent uploads cannot overshoot it.
	MaxStoredBytes int64
	// MaxAttachments is the files of one package.
	MaxAttachments int
	// MaxSigns is the signatures of one file.
	MaxSigns int
	// MaxRequests is how many calls Requests keeps, the newest.
	MaxRequests int
	// MaxMsgIDs is how many msg_ids the router remembers for their uniqueness (SMDO-FORMAT).
	MaxMsgIDs int
	// MaxOffers is how many offer times a delivery keeps (the newest; Delivery.Offers counts all).
	MaxOffers int
}

// DefaultLimits are the router's limits unless WithLimits says otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxPackages:    10000,
		MaxUnsent:      1000,
		MaxFileBytes:   20 << 20,
		MaxBodyBytes:   1 << 20,
		MaxStoredBytes: 256 << 20,
		MaxAttachments: 100,
		MaxSigns:       16,
		MaxRequests:    10000,
		MaxMsgIDs:      100000,
		MaxOffers:      1000,
	}
}

// withDefaults fills the zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPackages <= 0 {
		l.MaxPackages = d.MaxPackages
	}
	if l.MaxUnsent <= 0 {
		l.MaxUnsent = d.MaxUnsent
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxStoredBytes <= 0 {
		l.MaxStoredBytes = d.MaxStoredBytes
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = d.MaxAttachments
	}
	if l.MaxSigns <= 0 {
		l.MaxSigns = d.MaxSigns
	}
	if l.MaxRequests <= 0 {
		l.MaxRequests = d.MaxRequests
	}
	if l.MaxMsgIDs <= 0 {
		l.MaxMsgIDs = d.MaxMsgIDs
	}
	if l.MaxOffers <= 0 {
		l.MaxOffers = d.MaxOffers
	}
	return l
}

// seenSet remembers the newest cap strings.
type seenSet struct {
	cap   int
	set   map[string]bool
	order []string
}

func (s *seenSet) has(v string) bool { return s.set[v] }

func (s *seenSet) add(v string) {
	if s.set == nil {
		s.set = map[string]bool{}
	}
	if s.set[v] {
		return
	}
	if s.cap > 0 && len(s.order) >= s.cap {
		delete(s.set, s.order[0])
		s.order = s.order[1:]
	}
	s.set[v] = true
	s.order = append(s.order, v)
}
