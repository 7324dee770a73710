package ntlmssp

import (
	"encoding/binary"
	"time"
)

// AV pair ids (MS-NLMP 2.2.2.1).
const (
	AvEOL             = 0
	AvNbComputerName  = 1
	AvNbDomainName    = 2
	AvDNSComputerName = 3
	AvDNSDomainName   = 4
	AvDNSTreeName     = 5
	AvFlags           = 6
	AvTimestamp       = 7
)

// Version is the VERSION structure of MS-NLMP 2.2.2.10 (product major/minor and build).
type Version struct {
	Major, Minor uint8
	Build        uint16
}

// String renders the version as nmap does: "10.0.19045".
func (v Version) String() string {
	return itoa(int(v.Major)) + "." + itoa(int(v.Minor)) + "." + itoa(int(v.Build))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [8]byte
	i := len(b)
	for n > 0 && i > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// Bytes encodes the 8-byte VERSION field (NTLMSSP revision 15).
func (v Version) Bytes() [8]byte {
	var b [8]byte
	b[0], b[1] = v.Major, v.Minor
	binary.LittleEndian.PutUint16(b[2:], v.Build)
	b[7] = 0x0f
	return b
}

// TargetInfo is what the server claims about itself in the CHALLENGE message.
type TargetInfo struct {
	NetBIOSComputer string
	NetBIOSDomain   string
	DNSComputer     string
	DNSDomain       string
	DNSTree         string
	Timestamp       time.Time // zero: omitted
}

// Marshal encodes the AV pair list, terminated by MsvAvEOL.
func (t TargetInfo) Marshal() []byte {
	var b []byte
	add := func(id uint16, v []byte) {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	for _, p := range []struct {
		id uint16
		s  string
	}{{AvNbDomainName, t.NetBIOSDomain}, {AvNbComputerName, t.NetBIOSComputer}, {AvDNSDomainName, t.DNSDomain},
		{AvDNSComputerName, t.DNSComputer}, {AvDNSTreeName, t.DNSTree}} {
		if p.s != "" {
			add(p.id, EncodeUTF16(p.s))
		}
	}
	if !t.Timestamp.IsZero() {
		add(AvTimestamp, binary.LittleEndian.AppendUint64(nil, Filetime(t.Timestamp)))
	}
	add(AvEOL, nil)
	return b
}

// Filetime converts t to a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
func Filetime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100 + 116444736000000000)
}

// Challenge holds the parameters of a CHALLENGE (type 2) message.
type Challenge struct {
	ServerChallenge [8]byte
	ClientFlags     uint32 // flags of the client's NEGOTIATE (0 when unknown)
	Target          TargetInfo
	Version         Version
	DomainJoined    bool // target type domain (else server)
}

// DefaultClientFlags are assumed when the client's NEGOTIATE flags are unknown.
const DefaultClientFlags = FlagUnicode | FlagRequestTarget | FlagSign | FlagNTLM | FlagAlwaysSign |
	FlagExtendedSessionSecurity | FlagVersion | Flag128 | FlagKeyExchange | Flag56

// Flags returns the negotiate flags the server answers with, as Windows does: the client's options it
// supports, plus target info and version.
func (c Challenge) Flags() uint32 {
	cf := c.ClientFlags
	if cf == 0 {
		cf = DefaultClientFlags
	}
	f := uint32(FlagRequestTarget | FlagNTLM | FlagAlwaysSign | FlagTargetInfo | FlagVersion)
	f |= cf & (FlagSign | FlagSeal | Flag128 | FlagKeyExchange | Flag56 | FlagExtendedSessionSecurity)
	if cf&FlagUnicode != 0 {
		f |= FlagUnicode
	} else {
		f |= FlagOEM
	}
	if f&FlagExtendedSessionSecurity == 0 {
		f |= cf & FlagLMKey
	}
	if c.DomainJoined {
		f |= FlagTargetTypeDomain
	} else {
		f |= FlagTargetTypeServer
	}
	return f
}

// Marshal encodes the CHALLENGE message.
func (c Challenge) Marshal() []byte {
	flags := c.Flags()
	var target []byte
	if flags&FlagUnicode != 0 {
		target = EncodeUTF16(c.Target.NetBIOSDomain)
	} else {
		target = []byte(c.Target.NetBIOSDomain)
	}
	info := c.Target.Marshal()
	const hdr = 56
	b := make([]byte, hdr, hdr+len(target)+len(info))
	copy(b, Signature)
	binary.LittleEndian.PutUint32(b[8:], TypeChallenge)
	binary.LittleEndian.PutUint16(b[12:], uint16(len(target)))
	binary.LittleEndian.PutUint16(b[14:], uint16(len(target)))
	binary.LittleEndian.PutUint32(b[16:], hdr)
	binary.LittleEndian.PutUint32(b[20:], flags)
	copy(b[24:32], c.ServerChallenge[:])
	binary.LittleEndian.PutUint16(b[40:], uint16(len(info)))
	binary.LittleEndian.PutUint16(b[42:], uint16(len(info)))
	binary.LittleEndian.PutUint32(b[44:], uint32(hdr+len(target)))
	v := c.Version.Bytes()
	copy(b[48:56], v[:])
	b = append(b, target...)
	return append(b, info...)
}

// ParseTargetInfo decodes an AV pair list (used by tests and by clients of this package).
func ParseTargetInfo(b []byte) (TargetInfo, error) {
	var t TargetInfo
	for len(b) >= 4 {
		id := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			return t, ErrField
		}
		v := b[4 : 4+n]
		b = b[4+n:]
		switch id {
		case AvEOL:
			return t, nil
		case AvNbComputerName:
			t.NetBIOSComputer = DecodeUTF16(v)
		case AvNbDomainName:
			t.NetBIOSDomain = DecodeUTF16(v)
		case AvDNSComputerName:
			t.DNSComputer = DecodeUTF16(v)
		case AvDNSDomainName:
			t.DNSDomain = DecodeUTF16(v)
		case AvDNSTreeName:
			t.DNSTree = DecodeUTF16(v)
		case AvTimestamp:
			if n == 8 {
				ft := int64(binary.LittleEndian.Uint64(v))
				t.Timestamp = time.Unix(0, (ft-116444736000000000)*100).UTC()
			}
		}
	}
	return t, ErrShort
}

// ParseChallenge decodes a CHALLENGE message (for tests and probes): server challenge, flags, target info
// and version.
func ParseChallenge(msg []byte) (c Challenge, flags uint32, err error) {
	if err = header(msg, TypeChallenge, 48); err != nil {
		return c, 0, err
	}
	flags = binary.LittleEndian.Uint32(msg[20:24])
	copy(c.ServerChallenge[:], msg[24:32])
	info, err := field(msg, 40)
	if err != nil {
		return c, flags, err
	}
	if c.Target, err = ParseTargetInfo(info); err != nil {
		return c, flags, err
	}
	if len(msg) >= 56 && flags&FlagVersion != 0 {
		c.Version = Version{Major: msg[48], Minor: msg[49], Build: binary.LittleEndian.Uint16(msg[50:52])}
	}
	c.DomainJoined = flags&FlagTargetTypeDomain != 0
	return c, flags, nil
}
