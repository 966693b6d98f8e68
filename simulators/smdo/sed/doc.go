// Package sed is the reference departmental document system (СЭД) of the SMDO profile: a client of
// the AIS MV router («Маршрутизатор электронных документов») as a vendor's integration software
// does it, after the vendor walkthrough of «Электронное ДЕЛО-СМДО». It certifies nothing; it shows
// what a well-behaved system does in both roles.
//
// As sender (Send) it gets a client-credentials token with HTTP Basic, creates the package, attaches
// each file, puts the filled package, puts each file's detached signature, asks the router to send
// it, stops at the first negative answer, waits for the router's delivery receipt (and the
// receiver's registration notice when it asked for one), and starts the next send no sooner than
// 10 s after the previous one ended.
//
// As receiver (ReceiveOnce, Run) it lists its new packages every 5 minutes, downloads the files of
// documents, answers documents that ask for acknowledgement with a delivery notice and a
// registration notice, and confirms every package it took whole.
//
// With Config.Defects it misbehaves on purpose, one rule per defect (KnownDefects), so the harness
// can show that it catches each fault.
package sed
