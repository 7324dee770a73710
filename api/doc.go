// Package api serves decnetd's HTTP API with Gin on the root-only control socket and, later, on an authenticated TCP listener.
package api
