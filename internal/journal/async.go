package journal

// Events of the asynchronous channel after acceptance. A message's whole life shares the session of
// the sendMessage that brought it, so Exchange(sessionID) shows receipt, acceptance, the
// identifier returned to the sender and every delivery event that followed.
const (
	Stored         Kind = "STORED"          // the message is in the durable store; acceptance follows
	PushAttempted  Kind = "PUSH_ATTEMPT"    // the gateway called the recipient's sendMessage
	Delivered      Kind = "DELIVERED"       // the recipient took the message (push answer or MESSAGE_ACCEPTED)
	DeliveryFailed Kind = "DELIVERY_FAILED" // a push failed (Code, Rule say why); a retry may follow
	Pulled         Kind = "PULLED"          // GetMessages handed the message to its recipient
	Notified       Kind = "NOTIFIED"        // a delivery notification (A1-T4) changed the message
	StateChanged   Kind = "STATE_CHANGED"   // the message's state changed (Detail: old -> new)
	StatusSent     Kind = "STATUS_SENT"     // changeMassageStatusNotification reached the sender (A1-T16)
)
