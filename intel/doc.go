// Package intel groups the analysis workers: correlation of traversals, attacker profiling, the active prober and the passive sniffer.
package intel
