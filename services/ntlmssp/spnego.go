package ntlmssp

// OIDs in DER (tag 06 included).
var (
	oidSPNEGO  = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
	oidNTLMSSP = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
)

// TLV appends one DER element (definite length) to dst.
func TLV(dst []byte, tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	dst = append(dst, tag)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst
}

// NegTokenInit returns the SPNEGO NegTokenInit2 a Windows server puts in its SMB NEGOTIATE response,
// advertising NTLMSSP only.
func NegTokenInit() []byte {
	mechs := TLV(nil, 0xa0, TLV(nil, 0x30, oidNTLMSSP))
	hint := TLV(nil, 0xa3, TLV(nil, 0x30, TLV(nil, 0xa0, TLV(nil, 0x1b, []byte("not_defined_in_RFC4178@please_ignore")))))
	return TLV(nil, 0x60, oidSPNEGO, TLV(nil, 0xa0, TLV(nil, 0x30, mechs, hint)))
}

// SPNEGO negotiation states (negState).
const (
	NegAcceptCompleted  = 0
	NegAcceptIncomplete = 1
	NegReject           = 2
)

// NegTokenResp wraps an NTLMSSP token (may be nil) in a SPNEGO NegTokenResp with the given state.
func NegTokenResp(state byte, token []byte) []byte {
	parts := [][]byte{TLV(nil, 0xa0, []byte{0x0a, 0x01, state})}
	if state == NegAcceptIncomplete {
		parts = append(parts, TLV(nil, 0xa1, oidNTLMSSP))
	}
	if token != nil {
		parts = append(parts, TLV(nil, 0xa2, TLV(nil, 0x04, token)))
	}
	return TLV(nil, 0xa1, TLV(nil, 0x30, parts...))
}

// IsSPNEGO reports whether a security blob is SPNEGO-wrapped (NegTokenInit or NegTokenResp) rather than
// a raw NTLMSSP message.
func IsSPNEGO(blob []byte) bool { return len(blob) > 0 && (blob[0] == 0x60 || blob[0] == 0xa1) }
