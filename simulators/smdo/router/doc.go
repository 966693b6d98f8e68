// Package router is the simulated router of Belarus's SMDO (the «Маршрутизатор электронных
// документов» of the AIS MV platform) as a departmental СЭД meets it: the client-credentials token
// with HTTP Basic and Bearer on every call (SMDO-TOKEN), the outgoing package API (create, update,
// attach files, put each file's signatures, send; SMDO-SEND, SMDO-SIGN), the format checks after
// sending (SMDO-FORMAT) with the router's own notices (SMDO-NOTICE), routing to the receivers'
// incoming lists with paging and confirmation (SMDO-CONFIRM) and the delivery receipt
// (SMDO-RECEIPT), and the directories (SMDO-DIR).
//
// The paths and JSON field names are those working clients use, spelling quirks included
// ("envelop", "origSignatire"). What no public source states (the routing states, the router's
// answers to faults, the notices' wording) is reconstructed and said so where it is decided.
// Every refusal carries a rule.Breach naming the field, the rule and the fix; every call is kept in
// a bounded log (Requests) with the evidence the harness judges a СЭД by.
//
// Subscribers the harness plays are scripted (Script): the router confirms what is routed to them
// and answers with registration notices on timers, as their СЭД would.
package router
