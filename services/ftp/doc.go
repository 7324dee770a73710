// Package ftp is the ftp (21) emulator: a control channel speaking the dialect of the persona's product
// (vsftpd, ProFTPD or Pure-FTPd), USER/PASS capture with a configurable outcome, and for accepted sessions a
// read-only seeded bait tree (listing and RETR over passive data connections) plus STOR capture to the
// artifact quarantine.
package ftp
