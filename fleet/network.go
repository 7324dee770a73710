package fleet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/decnet/decnet/conf"
)

// ResolveNetwork combines explicitly given network facts (CLI flags; zero = not given), the INI's [general]
// section (zero value for the flag path) and host detection (config.md §7.3):
// interface = flag > [general] interface > detected; subnet = flag > [general] net > detected;
// gateway = flag > [general] gw > detected; host IP = flag > detected.
// detect is called only when some fact is still missing. A detection failure is an error, except when the host IP
// is the only missing fact: then nothing extra is reserved and HostIP stays unset.
func ResolveNetwork(flags Network, general conf.General, detect func() (Network, error)) (Network, error) {
	n := flags
	if n.Interface == "" {
		n.Interface = general.Interface
	}
	if !n.Subnet.IsValid() {
		n.Subnet = general.Net
	}
	if !n.Gateway.IsValid() {
		n.Gateway = general.Gateway
	}
	if n.Subnet.IsValid() {
		n.Subnet = n.Subnet.Masked()
	}
	if n.Complete() {
		return n, nil
	}
	if detect == nil {
		detect = DetectNetwork
	}
	d, err := detect()
	if err != nil && n.Interface != "" && n.Subnet.IsValid() && n.Gateway.IsValid() {
		return n, nil
	}
	if err != nil {
		return Network{}, fmt.Errorf("could not detect the host network (%v); give --interface, --subnet, --gateway and --host-ip", err)
	}
	if n.Interface == "" {
		n.Interface = d.Interface
	}
	if !n.Subnet.IsValid() {
		n.Subnet = d.Subnet.Masked()
	}
	if !n.Gateway.IsValid() {
		n.Gateway = d.Gateway
	}
	if !n.HostIP.IsValid() {
		n.HostIP = d.HostIP
	}
	return n, nil
}

// DefaultRoute is the IPv4 default route of the host.
type DefaultRoute struct {
	Interface string
	Gateway   netip.Addr
}

// ParseRoutes returns the default route (lowest metric) of a /proc/net/route table.
func ParseRoutes(r io.Reader) (DefaultRoute, error) {
	sc := bufio.NewScanner(r)
	best, bestMetric := DefaultRoute{}, uint64(0)
	found := false
	first := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if first {
			first = false
			if len(f) > 0 && f[0] == "Iface" {
				continue
			}
		}
		// Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&0x1 == 0 { // RTF_UP
			continue
		}
		metric, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			continue
		}
		gw, err := hex.DecodeString(f[2])
		if err != nil || len(gw) != 4 {
			continue
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], binary.LittleEndian.Uint32(gw))
		if !found || metric < bestMetric {
			best = DefaultRoute{Interface: f[0], Gateway: netip.AddrFrom4(b)}
			bestMetric, found = metric, true
		}
	}
	if err := sc.Err(); err != nil {
		return DefaultRoute{}, fmt.Errorf("read routes: %w", err)
	}
	if !found {
		return DefaultRoute{}, fmt.Errorf("no IPv4 default route")
	}
	return best, nil
}

// DetectNetwork reads the host's network facts: interface = device of the IPv4 default route, host IP = first
// IPv4 address on it, subnet = that address's network, gateway = the route's next hop.
func DetectNetwork() (Network, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return Network{}, fmt.Errorf("detect network: %w", err)
	}
	defer f.Close()
	rt, err := ParseRoutes(f)
	if err != nil {
		return Network{}, fmt.Errorf("detect network: %w", err)
	}
	ifc, err := net.InterfaceByName(rt.Interface)
	if err != nil {
		return Network{}, fmt.Errorf("detect network: interface %s: %w", rt.Interface, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return Network{}, fmt.Errorf("detect network: addresses of %s: %w", rt.Interface, err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil {
			continue
		}
		ip, _ := netip.AddrFromSlice(ipn.IP.To4())
		ones, bits := ipn.Mask.Size()
		if bits == 128 {
			ones -= 96
		}
		return Network{Interface: rt.Interface, Subnet: netip.PrefixFrom(ip, ones).Masked(), Gateway: rt.Gateway,
			HostIP: ip}, nil
	}
	return Network{}, fmt.Errorf("detect network: interface %s has no IPv4 address", rt.Interface)
}
