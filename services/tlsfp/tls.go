package tlsfp

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Well-known TLS extension ids used by the fingerprints.
const (
	ExtServerName        uint16 = 0x0000
	ExtSupportedGroups   uint16 = 0x000a
	ExtECPointFormats    uint16 = 0x000b
	ExtSignatureAlgs     uint16 = 0x000d
	ExtALPN              uint16 = 0x0010
	ExtSupportedVersions uint16 = 0x002b
)

// ClientHello holds the ClientHello fields the client fingerprints read, in wire order, GREASE included
// (the functions skip GREASE themselves).
type ClientHello struct {
	Version           uint16   // legacy_version
	Ciphers           []uint16 // cipher suites
	Extensions        []uint16 // extension types
	Groups            []uint16 // supported_groups
	PointFormats      []uint8  // ec_point_formats
	SignatureAlgs     []uint16 // signature_algorithms
	SupportedVersions []uint16 // supported_versions (ext 43)
	SNI               string   // server_name host name ("" = none)
	ALPN              []string // application protocols
	QUIC              bool     // the hello came in a QUIC Initial
}

// ServerHello holds the ServerHello fields JA3S/JA4S read.
type ServerHello struct {
	Version         uint16   // legacy_version
	Cipher          uint16   // selected cipher suite
	Extensions      []uint16 // extension types in wire order
	SelectedVersion uint16   // supported_versions value (0 = extension absent)
	ALPN            string   // selected ALPN ("" = none)
	QUIC            bool
}

// IsGREASE reports whether v is one of the reserved GREASE values 0x0a0a, 0x1a1a, …, 0xfafa (RFC 8701).
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func dec16(vs []uint16) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		if !IsGREASE(v) {
			parts = append(parts, strconv.Itoa(int(v)))
		}
	}
	return strings.Join(parts, "-")
}

// JA3String returns the JA3 input string Version,Ciphers,Extensions,Groups,PointFormats.
func JA3String(h ClientHello) string {
	pf := make([]string, len(h.PointFormats))
	for i, p := range h.PointFormats {
		pf[i] = strconv.Itoa(int(p))
	}
	return fmt.Sprintf("%d,%s,%s,%s,%s", h.Version, dec16(h.Ciphers), dec16(h.Extensions), dec16(h.Groups),
		strings.Join(pf, "-"))
}

// JA3 returns the MD5 (hex) of JA3String.
func JA3(h ClientHello) string {
	sum := md5.Sum([]byte(JA3String(h)))
	return hex.EncodeToString(sum[:])
}

// JA3SString returns the JA3S input string Version,Cipher,Extensions.
func JA3SString(s ServerHello) string {
	return fmt.Sprintf("%d,%d,%s", s.Version, s.Cipher, dec16(s.Extensions))
}

// JA3S returns the MD5 (hex) of JA3SString.
func JA3S(s ServerHello) string {
	sum := md5.Sum([]byte(JA3SString(s)))
	return hex.EncodeToString(sum[:])
}

// VersionCode maps a TLS/DTLS version to its two-character JA4 code.
func VersionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// VersionName renders a version as "TLS 1.2" style text.
func VersionName(v uint16) string {
	switch v {
	case 0x0304:
		return "TLS 1.3"
	case 0x0303:
		return "TLS 1.2"
	case 0x0302:
		return "TLS 1.1"
	case 0x0301:
		return "TLS 1.0"
	case 0x0300:
		return "SSL 3.0"
	case 0x0002:
		return "SSL 2.0"
	}
	return fmt.Sprintf("0x%04x", v)
}

// MaxVersion returns the highest non-GREASE supported_versions entry, else the legacy version.
func (h ClientHello) MaxVersion() uint16 {
	var best uint16
	for _, v := range h.SupportedVersions {
		if !IsGREASE(v) && v > best {
			best = v
		}
	}
	if best == 0 {
		return h.Version
	}
	return best
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// alpnCode returns the two-character JA4 ALPN code of the first ALPN value.
func alpnCode(v string) string {
	if v == "" {
		return "00"
	}
	first, last := v[0], v[len(v)-1]
	if !isAlnum(first) || !isAlnum(last) {
		hx := hex.EncodeToString([]byte(v))
		return string([]byte{hx[0], hx[len(hx)-1]})
	}
	return string([]byte{first, last})
}

func hash12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func count2(n int) string {
	return fmt.Sprintf("%02d", min(n, 99))
}

func hex4(vs []uint16, sorted bool, skip func(uint16) bool) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if IsGREASE(v) || (skip != nil && skip(v)) {
			continue
		}
		out = append(out, fmt.Sprintf("%04x", v))
	}
	if sorted {
		slices.Sort(out)
	}
	return out
}

// ja4Parts returns the a part and the raw (unhashed) b and c inputs.
func ja4Parts(h ClientHello) (a, b, c string) {
	proto := "t"
	if h.QUIC {
		proto = "q"
	}
	sni := "i"
	if h.SNI != "" || slices.Contains(h.Extensions, ExtServerName) {
		sni = "d"
	}
	ciphers := hex4(h.Ciphers, true, nil)
	exts := hex4(h.Extensions, false, nil)
	alpn := ""
	if len(h.ALPN) > 0 {
		alpn = h.ALPN[0]
	}
	a = proto + VersionCode(h.MaxVersion()) + sni + count2(len(ciphers)) + count2(len(exts)) + alpnCode(alpn)
	b = strings.Join(ciphers, ",")
	c = strings.Join(hex4(h.Extensions, true, func(v uint16) bool { return v == ExtServerName || v == ExtALPN }), ",")
	if sigs := hex4(h.SignatureAlgs, false, nil); len(sigs) > 0 {
		c += "_" + strings.Join(sigs, ",")
	}
	return a, b, c
}

// JA4 returns the JA4 fingerprint a_b_c of a ClientHello (prefix q for QUIC).
func JA4(h ClientHello) string {
	a, b, c := ja4Parts(h)
	hb, hc := "000000000000", "000000000000"
	if b != "" {
		hb = hash12(b)
	}
	if len(hex4(h.Extensions, false, nil)) > 0 {
		hc = hash12(c)
	}
	return a + "_" + hb + "_" + hc
}

// JA4Raw returns the unhashed JA4 (ja4_r): a, sorted ciphers, sorted extensions and signature algorithms.
func JA4Raw(h ClientHello) string {
	a, b, c := ja4Parts(h)
	return a + "_" + b + "_" + c
}

// JA4S returns the JA4S fingerprint of a ServerHello.
func JA4S(s ServerHello) string {
	proto := "t"
	if s.QUIC {
		proto = "q"
	}
	v := s.Version
	if s.SelectedVersion != 0 {
		v = s.SelectedVersion
	}
	exts := hex4(s.Extensions, false, nil)
	return proto + VersionCode(v) + count2(len(exts)) + alpnCode(s.ALPN) + "_" + fmt.Sprintf("%04x", s.Cipher) +
		"_" + hash12(strings.Join(exts, ","))
}
