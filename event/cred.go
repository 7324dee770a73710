package event

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Credential kinds of spec/events.md §2 produced by the helpers in this file.
const (
	KindPlaintext  = "plaintext"
	KindHTTPBearer = "http_bearer"
	KindHTTPDigest = "http_digest_md5"
)

// Credential is a captured secret before encoding: principal ("" = none), kind and the raw secret bytes.
type Credential struct {
	Principal string
	Kind      string
	Secret    []byte
}

// Fields returns the credential SD keys of c with the given outcome (see CredFields).
func (c Credential) Fields(outcome string) []Field {
	return CredFields(c.Principal, c.Kind, c.Secret, outcome)
}

// Printable returns b with every byte outside 0x20–0x7E replaced by '?' (per byte).
func Printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// B64 returns the standard base64 encoding (with padding) of b.
func B64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// CredFields returns the credential SD params in order: principal (omitted when ""), secret_kind,
// secret_printable (Printable(secret)), secret_b64, outcome (omitted when "").
func CredFields(principal, kind string, secret []byte, outcome string) []Field {
	return CredFieldsWith(principal, kind, Printable(secret), secret, outcome)
}

// CredFieldsWith is CredFields for kinds whose printable form is not the '?' rule (hex responses, hashcat
// lines, key fingerprints): printable is used verbatim as secret_printable.
func CredFieldsWith(principal, kind, printable string, secret []byte, outcome string) []Field {
	fs := make([]Field, 0, 5)
	if principal != "" {
		fs = append(fs, F("principal", principal))
	}
	fs = append(fs, F("secret_kind", kind), F("secret_printable", printable), F("secret_b64", B64(secret)))
	if outcome != "" {
		fs = append(fs, F("outcome", outcome))
	}
	return fs
}

// ClassifyAuthorization classifies an HTTP Authorization header value (spec/events.md §2): Basic → plaintext
// user:password, Bearer/Token → http_bearer, Digest with a response param → http_digest_md5; anything else
// (NTLM, Negotiate, malformed) → false.
func ClassifyAuthorization(header string) (Credential, bool) {
	header = strings.Trim(header, " \t")
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || scheme == "" {
		return Credential{}, false
	}
	rest = strings.Trim(rest, " \t")
	if rest == "" {
		return Credential{}, false
	}
	switch {
	case strings.EqualFold(scheme, "Basic"):
		if strings.ContainsAny(rest, "\r\n") {
			return Credential{}, false
		}
		dec, err := base64.StdEncoding.Strict().DecodeString(rest)
		if err != nil {
			return Credential{}, false
		}
		s := string(dec)
		user, pass, ok := strings.Cut(s, ":")
		if !ok {
			return Credential{}, false
		}
		return Credential{Principal: user, Kind: KindPlaintext, Secret: []byte(pass)}, true
	case strings.EqualFold(scheme, "Bearer"), strings.EqualFold(scheme, "Token"):
		return Credential{Kind: KindHTTPBearer, Secret: []byte(rest)}, true
	case strings.EqualFold(scheme, "Digest"):
		params, ok := parseAuthParams(rest)
		if !ok {
			return Credential{}, false
		}
		resp, ok := params["response"]
		if !ok {
			return Credential{}, false
		}
		return Credential{Principal: params["username"], Kind: KindHTTPDigest, Secret: []byte(resp)}, true
	}
	return Credential{}, false
}

// parseAuthParams parses comma-separated `name="quoted"` / `name=token` params (names lower-cased, first
// occurrence wins). An unterminated quoted string or a param without '=' is malformed.
func parseAuthParams(s string) (map[string]string, bool) {
	out := make(map[string]string, 8)
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return out, true
		}
		ns := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[ns:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' || name == "" {
			return nil, false
		}
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var sb strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					sb.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				sb.WriteByte(c)
				i++
			}
			if !closed {
				return nil, false
			}
			val = sb.String()
		} else {
			vs := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			val = s[vs:i]
		}
		if _, dup := out[name]; !dup {
			out[name] = val
		}
	}
}

var (
	formPrincipalKeys = [...]string{"username", "user", "email", "login", "userid", "account", "log", "user_login",
		"uname", "pma_username"}
	formSecretKeys = [...]string{"password", "pass", "pwd", "passwd", "passwort", "mot_de_passe", "user_password",
		"pma_password"}
)

// ClassifyForm extracts a login credential from a request body whose media type is
// application/x-www-form-urlencoded (spec/events.md §2). Keys are decoded and lower-cased, the first occurrence
// of a key wins; without a password-like key there is no credential.
func ClassifyForm(contentType string, body []byte) (Credential, bool) {
	mt, _, _ := strings.Cut(contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
		return Credential{}, false
	}
	form := make(map[string][]byte)
	for len(body) > 0 {
		var pair []byte
		if j := indexByte(body, '&'); j >= 0 {
			pair, body = body[:j], body[j+1:]
		} else {
			pair, body = body, nil
		}
		if len(pair) == 0 {
			continue
		}
		k, v := pair, []byte(nil)
		if j := indexByte(pair, '='); j >= 0 {
			k, v = pair[:j], pair[j+1:]
		}
		key := strings.ToLower(string(formDecode(k)))
		if _, dup := form[key]; !dup {
			form[key] = formDecode(v)
		}
	}
	var c Credential
	found := false
	for _, k := range formSecretKeys {
		if v, ok := form[k]; ok {
			c.Secret, found = v, true
			break
		}
	}
	if !found {
		return Credential{}, false
	}
	if c.Secret == nil {
		c.Secret = []byte{}
	}
	for _, k := range formPrincipalKeys {
		if v, ok := form[k]; ok {
			c.Principal = string(v)
			break
		}
	}
	c.Kind = KindPlaintext
	return c, true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

// formDecode applies '+' → space and %XX decoding; invalid escapes are kept literally.
func formDecode(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '+':
			out = append(out, ' ')
			continue
		case '%':
			if i+2 < len(b) {
				h, ok1 := unhex(b[i+1])
				l, ok2 := unhex(b[i+2])
				if ok1 && ok2 {
					out = append(out, h<<4|l)
					i += 2
					continue
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Column length limits of the credentials table (spec/schema.md §5).
const (
	MaxPrincipal       = 256
	MaxSecretKind      = 32
	MaxSecretB64       = 2048
	MaxSecretPrintable = 4096
)

// DerivedCredential is the credentials row derived from a record at ingest (spec/events.md §6). Empty strings
// stand for SQL NULL in AttackerIP, Principal and Outcome; PrincipalKey is Principal or "".
type DerivedCredential struct {
	AttackerIP      string
	DeckyName       string
	Service         string
	Principal       string
	PrincipalKey    string
	SecretKind      string
	SecretSHA256    string // lower-case hex SHA-256 of the decoded secret
	SecretB64       string
	SecretPrintable string
	Outcome         string // success, failure, observed or ""
	Fields          map[string]string
	Time            time.Time // event time: first_seen = last_seen on insert
}

// DeriveCredential derives the credential of a record carrying fields.secret_b64. The value must match
// ^[A-Za-z0-9+/]*={0,2}$ and decode as padded standard base64, else there is no credential. Principal is
// fields.principal, else fields.username; text columns are truncated to the schema limits (in characters);
// secret_kind defaults to plaintext; secret_printable defaults to Printable of the decoded bytes; outcome is
// kept only when it is success, failure or observed.
func DeriveCredential(r Record) (DerivedCredential, bool) {
	b64, ok := r.Fields["secret_b64"]
	if !ok || !isB64Alphabet(b64) {
		return DerivedCredential{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return DerivedCredential{}, false
	}
	sum := sha256.Sum256(raw)
	d := DerivedCredential{
		AttackerIP:   r.AttackerIP,
		DeckyName:    r.Decky,
		Service:      r.Service,
		SecretSHA256: hex.EncodeToString(sum[:]),
		SecretB64:    truncRunes(b64, MaxSecretB64),
		Fields:       r.Fields,
		Time:         r.Timestamp,
	}
	d.Principal = r.Fields["principal"]
	if d.Principal == "" {
		d.Principal = r.Fields["username"]
	}
	d.Principal = truncRunes(d.Principal, MaxPrincipal)
	d.PrincipalKey = d.Principal
	d.SecretKind = truncRunes(r.Fields["secret_kind"], MaxSecretKind)
	if d.SecretKind == "" {
		d.SecretKind = KindPlaintext
	}
	if p, ok := r.Fields["secret_printable"]; ok {
		d.SecretPrintable = truncRunes(p, MaxSecretPrintable)
	} else {
		d.SecretPrintable = truncRunes(Printable(raw), MaxSecretPrintable)
	}
	switch o := r.Fields["outcome"]; o {
	case "success", "failure", "observed":
		d.Outcome = o
	}
	return d, true
}

// isB64Alphabet reports whether s matches ^[A-Za-z0-9+/]*={0,2}$.
func isB64Alphabet(s string) bool {
	n := len(s)
	pad := 0
	for pad < 2 && n > 0 && s[n-1] == '=' {
		n--
		pad++
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// truncRunes cuts s to at most n characters (runes), never splitting a UTF-8 sequence.
func truncRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}
