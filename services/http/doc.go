// Package http is the http (80) and https (443) emulator: a catch-all HTTP/1.1 server (h2c / h2 when the
// persona enables http/2) with a persona Server header, response code, extra headers, static files and fake
// applications (default pages, WordPress, phpMyAdmin, Tomcat manager, Jenkins). Every request is logged with
// its headers, a body excerpt and any credential; JA4H is computed from the header names in wire order, and
// for https the client's JA3/JA4 from its ClientHello.
package http
