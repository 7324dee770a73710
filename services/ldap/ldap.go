// Package ldap emulates an LDAP directory on 389 and 636 (LDAPS, self-signed): a bounded BER decoder,
// simple and SASL binds captured as credentials and always refused (49 invalidCredentials, 34
// invalidDNSyntax for a malformed DN), anonymous binds accepted so that an anonymous rootDSE search is
// answered like the persona's flavor (Active Directory or OpenLDAP). Other searches get noSuchObject, or
// insufficientAccessRights after a failed bind.
package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/winid"
)

func init() { services.Register("ldap", func() services.Emulator { return &Server{} }) }

// LDAP result codes used by the emulator.
const (
	ResultSuccess                 = 0
	ResultOperationsError         = 1
	ResultProtocolError           = 2
	ResultNoSuchObject            = 32
	ResultInvalidDNSyntax         = 34
	ResultInvalidCredentials      = 49
	ResultInsufficientAccessRight = 50
)

// SASLSecret is the secret recorded for SASL binds, whose credentials are mechanism-specific.
const SASLSecret = "<sasl_or_unknown>"

// Server is the LDAP emulator.
type Server struct {
	env    *services.Env
	ad     bool
	base   string
	domain string // DNS domain derived from the base DN
	host   string // NetBIOS-style host name
	usn    int
	tlsCfg *tls.Config
}

// Serve binds 389 and 636 and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.configure(env)
	cert, err := winid.SelfSigned(env.Artifacts, "ldaps", env.Hostname)
	if err != nil {
		return fmt.Errorf("ldap: %w", err)
	}
	s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}
	plain, err := env.ListenTCP(ctx, 389)
	if err != nil {
		return err
	}
	secure, err := env.ListenTCP(ctx, 636)
	if err != nil {
		plain.Close()
		return err
	}
	flavor := "OpenLDAP"
	if s.ad {
		flavor = "Active Directory"
	}
	env.Started(fmt.Sprintf("LDAP server starting as %s (%s, base %s)", env.Hostname, flavor, s.base))
	var wg sync.WaitGroup
	var e1, e2 error
	wg.Add(2)
	go func() {
		defer wg.Done()
		e1 = env.Serve(ctx, plain, func(ctx context.Context, c net.Conn) { s.handle(ctx, c, false) })
	}()
	go func() {
		defer wg.Done()
		e2 = env.Serve(ctx, secure, func(ctx context.Context, c net.Conn) { s.handle(ctx, c, true) })
	}()
	wg.Wait()
	return errors.Join(e1, e2)
}

// configure derives flavor, base DN and names from the persona, hostname and nmap_os.
func (s *Server) configure(env *services.Env) {
	s.env = env
	def := "openldap"
	if strings.HasPrefix(env.NmapOS, "windows") {
		def = "active_directory"
	}
	s.ad = env.Persona.String("flavor", def) == "active_directory"
	s.base = env.Persona.String("base_dn", "")
	if s.base == "" {
		s.base = "dc=example,dc=com"
		if i := strings.IndexByte(env.Hostname, '.'); i > 0 && strings.Contains(env.Hostname[i+1:], ".") &&
			!strings.HasSuffix(env.Hostname, ".localdomain") {
			s.base = domainToDN(env.Hostname[i+1:])
		}
		if s.ad {
			s.base = strings.ReplaceAll(s.base, "dc=", "DC=")
		}
	}
	s.domain = dnToDomain(s.base)
	s.host = winid.NetBIOS(env.Hostname)
	s.usn = 100000 + env.Rand("ldap-usn").IntN(800000)
}

func domainToDN(d string) string {
	parts := strings.Split(strings.Trim(d, "."), ".")
	for i, p := range parts {
		parts[i] = "dc=" + p
	}
	return strings.Join(parts, ",")
}

func dnToDomain(dn string) string {
	var out []string
	for _, rdn := range strings.Split(dn, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(rdn), "=")
		if ok && strings.EqualFold(k, "dc") {
			out = append(out, strings.ToLower(v))
		}
	}
	return strings.Join(out, ".")
}

// conn is the per-connection state.
type conn struct {
	s          *Server
	c          net.Conn
	src        []event.Field
	failedBind bool
}

func (s *Server) handle(ctx context.Context, c net.Conn, implicitTLS bool) {
	cn := &conn{s: s, c: c, src: services.SrcS(c.RemoteAddr())}
	s.env.Info("connect", "", cn.src...)
	defer s.env.Info("disconnect", "", cn.src...)
	if implicitTLS {
		tc := tls.Server(c, s.tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			s.env.Log.Debug("ldaps handshake failed", "err", err)
			return
		}
		cn.c = tc
	}
	r := bufio.NewReaderSize(cn.c, 4096)
	for ctx.Err() == nil {
		msg, err := ReadMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.env.Log.Debug("ldap read", "err", err)
			}
			return
		}
		out, closeConn := cn.process(msg)
		if len(out) > 0 {
			if _, err := cn.c.Write(out); err != nil {
				return
			}
		}
		if closeConn {
			return
		}
	}
}

// process handles one LDAPMessage and returns the reply bytes and whether to close the connection.
func (cn *conn) process(msg []byte) (out []byte, closeConn bool) {
	top, _, err := ReadElem(msg)
	if err != nil || top.Tag != 0x30 {
		return nil, true
	}
	kids, err := Children(top.Value)
	if err != nil || len(kids) < 2 || kids[0].Tag != 0x02 {
		return nil, true
	}
	id, err := Int(kids[0].Value)
	if err != nil {
		return nil, true
	}
	op := kids[1]
	switch op.Tag {
	case 0x60:
		return cn.bind(id, op), false
	case 0x42: // unbind
		return nil, true
	case 0x63:
		return cn.search(id, op), false
	case 0x50: // abandon
		return nil, false
	case 0x77: // extended (StartTLS, whoami, …): not offered
		return message(id, cons(0x78, result(ResultProtocolError, "", "unsupported extended operation")...)), false
	}
	return nil, true
}

func result(code int, matched, diag string) [][]byte {
	return [][]byte{integer(0x0a, code), octet(matched), octet(diag)}
}

func message(id int, op []byte) []byte { return cons(0x30, integer(0x02, id), op) }

func (cn *conn) bind(id int, op Elem) []byte {
	kids, err := Children(op.Value)
	if err != nil || len(kids) < 3 {
		return message(id, cons(0x61, result(ResultProtocolError, "", "decoding error")...))
	}
	version, _ := Int(kids[0].Value)
	dn := string(kids[1].Value)
	auth := kids[2]
	var secret []byte
	switch auth.Tag {
	case 0x80: // simple
		secret = auth.Value
		if dn == "" && len(secret) == 0 {
			cn.s.env.Info("bind", "", services.With(cn.src, event.F("dn", ""))...)
			if version == 2 && !cn.s.ad {
				return message(id, cons(0x61, result(ResultProtocolError, "", "historical protocol version requested, use LDAPv3 instead")...))
			}
			cn.failedBind = false
			return message(id, cons(0x61, result(ResultSuccess, "", "")...))
		}
	case 0xa3: // SASL
		secret = []byte(SASLSecret)
	default:
		return message(id, cons(0x61, result(ResultProtocolError, "", "decoding error")...))
	}
	fields := services.With(cn.src, event.F("dn", dn))
	fields = append(fields, event.CredFields(dn, event.KindPlaintext, secret, "failure")...)
	cn.s.env.Info("bind", "", fields...)
	cn.failedBind = true
	if version == 2 && !cn.s.ad {
		return message(id, cons(0x61, result(ResultProtocolError, "", "historical protocol version requested, use LDAPv3 instead")...))
	}
	if auth.Tag == 0x80 && !ValidDN(dn, cn.s.ad) {
		diag := "invalid DN"
		if cn.s.ad {
			diag = "0000208F: NameErr: DSID-03100225, problem 2006 (BAD_NAME), data 8350, best match of:\n\t'" + dn + "'\n\x00"
		}
		return message(id, cons(0x61, result(ResultInvalidDNSyntax, "", diag)...))
	}
	diag := ""
	if cn.s.ad {
		diag = "80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error, data 52e, v4563\x00"
	}
	return message(id, cons(0x61, result(ResultInvalidCredentials, "", diag)...))
}

// ValidDN reports whether dn is a syntactically valid distinguished name (RFC 4514). Active Directory also
// accepts user principal names (user@domain) and down-level names (DOMAIN\user) in a simple bind.
func ValidDN(dn string, ad bool) bool {
	if ad && !strings.Contains(dn, "=") && (strings.Count(dn, "@") == 1 || strings.Count(dn, `\`) == 1) {
		return !strings.ContainsAny(dn, ",;") && len(strings.Trim(dn, `@\`)) == len(dn)
	}
	if strings.TrimSpace(dn) == "" {
		return false
	}
	var rdns []string
	start, esc := 0, false
	for i := 0; i < len(dn); i++ {
		switch {
		case esc:
			esc = false
		case dn[i] == '\\':
			esc = true
		case dn[i] == ',' || dn[i] == ';':
			rdns = append(rdns, dn[start:i])
			start = i + 1
		}
	}
	if esc {
		return false
	}
	rdns = append(rdns, dn[start:])
	for _, rdn := range rdns {
		for _, ava := range strings.Split(rdn, "+") {
			k, _, ok := strings.Cut(strings.TrimSpace(ava), "=")
			if !ok || !validAttrType(strings.TrimSpace(k)) {
				return false
			}
		}
	}
	return true
}

func validAttrType(k string) bool {
	if k == "" {
		return false
	}
	if k[0] >= '0' && k[0] <= '9' { // numeric OID
		for i := 0; i < len(k); i++ {
			if (k[i] < '0' || k[i] > '9') && k[i] != '.' {
				return false
			}
		}
		return !strings.Contains(k, "..") && k[len(k)-1] != '.'
	}
	for i := 0; i < len(k); i++ {
		c := k[i] | 0x20
		if !(c >= 'a' && c <= 'z') && !(k[i] >= '0' && k[i] <= '9') && k[i] != '-' {
			return false
		}
	}
	return true
}

func (cn *conn) search(id int, op Elem) []byte {
	kids, err := Children(op.Value)
	if err != nil || len(kids) < 8 {
		return message(id, cons(0x65, result(ResultProtocolError, "", "decoding error")...))
	}
	base := string(kids[0].Value)
	scope, _ := Int(kids[1].Value)
	filter, ferr := FilterString(kids[6])
	if ferr != nil {
		filter = "(?)"
	}
	var attrs []string
	if al, err := Children(kids[7].Value); err == nil {
		for _, a := range al {
			attrs = append(attrs, string(a.Value))
		}
	}
	cn.s.env.Info("search", "", services.With(cn.src, event.F("base", base), event.F("scope", scope), event.F("filter", filter))...)
	if base == "" && scope == 0 {
		entry := cn.s.rootDSE(time.Now(), attrs)
		return append(message(id, entry), message(id, cons(0x65, result(ResultSuccess, "", "")...))...)
	}
	if cn.failedBind {
		diag := ""
		if cn.s.ad {
			diag = "00002098: SecErr: DSID-03150BC1, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n\x00"
		}
		return message(id, cons(0x65, result(ResultInsufficientAccessRight, "", diag)...))
	}
	diag := ""
	if cn.s.ad {
		diag = "0000208D: NameErr: DSID-0310021B, problem 2001 (NO_OBJECT), data 0, best match of:\n\t''\n\x00"
	}
	return message(id, cons(0x65, result(ResultNoSuchObject, "", diag)...))
}

// attr is one attribute of an entry.
type attr struct {
	name string
	vals []string
}

// rootDSE returns the SearchResultEntry of the root DSE, limited to the requested attributes.
func (s *Server) rootDSE(now time.Time, want []string) []byte {
	all := len(want) == 0
	sel := map[string]bool{}
	for _, w := range want {
		if w == "*" || w == "+" {
			all = true
		}
		sel[strings.ToLower(w)] = true
	}
	var list []byte
	for _, a := range s.rootAttrs(now) {
		if !all && !sel[strings.ToLower(a.name)] {
			continue
		}
		vals := make([][]byte, len(a.vals))
		for i, v := range a.vals {
			vals[i] = octet(v)
		}
		list = append(list, cons(0x30, octet(a.name), cons(0x31, vals...))...)
	}
	return cons(0x64, octet(""), cons(0x30, list))
}

func (s *Server) rootAttrs(now time.Time) []attr {
	if !s.ad {
		return []attr{
			{"objectClass", []string{"top", "OpenLDAProotDSE"}},
			{"structuralObjectClass", []string{"OpenLDAProotDSE"}},
			{"configContext", []string{"cn=config"}},
			{"namingContexts", []string{s.base}},
			{"supportedControl", []string{"2.16.840.1.113730.3.4.18", "2.16.840.1.113730.3.4.2", "1.3.6.1.4.1.4203.1.10.1",
				"1.3.6.1.1.22", "1.2.840.113556.1.4.319", "1.2.826.0.1.3344810.2.3", "1.3.6.1.1.13.2", "1.3.6.1.1.13.1", "1.3.6.1.1.12"}},
			{"supportedExtension", []string{"1.3.6.1.4.1.4203.1.11.1", "1.3.6.1.4.1.4203.1.11.3", "1.3.6.1.1.8"}},
			{"supportedFeatures", []string{"1.3.6.1.1.14", "1.3.6.1.4.1.4203.1.5.1", "1.3.6.1.4.1.4203.1.5.2",
				"1.3.6.1.4.1.4203.1.5.3", "1.3.6.1.4.1.4203.1.5.4", "1.3.6.1.4.1.4203.1.5.5"}},
			{"supportedLDAPVersion", []string{"3"}},
			{"supportedSASLMechanisms", []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "DIGEST-MD5", "CRAM-MD5", "NTLM"}},
			{"entryDN", []string{""}},
			{"subschemaSubentry", []string{"cn=Subschema"}},
		}
	}
	cfg := "CN=Configuration," + s.base
	site := "CN=Default-First-Site-Name,CN=Sites," + cfg
	fqdn := s.host + "." + s.domain
	return []attr{
		{"currentTime", []string{now.UTC().Format("20060102150405.0Z")}},
		{"subschemaSubentry", []string{"CN=Aggregate,CN=Schema," + cfg}},
		{"dsServiceName", []string{"CN=NTDS Settings,CN=" + s.host + ",CN=Servers," + site}},
		{"namingContexts", []string{s.base, cfg, "CN=Schema," + cfg, "DC=DomainDnsZones," + s.base, "DC=ForestDnsZones," + s.base}},
		{"defaultNamingContext", []string{s.base}},
		{"schemaNamingContext", []string{"CN=Schema," + cfg}},
		{"configurationNamingContext", []string{cfg}},
		{"rootDomainNamingContext", []string{s.base}},
		{"supportedControl", []string{"1.2.840.113556.1.4.319", "1.2.840.113556.1.4.801", "1.2.840.113556.1.4.473",
			"1.2.840.113556.1.4.528", "1.2.840.113556.1.4.417", "1.2.840.113556.1.4.619", "1.2.840.113556.1.4.841",
			"1.2.840.113556.1.4.529", "1.2.840.113556.1.4.805", "1.2.840.113556.1.4.521", "1.2.840.113556.1.4.970",
			"1.2.840.113556.1.4.1338", "1.2.840.113556.1.4.474", "1.2.840.113556.1.4.1339", "1.2.840.113556.1.4.1340",
			"1.2.840.113556.1.4.1413", "2.16.840.1.113730.3.4.9", "2.16.840.1.113730.3.4.10", "1.2.840.113556.1.4.1504",
			"1.2.840.113556.1.4.1852", "1.2.840.113556.1.4.802", "1.2.840.113556.1.4.1907", "1.2.840.113556.1.4.1948",
			"1.2.840.113556.1.4.1974", "1.2.840.113556.1.4.1341", "1.2.840.113556.1.4.2026", "1.2.840.113556.1.4.2064",
			"1.2.840.113556.1.4.2065", "1.2.840.113556.1.4.2066", "1.2.840.113556.1.4.2090", "1.2.840.113556.1.4.2205",
			"1.2.840.113556.1.4.2204", "1.2.840.113556.1.4.2206", "1.2.840.113556.1.4.2211", "1.2.840.113556.1.4.2239",
			"1.2.840.113556.1.4.2255", "1.2.840.113556.1.4.2256", "1.2.840.113556.1.4.2309"}},
		{"supportedLDAPVersion", []string{"3", "2"}},
		{"supportedLDAPPolicies", []string{"MaxPoolThreads", "MaxPercentDirSyncRequests", "MaxDatagramRecv",
			"MaxReceiveBuffer", "InitRecvTimeout", "MaxConnections", "MaxConnIdleTime", "MaxPageSize",
			"MaxBatchReturnMessages", "MaxQueryDuration", "MaxDirSyncDuration", "MaxTempTableSize", "MaxResultSetSize",
			"MinResultSets", "MaxResultSetsPerConn", "MaxNotificationPerConn", "MaxValRange", "MaxValRangeTransitive",
			"ThreadMemoryLimit", "SystemMemoryLimitPercent"}},
		{"highestCommittedUSN", []string{fmt.Sprint(s.usn)}},
		{"supportedSASLMechanisms", []string{"GSSAPI", "GSS-SPNEGO", "EXTERNAL", "DIGEST-MD5"}},
		{"dnsHostName", []string{fqdn}},
		{"ldapServiceName", []string{s.domain + ":" + strings.ToLower(s.host) + "$@" + strings.ToUpper(s.domain)}},
		{"serverName", []string{"CN=" + s.host + ",CN=Servers," + site}},
		{"supportedCapabilities", []string{"1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670", "1.2.840.113556.1.4.1791",
			"1.2.840.113556.1.4.1935", "1.2.840.113556.1.4.2080", "1.2.840.113556.1.4.2237"}},
		{"isSynchronized", []string{"TRUE"}},
		{"isGlobalCatalogReady", []string{"TRUE"}},
		{"domainFunctionality", []string{"7"}},
		{"forestFunctionality", []string{"7"}},
		{"domainControllerFunctionality", []string{"7"}},
	}
}
