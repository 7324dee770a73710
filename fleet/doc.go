// Package fleet plans decnet fleets: it turns a loaded deployment INI or the CLI's deploy flags plus the host's
// network facts into the concrete deckies a deploy would create (names, IPs, distros, hostnames, services,
// nmap_os, mutation intervals), following spec/config.md §6 and §7.
package fleet
