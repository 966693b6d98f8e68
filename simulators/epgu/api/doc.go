// Package api is the simulated EPGU API ("API ЕПГУ", service gu-smev) as an agency's system (ВИС)
// meets it in the test contour: order creation, the single and chunked archive push, order details
// with the escaped order JSON, cancel, the two status feeds, the NSI dictionaries and the result
// download, with the paths, JSON field names and error bodies of the specification v1.12.1 (EPGU-…
// clause IDs) and the v1.13 changes (EPGU-1.13).
//
// Statuses advance lazily on the simulator's clock (no goroutines), so a virtual clock drives a whole
// order lifecycle in a test; every refusal is recorded with its rule.Breach in an exchange log the
// harness reads to judge the client.
package api
