// Package geps is the simulated reading API of Gospochta (ГЭПС): «Спецификация API ГЭПС.
// Приложение "Получение уведомлений Госпочты и Новости"» v1.0 as an agency's system meets it
// through the EPGU proxy (../shared/spec/other-buses.md (c)). Its four calls, under wire.ReadBase:
// a search task over a day of the organisation's Gospochta (POST search), its result page by page
// (GET search/{searchTaskUuid}), a message's card (GET message/{threadUuid}/{messageUuid}) and an
// attachment's file or signature (GET attachment/{messageUuid}/{attachmentUuid}/{file|sig}).
//
// What it enforces, each with its rule of fixtures/gospochta/traceability.csv: a Bearer token on
// every call (GP-R-AUTH), the role «Руководитель организации» or «Администратор» (GP-R-ROLE), a
// search range of at most a day, no deeper than 30 days and not in the future (GP-R-RANGE), 5
// searches and 15 result fetches per organisation per Moscow day (GP-R-QUOTA), the task's states
// SEARCH → PROCESSING → COMPLETED or ERROR and its 7 days of keeping (GP-R-TASK), pages of 1 to
// 1000 (GP-R-PAGE), the attachments' states (GP-R-CARD); opening a card marks it read and records
// the moment of legal delivery (GP-R-LEGAL).
//
// Task states advance lazily on the simulator's clock (no goroutines), so a virtual clock drives a
// search through its hour of preparation at once. Every call is kept in a bounded log (Requests)
// with the refusal's rule.Breach, the evidence the harness judges a reader by.
//
// The specification's full list of error codes was not available: the codes are wire's (the range
// code is the one its clients know, the others follow its pattern), and where the statuses are
// not stated (the quota's 429, the attachments' 409 and 410) they are this simulator's choice.
package geps
