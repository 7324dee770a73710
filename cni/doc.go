// Package cni builds CNI conf lists (loopback + macvlan/ipvlan with static IPAM) and runs ADD/CHECK/DEL through libcni on the named network namespaces of deckies.
package cni
