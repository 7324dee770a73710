// Package event defines decnet's event record and its wire format: the RFC 5424 encoder that emulators and
// host-side emitters print, the parser that ingest and decnetctl use, and the credential helpers of
// spec/events.md §2.
package event
