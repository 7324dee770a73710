package fleet

import (
	"encoding/binary"
	"net/netip"
)

// ipv4 helpers work on uint32 values of IPv4 addresses.

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func addr(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// bounds returns the network and broadcast addresses of an IPv4 prefix as integers.
func bounds(p netip.Prefix) (network, broadcast uint32) {
	network = u32(p.Masked().Addr())
	broadcast = network | (^uint32(0) >> uint(p.Bits()))
	return network, broadcast
}

// hostRange returns the first and last usable host of an IPv4 prefix (every address for /31 and /32).
func hostRange(p netip.Prefix) (first, last uint32) {
	n, b := bounds(p)
	if p.Bits() >= 31 {
		return n, b
	}
	return n + 1, b - 1
}

// checkSubnet verifies that the plan's subnet is a usable IPv4 prefix.
func checkSubnet(p netip.Prefix) error {
	if !p.IsValid() {
		return cfgErr("no subnet: give --subnet or [general] net=")
	}
	if !p.Addr().Is4() {
		return cfgErr("subnet %s is not an IPv4 network", p)
	}
	return nil
}

// reservedReason names why ip is in the base reserved set {network, broadcast, gateway, host}, or "".
func reservedReason(ip netip.Addr, n Network) string {
	nw, bc := bounds(n.Subnet)
	v := u32(ip)
	switch {
	case v == nw:
		return "network address"
	case v == bc:
		return "broadcast address"
	case n.Gateway.IsValid() && ip == n.Gateway.Unmap():
		return "gateway"
	case n.HostIP.IsValid() && ip == n.HostIP.Unmap():
		return "host address"
	}
	return ""
}

// pool walks the usable hosts of a subnet in ascending order, skipping reserved addresses.
type pool struct {
	next, last uint32
	done       bool
	skip       func(netip.Addr) bool
}

func newPool(p netip.Prefix, start netip.Addr, skip func(netip.Addr) bool) *pool {
	first, last := hostRange(p)
	if start.IsValid() && u32(start) > first {
		first = u32(start)
	}
	return &pool{next: first, last: last, done: first > last, skip: skip}
}

// take returns the next free address, or false when the subnet is exhausted.
func (p *pool) take() (netip.Addr, bool) {
	for !p.done {
		v := p.next
		if v == p.last {
			p.done = true
		} else {
			p.next++
		}
		if a := addr(v); !p.skip(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}
