package tlsfp

import (
	"crypto/tls"
	"slices"
)

// FromClientHelloInfo rebuilds a ClientHello from what crypto/tls exposes to GetConfigForClient. crypto/tls
// does not expose the legacy version: it is taken as 0x0303 when the client sent supported_versions (every
// TLS 1.3 client does), else as the highest version the client offered (which crypto/tls derives from it).
// Prefer ParseClientHelloRecord on the raw bytes when they are available.
func FromClientHelloInfo(hi *tls.ClientHelloInfo) ClientHello {
	h := ClientHello{
		Ciphers:      slices.Clone(hi.CipherSuites),
		Extensions:   slices.Clone(hi.Extensions),
		PointFormats: slices.Clone(hi.SupportedPoints),
		SNI:          hi.ServerName,
		ALPN:         slices.Clone(hi.SupportedProtos),
	}
	for _, g := range hi.SupportedCurves {
		h.Groups = append(h.Groups, uint16(g))
	}
	for _, s := range hi.SignatureSchemes {
		h.SignatureAlgs = append(h.SignatureAlgs, uint16(s))
	}
	var maxV uint16
	for _, v := range hi.SupportedVersions {
		if !IsGREASE(v) && v > maxV {
			maxV = v
		}
	}
	if slices.Contains(hi.Extensions, ExtSupportedVersions) {
		h.Version = tls.VersionTLS12
		h.SupportedVersions = slices.Clone(hi.SupportedVersions)
	} else {
		h.Version = maxV
	}
	return h
}
