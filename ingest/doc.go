// Package ingest turns task output lines into stored events: attribution, parsing, admission filters, batching, spooling and the forensic log.
package ingest
