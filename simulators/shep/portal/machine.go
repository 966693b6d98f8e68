// Package portal simulates the e-government web portal's integration procedures (chapter 2 of the
// Rules) as explicit state machines on a virtual clock: publication of a service on the initiator's
// initiative (§1, clauses 10-27), on the owner's initiative (§2, clauses 28-31, handing over to
// clauses 14-27 under clause 31) and connection to a service (§3, clauses 32-45). Each transition
// names its clause and actor; each waiting state has its deadline in working days (or months, R-38);
// every event is kept as evidence.
package portal

import "github.com/shepconf/shepconf/internal/msg"

// Actor is a party of the procedures (requirements §0).
type Actor string

const (
	Initiator  Actor = "initiator"
	Owner      Actor = "owner"
	Operator   Actor = "operator"
	Integrator Actor = "service integrator"
	Authority  Actor = "authorized body"
)

// State is where an application stands.
type State string

// Action is what an actor does; the names read as the sentences of the feature files.
type Action string

// The actions of the three procedures.
const (
	AskRecommendation  Action = "asks for a recommendation"
	Recommend          Action = "recommends an owner"
	SendCreation       Action = "sends the application for service creation"
	AgreeCreation      Action = "agrees the application for service creation"
	ReturnCreation     Action = "returns the application for service creation"
	RefuseCreation     Action = "refuses to create the service"
	ResendCreation     Action = "resends the application for service creation"
	SendPublication    Action = "sends the application for publication"
	ApprovePublication Action = "approves the application for publication"
	ReturnPublication  Action = "returns the application for publication"
	ResendPublication  Action = "resends the application for publication"
	GrantTestAccess    Action = "grants access to the test environment"
	ConfirmExchange    Action = "confirms an exchange from the gateway journal"
	ReportNegative     Action = "reports a negative test result"
	FormAct            Action = "forms and signs the test act"
	SignAct            Action = "signs and agrees the test act"
	ApproveAct         Action = "approves the test act"
	ReturnAct          Action = "returns the test act"
	ResendAct          Action = "resends the revised test act"
	Publish            Action = "publishes the service"
	SendConnection     Action = "sends the application for connection"
	AgreeConnection    Action = "agrees the application for connection"
	RefuseConnection   Action = "refuses the application for connection"
	ApproveConnection  Action = "approves the application for connection"
	ReturnConnection   Action = "returns the application for connection"
	ResendConnection   Action = "resends the application for connection"
)

// Transition is one move of a procedure: in state From, actor By may do Action under Clause, and the
// application moves to To.
type Transition struct {
	From   State
	Action Action
	By     Actor
	Clause string
	To     State
}

// Wait is what a waiting state expects: who must act, under which clause, within how many working
// days (or calendar months). Zero limits mean the Rules set none.
type Wait struct {
	Actor       Actor
	Clause      string
	WorkingDays int
	Months      int
}

// Machine is one procedure (one paragraph of chapter 2).
type Machine struct {
	Name        string
	Paragraph   msg.Text
	Start       State
	Waits       map[State]Wait
	Terminal    map[State]string // final state -> clause that ends there
	Transitions []Transition
}

func (m *Machine) find(from State, a Action) (Transition, bool) {
	for _, t := range m.Transitions {
		if t.From == from && t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// allowed lists the actions open in a state, for error messages.
func (m *Machine) allowed(from State) []Transition {
	var out []Transition
	for _, t := range m.Transitions {
		if t.From == from {
			out = append(out, t)
		}
	}
	return out
}

// States of §1 (clauses 10-27); §2 hands over into them under R-31.
const (
	AwaitingRecommendation   State = "the service integrator reviews the request"
	Recommended              State = "the initiator has the recommendation"
	OwnerReviewsCreation     State = "the owner reviews the creation application"
	InitiatorRevisesCreation State = "the initiator revises the creation application"
	CreationRefused          State = "the owner refused to create the service"
	OwnerPreparesPublication State = "the owner prepares the publication application"
	OperatorChecksPub        State = "the operator checks the publication application"
	OwnerRevisesPub          State = "the owner revises the publication application"
	OperatorGrantsTest       State = "the operator grants access to the test environment"
	Testing                  State = "integration testing"
	InitiatorSignsAct        State = "the initiator signs the test act"
	OperatorReviewsAct       State = "the operator reviews the test act"
	OwnerRevisesAct          State = "the owner revises the test act"
	Published                State = "the service is published"
)

// States of §2 (clauses 28-30).
const (
	OperatorChecksOwnerPub State = "the operator checks the owner's publication application"
	OwnerRevisesOwnerPub   State = "the owner revises the publication application (no deadline)"
	OperatorPublishes      State = "the operator publishes the service"
)

// States of §3 (clauses 32-45).
const (
	OwnerReviewsConnection     State = "the owner reviews the connection application"
	ConnectionRefused          State = "the owner refused the connection"
	OperatorChecksConnection   State = "the operator checks the connection application"
	InitiatorRevisesConnection State = "the initiator revises the connection application"
	OwnerSignsAct              State = "the owner signs the test act"
	InitiatorRevisesAct        State = "the initiator revises the test act"
	Connected                  State = "the initiator is connected to the service"
)

// PublicationByInitiator is §1, clauses 10-27.
var PublicationByInitiator = &Machine{
	Name: "publication of a service on the initiator's initiative", Paragraph: msg.F("§1 (clauses 10-27)"),
	Start: AwaitingRecommendation,
	Waits: map[State]Wait{
		AwaitingRecommendation:   {Integrator, "R-11", 2, 0},
		Recommended:              {Initiator, "R-12", 0, 0},
		OwnerReviewsCreation:     {Owner, "R-13", 2, 0},
		InitiatorRevisesCreation: {Initiator, "R-15", 2, 0},
		OwnerPreparesPublication: {Owner, "R-14", 0, 0},
		OperatorChecksPub:        {Operator, "R-17", 3, 0},
		OwnerRevisesPub:          {Owner, "R-18", 2, 0},
		OperatorGrantsTest:       {Operator, "R-19", 10, 0},
		Testing:                  {Owner, "R-21", 0, 0}, // an agreed time, no limit (contrast R-38)
		InitiatorSignsAct:        {Initiator, "R-25", 3, 0},
		OperatorReviewsAct:       {Operator, "R-26", 3, 0},
		OwnerRevisesAct:          {Owner, "R-27", 3, 0},
	},
	Terminal: map[State]string{CreationRefused: "R-16", Published: "R-27"},
	Transitions: []Transition{
		{AwaitingRecommendation, Recommend, Integrator, "R-11", Recommended},
		{Recommended, SendCreation, Initiator, "R-12", OwnerReviewsCreation},
		{OwnerReviewsCreation, AgreeCreation, Owner, "R-13", OwnerPreparesPublication},
		{OwnerReviewsCreation, ReturnCreation, Owner, "R-13", InitiatorRevisesCreation},
		{OwnerReviewsCreation, RefuseCreation, Owner, "R-16", CreationRefused},
		{InitiatorRevisesCreation, ResendCreation, Initiator, "R-15", OwnerReviewsCreation},
		{OwnerPreparesPublication, SendPublication, Owner, "R-14", OperatorChecksPub},
		{OperatorChecksPub, ApprovePublication, Operator, "R-17", OperatorGrantsTest},
		{OperatorChecksPub, ReturnPublication, Operator, "R-17", OwnerRevisesPub},
		{OwnerRevisesPub, ResendPublication, Owner, "R-18", OperatorChecksPub},
		{OperatorGrantsTest, GrantTestAccess, Operator, "R-19", Testing},
		{Testing, ConfirmExchange, Operator, "R-22", Testing},
		{Testing, ReportNegative, Owner, "R-24", Testing},
		{Testing, FormAct, Owner, "R-24", InitiatorSignsAct},
		{InitiatorSignsAct, SignAct, Initiator, "R-25", OperatorReviewsAct},
		{OperatorReviewsAct, ApproveAct, Operator, "R-27", Published},
		{OperatorReviewsAct, ReturnAct, Operator, "R-27", OwnerRevisesAct},
		{OwnerRevisesAct, ResendAct, Owner, "R-27", InitiatorSignsAct},
	},
}

// PublicationByOwner is §2, clauses 28-31. When the application names a client (A3 field 34), it
// goes on under clauses 14-27: the portal moves it into PublicationByInitiator at the
// operator's check of R-17.
var PublicationByOwner = &Machine{
	Name: "publication of a service on the owner's initiative", Paragraph: msg.F("§2 (clauses 28-31)"),
	Start: OperatorChecksOwnerPub,
	Waits: map[State]Wait{
		OperatorChecksOwnerPub: {Operator, "R-29", 3, 0},
		OwnerRevisesOwnerPub:   {Owner, "R-29", 0, 0}, // the Rules set no deadline for this revision
		OperatorPublishes:      {Operator, "R-30", 10, 0},
	},
	Terminal: map[State]string{Published: "R-30"},
	Transitions: []Transition{
		{OperatorChecksOwnerPub, ApprovePublication, Operator, "R-29", OperatorPublishes},
		{OperatorChecksOwnerPub, ReturnPublication, Operator, "R-29", OwnerRevisesOwnerPub},
		{OwnerRevisesOwnerPub, ResendPublication, Owner, "R-29", OperatorChecksOwnerPub},
		{OperatorPublishes, Publish, Operator, "R-30", Published},
	},
}

// Connection is §3, clauses 32-45.
var Connection = &Machine{
	Name: "connection to an integration service", Paragraph: msg.F("§3 (clauses 32-45)"),
	Start: OwnerReviewsConnection,
	Waits: map[State]Wait{
		OwnerReviewsConnection:     {Owner, "R-34", 2, 0},
		OperatorChecksConnection:   {Operator, "R-35", 3, 0},
		InitiatorRevisesConnection: {Initiator, "R-36", 3, 0},
		OperatorGrantsTest:         {Operator, "R-37", 10, 0},
		Testing:                    {Initiator, "R-38", 0, 3},
		OwnerSignsAct:              {Owner, "R-43", 3, 0},
		OperatorReviewsAct:         {Operator, "R-44", 3, 0},
		InitiatorRevisesAct:        {Initiator, "R-45", 3, 0},
	},
	Terminal: map[State]string{ConnectionRefused: "R-34", Connected: "R-45"},
	Transitions: []Transition{
		{OwnerReviewsConnection, AgreeConnection, Owner, "R-34", OperatorChecksConnection},
		{OwnerReviewsConnection, RefuseConnection, Owner, "R-34", ConnectionRefused},
		{OperatorChecksConnection, ApproveConnection, Operator, "R-35", OperatorGrantsTest},
		{OperatorChecksConnection, ReturnConnection, Operator, "R-35", InitiatorRevisesConnection},
		{InitiatorRevisesConnection, ResendConnection, Initiator, "R-36", OwnerReviewsConnection},
		{OperatorGrantsTest, GrantTestAccess, Operator, "R-37", Testing},
		{Testing, ConfirmExchange, Operator, "R-40", Testing},
		{Testing, ReportNegative, Initiator, "R-42", Testing},
		{Testing, FormAct, Initiator, "R-42", OwnerSignsAct},
		{OwnerSignsAct, SignAct, Owner, "R-43", OperatorReviewsAct},
		{OperatorReviewsAct, ApproveAct, Operator, "R-45", Connected},
		{OperatorReviewsAct, ReturnAct, Operator, "R-45", InitiatorRevisesAct},
		{InitiatorRevisesAct, ResendAct, Initiator, "R-45", OwnerSignsAct},
	},
}
