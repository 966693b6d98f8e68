package portal

import "github.com/shepconf/shepconf/internal/msg"

// The actors and actions are the features' own words: the journal, the history and the feature
// files keep them in English, and an explanation renders them in its reader's language (msg renders
// a parameter that has a Text method). The states are quoted by the feature files ("the application
// stands at ..."), so they stay values.

var actorTexts = map[Actor]msg.Text{
	Initiator:  msg.F("initiator"),
	Owner:      msg.F("owner"),
	Operator:   msg.F("operator"),
	Integrator: msg.F("service integrator"),
	Authority:  msg.F("authorized body"),
}

// Text is the actor as a message; an actor the procedures do not know stays as given.
func (a Actor) Text() msg.Text {
	if t, ok := actorTexts[a]; ok {
		return t
	}
	return msg.Raw(string(a))
}

var actionTexts = map[Action]msg.Text{
	AskRecommendation:  msg.F("asks for a recommendation"),
	Recommend:          msg.F("recommends an owner"),
	SendCreation:       msg.F("sends the application for service creation"),
	AgreeCreation:      msg.F("agrees the application for service creation"),
	ReturnCreation:     msg.F("returns the application for service creation"),
	RefuseCreation:     msg.F("refuses to create the service"),
	ResendCreation:     msg.F("resends the application for service creation"),
	SendPublication:    msg.F("sends the application for publication"),
	ApprovePublication: msg.F("approves the application for publication"),
	ReturnPublication:  msg.F("returns the application for publication"),
	ResendPublication:  msg.F("resends the application for publication"),
	GrantTestAccess:    msg.F("grants access to the test environment"),
	ConfirmExchange:    msg.F("confirms an exchange from the gateway journal"),
	ReportNegative:     msg.F("reports a negative test result"),
	FormAct:            msg.F("forms and signs the test act"),
	SignAct:            msg.F("signs and agrees the test act"),
	ApproveAct:         msg.F("approves the test act"),
	ReturnAct:          msg.F("returns the test act"),
	ResendAct:          msg.F("resends the revised test act"),
	Publish:            msg.F("publishes the service"),
	SendConnection:     msg.F("sends the application for connection"),
	AgreeConnection:    msg.F("agrees the application for connection"),
	RefuseConnection:   msg.F("refuses the application for connection"),
	ApproveConnection:  msg.F("approves the application for connection"),
	ReturnConnection:   msg.F("returns the application for connection"),
	ResendConnection:   msg.F("resends the application for connection"),
}

// Text is the action as a message; an action the procedures do not know (a feature's typo) stays
// as given.
func (a Action) Text() msg.Text {
	if t, ok := actionTexts[a]; ok {
		return t
	}
	return msg.Raw(string(a))
}
