// Package tlsfp computes client and server fingerprints as pure functions: JA3/JA3S (Salesforce) and
// JA4/JA4S/JA4H (FoxIO), with the GREASE and ordering rules of spec/events.md §9. It also parses a raw TLS
// ClientHello record so a server can fingerprint exactly what the client sent.
package tlsfp
