package conf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxAmount is the largest fan-out count of one decky section (config.md §4.2).
const MaxAmount = 100

// MaxDeckyNameLen is the longest accepted decky name (config.md §4.2).
const MaxDeckyNameLen = 128

var (
	customNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// ValidDeckyName reports whether name is an acceptable decky name: ^[A-Za-z0-9._-]+$ and at most 128 characters.
func ValidDeckyName(name string) bool {
	if name == "" || len(name) > MaxDeckyNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

const (
	sectionGeneral = "general"
	sectionDefault = "DEFAULT"
	customPrefix   = "custom-"
)

// deckyKeys are the canonical keys of a decky section; deckyAliases maps alias → canonical.
var (
	deckyKeys    = []string{"amount", "archetype", "ip", "mutate_interval", "nmap_os", "services"}
	deckyAliases = map[string]string{"nmap-os": "nmap_os", "mutate-interval": "mutate_interval"}
)

// LoadFile reads and loads a deployment INI file. A missing file yields `Config file not found: <path>`.
func LoadFile(path string) (*Deployment, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, cfgErr("Config file not found: %s", path)
		}
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	defer f.Close()
	// Read one byte past the limit so that the size check of Load still fires without reading huge files.
	b, err := io.ReadAll(io.LimitReader(f, MaxINISize+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return Load(string(b))
}

// Load validates a deployment INI (config.md §1–§5) and returns its general settings, the deckies after fan-out
// (without IPs, distros or hostnames, which the fleet planner assigns) and the custom services. Every error is a
// *ConfigError carrying the exact text of config.md; the first error in pipeline order is returned.
func Load(text string) (*Deployment, error) {
	secs, err := lexINI(text)
	if err != nil {
		return nil, err
	}
	l := newLoader(secs)
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.dep, nil
}

// personaSection is a validated [<target>.<svc>] section awaiting application.
type personaSection struct {
	svc    string
	values map[string]any
}

// loader holds the state of one Load call.
type loader struct {
	secs     []*iniSection
	defaults *iniSection
	builtin  map[string]bool
	custom   map[string]bool // custom names declared in the file (valid, non-clashing)
	// customPorts are the leniently parsed TCP ports of each custom service, for port-conflict checks.
	customPorts map[string][]int
	// singles and groups are pre-computed from every decky section, for persona target resolution: singles are
	// amount=1 sections (decky name = section name); groups map amount>1 sections to their amount, and sections
	// with an invalid amount to 0 (they report their own error at their place).
	singles map[string]bool
	groups  map[string]int
	total   int // deckies the file would produce (capacity hint)

	dep        *Deployment
	produced   map[string]bool
	groupLevel map[string][]personaSection // section name → group-level personas
	deckyLevel map[string][]personaSection // decky name → decky-level personas
	nDecky     int
}

func newLoader(secs []*iniSection) *loader {
	l := &loader{
		secs:        secs,
		builtin:     map[string]bool{},
		custom:      map[string]bool{},
		customPorts: map[string][]int{},
		singles:     map[string]bool{},
		groups:      map[string]int{},
		dep:         &Deployment{Deckies: []DeckySpec{}, Custom: []CustomService{}},
		produced:    map[string]bool{},
		groupLevel:  map[string][]personaSection{},
		deckyLevel:  map[string][]personaSection{},
	}
	for _, s := range ServiceSlugs() {
		l.builtin[s] = true
	}
	// Pre-scan: custom service names (needed for classification and services=) and their ports.
	for _, s := range secs {
		if s.name == sectionDefault {
			l.defaults = s
		}
		name, ok := strings.CutPrefix(s.name, customPrefix)
		if ok && customNameRE.MatchString(name) && !l.builtin[name] {
			l.custom[name] = true
			if v, ok := s.get("ports"); ok {
				ports, _ := parsePorts(v)
				l.customPorts[name] = ports
			}
		}
	}
	// Pre-scan: decky names and groups, for persona target resolution at the persona section's place.
	for _, s := range secs {
		if l.kind(s) != kindDecky {
			continue
		}
		raw, ok := l.deckyValue(s, "amount")
		if !ok {
			l.singles[s.name] = true
			l.total++
			continue
		}
		n, err := parseAmount(s.name, raw)
		switch {
		case err != nil:
			l.groups[s.name] = 0
		case n == 1:
			l.singles[s.name] = true
		default:
			l.groups[s.name] = n
		}
		l.total += n
	}
	l.dep.Deckies = make([]DeckySpec, 0, l.total)
	return l
}

// isDeckyName reports whether the file produces a decky named target: an amount=1 section, or a fan-out member
// `<group>-NN` with a valid index. Fan-out names are not materialised, so huge files stay cheap.
func (l *loader) isDeckyName(target string) bool {
	if l.singles[target] {
		return true
	}
	for i := len(target) - 1; i > 0; i-- {
		if target[i] != '-' {
			continue
		}
		n, err := strconv.Atoi(target[i+1:])
		if err != nil || n < 1 {
			continue
		}
		if amount := l.groups[target[:i]]; n <= amount && fanoutName(target[:i], n) == target {
			return true
		}
	}
	return false
}

type sectionKind int

const (
	kindGeneral sectionKind = iota
	kindDefault
	kindPersona
	kindCustom
	kindDecky
)

// hasGroup reports whether target is a decky section with amount > 1 (or an invalid amount).
func (l *loader) hasGroup(target string) bool {
	_, ok := l.groups[target]
	return ok
}

// kind classifies a section (config.md §4).
func (l *loader) kind(s *iniSection) sectionKind {
	switch s.name {
	case sectionGeneral:
		return kindGeneral
	case sectionDefault:
		return kindDefault
	}
	if i := strings.LastIndexByte(s.name, '.'); i >= 0 {
		if svc := s.name[i+1:]; l.builtin[svc] || l.custom[svc] {
			return kindPersona
		}
	}
	if strings.HasPrefix(s.name, customPrefix) {
		return kindCustom
	}
	return kindDecky
}

// deckyValue returns the value of a canonical decky key, looking at the key, its alias and [DEFAULT] inheritance.
// It is lenient (used by the pre-scan); validation reports alias conflicts.
func (l *loader) deckyValue(s *iniSection, canon string) (string, bool) {
	for _, kv := range l.deckyKeyValues(s) {
		if kv.key == canon || deckyAliases[kv.key] == canon {
			return kv.value, true
		}
	}
	return "", false
}

// deckyKeyValues returns a decky section's own keys followed by the [DEFAULT] keys it inherits: a default key is
// inherited unless the section sets that key or its alias/canonical counterpart.
func (l *loader) deckyKeyValues(s *iniSection) []iniKey {
	if l.defaults == nil || len(l.defaults.keys) == 0 {
		return s.keys
	}
	canon := func(k string) string {
		if c, ok := deckyAliases[k]; ok {
			return c
		}
		return k
	}
	own := map[string]bool{}
	for _, kv := range s.keys {
		own[canon(kv.key)] = true
	}
	out := slices.Clone(s.keys)
	for _, kv := range l.defaults.keys {
		if !own[canon(kv.key)] {
			out = append(out, kv)
		}
	}
	return out
}

// run validates every section in file order, then applies personas.
func (l *loader) run() error {
	for _, s := range l.secs {
		var err error
		switch l.kind(s) {
		case kindGeneral:
			err = l.general(s)
		case kindDefault:
			// validated through the decky sections that inherit its keys
		case kindPersona:
			err = l.persona(s)
		case kindCustom:
			err = l.customSection(s)
		case kindDecky:
			err = l.decky(s)
		}
		if err != nil {
			return err
		}
	}
	if l.nDecky == 0 {
		return cfgErr("INI must contain at least one decky section")
	}
	for i := range l.dep.Deckies {
		d := &l.dep.Deckies[i]
		for _, p := range l.groupLevel[d.Section] {
			mergePersona(d.ServiceConfig, p)
		}
		for _, p := range l.deckyLevel[d.Name] {
			mergePersona(d.ServiceConfig, p)
		}
	}
	return nil
}

func mergePersona(dst map[string]map[string]any, p personaSection) {
	m := dst[p.svc]
	if m == nil {
		m = map[string]any{}
		dst[p.svc] = m
	}
	for k, v := range p.values {
		m[k] = v
	}
}

// general validates [general] (config.md §4.1).
func (l *loader) general(s *iniSection) error {
	for _, kv := range s.keys {
		switch kv.key {
		case "net", "gw", "interface", "mutate_interval", "mutate-interval":
		default:
			return cfgErr("[general] unknown key '%s'; accepted keys: gw, interface, mutate_interval, net", kv.key)
		}
	}
	if s.has("mutate_interval") && s.has("mutate-interval") {
		return cfgErr("[general] both mutate_interval and mutate-interval are set; use one")
	}
	g := &l.dep.General
	if raw, ok := s.get("net"); ok {
		p, err := netip.ParsePrefix(raw)
		if err != nil || !p.Addr().Is4() {
			return cfgErr("[general] net= must be an IPv4 CIDR, got '%s'", raw)
		}
		g.Net = p.Masked()
	}
	if raw, ok := s.get("gw"); ok {
		a, err := netip.ParseAddr(raw)
		if err != nil || !a.Is4() {
			return cfgErr("[general] gw= must be an IPv4 address, got '%s'", raw)
		}
		if g.Net.IsValid() && !g.Net.Contains(a) {
			return cfgErr("[general] gw=%s is not inside %s", a, g.Net)
		}
		g.Gateway = a
	}
	if raw, ok := s.get("interface"); ok {
		g.Interface = raw // empty = not set
	}
	for _, k := range []string{"mutate_interval", "mutate-interval"} {
		if raw, ok := s.get(k); ok {
			n, err := parseInterval("general", raw)
			if err != nil {
				return err
			}
			g.MutateInterval = &n
		}
	}
	return nil
}

// parseAmount validates amount= (config.md §4.2).
func parseAmount(sec, raw string) (int, error) {
	digits := raw != ""
	for _, c := range raw {
		if c < '0' || c > '9' {
			digits = false
			break
		}
	}
	if !digits {
		return 0, cfgErr("[%s] amount= must be a positive integer, got '%s'", sec, raw)
	}
	trimmed := strings.TrimLeft(raw, "0")
	if trimmed == "" {
		return 0, cfgErr("[%s] amount= must be a positive integer, got '%s'", sec, raw)
	}
	if len(trimmed) > 9 {
		return 0, cfgErr("[%s] amount=%s exceeds maximum allowed (%d).", sec, trimmed, MaxAmount)
	}
	n, _ := strconv.Atoi(trimmed)
	if n > MaxAmount {
		return 0, cfgErr("[%s] amount=%d exceeds maximum allowed (%d).", sec, n, MaxAmount)
	}
	return n, nil
}

// parseInterval validates a mutate_interval value in minutes.
func parseInterval(sec, raw string) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, cfgErr("[%s] mutate_interval= must be an integer, got '%s'", sec, raw)
	}
	if n < 1 {
		return 0, cfgErr("[%s] mutate_interval= must be at least 1, got '%s'", sec, raw)
	}
	return n, nil
}

// fanoutName returns the i-th (1-based) member name of a fanned-out section.
func fanoutName(sec string, i int) string { return fmt.Sprintf("%s-%02d", sec, i) }

// quotedList renders names as ['a', 'b'].
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// decky validates a decky section and appends its fan-out members (config.md §4.2, §5).
func (l *loader) decky(s *iniSection) error {
	kvs := l.deckyKeyValues(s)
	for _, kv := range kvs {
		if !slices.Contains(deckyKeys, kv.key) && deckyAliases[kv.key] == "" {
			return cfgErr("[%s] unknown key '%s'; accepted keys: %s", s.name, kv.key, strings.Join(deckyKeys, ", "))
		}
	}
	val := map[string]string{}
	set := map[string]bool{}
	for _, kv := range kvs {
		canon := kv.key
		if c, ok := deckyAliases[kv.key]; ok {
			canon = c
		}
		val[canon] = kv.value
		set[kv.key] = true
	}
	for _, alias := range []string{"nmap-os", "mutate-interval"} {
		if canon := deckyAliases[alias]; set[alias] && set[canon] {
			return cfgErr("[%s] both %s and %s are set; use one", s.name, canon, alias)
		}
	}

	amount := 1
	if raw, ok := val["amount"]; ok {
		n, err := parseAmount(s.name, raw)
		if err != nil {
			return err
		}
		amount = n
	}
	rawIP, hasIP := val["ip"]
	if hasIP && amount > 1 {
		return cfgErr("[%s] Cannot combine ip= with amount=%d. Remove ip= or use amount=1.", s.name, amount)
	}
	var interval *int
	if raw, ok := val["mutate_interval"]; ok {
		n, err := parseInterval(s.name, raw)
		if err != nil {
			return err
		}
		interval = &n
	}
	var ip netip.Addr
	if hasIP {
		a, err := netip.ParseAddr(rawIP)
		if err != nil || !a.Is4() {
			return cfgErr("[%s] ip= must be an IPv4 address, got '%s'", s.name, rawIP)
		}
		ip = a
	}
	archetype, hasArch := val["archetype"]
	if hasArch {
		if _, err := LookupArchetype(archetype); err != nil {
			return &ConfigError{Msg: err.Error()}
		}
	}
	nmapOS := val["nmap_os"]
	if nmapOS != "" && !IsOSFamily(nmapOS) {
		fams := slices.Sorted(slices.Values(OSFamilies))
		return cfgErr("[%s] nmap_os='%s' is not a known OS family. Available: %s", s.name, nmapOS, strings.Join(fams, ", "))
	}
	var svcs []string
	if raw := val["services"]; raw != "" {
		var err error
		if svcs, err = l.services(s.name, raw); err != nil {
			return err
		}
	}

	for i := 1; i <= amount; i++ {
		name := s.name
		if amount > 1 {
			name = fanoutName(s.name, i)
		}
		if !ValidDeckyName(name) {
			return cfgErr("[%s] invalid decky name '%s': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters", s.name, name)
		}
		if l.produced[name] {
			return cfgErr("duplicate decky name '%s'", name)
		}
		l.produced[name] = true
		d := DeckySpec{
			Name:          name,
			Section:       s.name,
			IP:            ip,
			Services:      slices.Clone(svcs),
			Archetype:     archetype,
			NmapOS:        nmapOS,
			ServiceConfig: map[string]map[string]any{},
		}
		if interval != nil {
			v := *interval
			d.MutateInterval = &v
		}
		l.dep.Deckies = append(l.dep.Deckies, d)
	}
	l.nDecky++
	return nil
}

// services parses and checks an explicit services= list: unknown names, then port conflicts.
func (l *loader) services(sec, raw string) ([]string, error) {
	var list, unknown []string
	seen := map[string]bool{}
	for _, item := range strings.Split(raw, ",") {
		item = strings.TrimSpace(item)
		if seen[item] {
			continue
		}
		seen[item] = true
		list = append(list, item)
		if !l.builtin[item] && !l.custom[item] {
			unknown = append(unknown, item)
		}
	}
	if len(unknown) > 0 {
		avail := ServiceSlugs()
		for c := range l.custom {
			avail = append(avail, c)
		}
		sort.Strings(avail)
		return nil, cfgErr("Unknown service(s) in [%s]: %s. Available: %s", sec, quotedList(unknown), quotedList(avail))
	}
	if err := l.portConflict(sec, list); err != nil {
		return nil, err
	}
	return list, nil
}

// portConflict reports the first proto/port declared by two services of the list. Services are scanned in list
// order, each one's TCP ports before its UDP ports. Custom services' ports are TCP. https' UDP 443 (only served with
// http/3) is not a declared port (catalog UDP list is empty) and so never conflicts; no other service declares UDP 443.
func (l *loader) portConflict(sec string, list []string) error {
	owner := map[string]string{}
	for _, svc := range list {
		var tcp, udp []int
		if b, ok := LookupService(svc); ok {
			tcp, udp = b.TCP, b.UDP
		} else {
			tcp = l.customPorts[svc]
		}
		for _, p := range []struct {
			proto string
			ports []int
		}{{"tcp", tcp}, {"udp", udp}} {
			for _, port := range p.ports {
				key := p.proto + "/" + strconv.Itoa(port)
				if o, ok := owner[key]; ok && o != svc {
					return cfgErr("Port conflict in [%s]: %s is declared by both '%s' and '%s'.", sec, key, o, svc)
				}
				owner[key] = svc
			}
		}
	}
	return nil
}

// persona validates a [<target>.<svc>] section (config.md §4.3) and records it for application.
func (l *loader) persona(s *iniSection) error {
	i := strings.LastIndexByte(s.name, '.')
	target, svc := s.name[:i], s.name[i+1:]
	var level map[string][]personaSection
	switch {
	case l.isDeckyName(target):
		level = l.deckyLevel
	case l.hasGroup(target):
		level = l.groupLevel
	default:
		return cfgErr("[%s] does not match any decky or decky group", s.name)
	}
	b, ok := LookupService(svc)
	if !ok || len(b.Persona) == 0 {
		return cfgErr("[%s] service '%s' has no configurable keys", s.name, svc)
	}
	values := map[string]any{}
	for _, kv := range s.keys {
		pk, ok := b.Key(kv.key)
		if !ok {
			return cfgErr("[%s] unknown key '%s' for service '%s'; accepted keys: %s",
				s.name, kv.key, svc, strings.Join(b.KeyNames(), ", "))
		}
		v, set, err := ParsePersonaValue(s.name, pk, kv.value)
		if err != nil {
			return err
		}
		if set {
			values[kv.key] = v
		}
	}
	level[target] = append(level[target], personaSection{svc: svc, values: values})
	return nil
}

// parsePorts parses a custom service's ports= list; it returns the valid ports and the first invalid token.
func parsePorts(raw string) ([]int, error) {
	ports := []int{}
	var bad error
	for _, tok := range strings.Split(raw, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		n, err := strconv.Atoi(tok)
		if err != nil || n < 1 || n > 65535 {
			if bad == nil {
				bad = errors.New(tok)
			}
			continue
		}
		ports = append(ports, n)
	}
	return ports, bad
}

// customSection validates a [custom-<name>] section (config.md §4.4).
func (l *loader) customSection(s *iniSection) error {
	name := strings.TrimPrefix(s.name, customPrefix)
	if !customNameRE.MatchString(name) {
		return cfgErr("[%s] invalid custom service name '%s'", s.name, name)
	}
	if l.builtin[name] {
		return cfgErr("[%s] name clashes with built-in service '%s'", s.name, name)
	}
	for _, kv := range s.keys {
		switch kv.key {
		case "binary", "exec", "ports":
		default:
			return cfgErr("[%s] unknown key '%s'; accepted keys: binary, exec, ports", s.name, kv.key)
		}
	}
	image, _ := s.get("binary")
	if image == "" {
		return cfgErr("[%s] binary= is required", s.name)
	}
	cs := CustomService{Name: name, Image: image, Exec: []string{}, Ports: []int{}}
	if raw, ok := s.get("exec"); ok {
		cs.Exec = append(cs.Exec, strings.Fields(raw)...)
	}
	if raw, ok := s.get("ports"); ok {
		ports, bad := parsePorts(raw)
		if bad != nil {
			return cfgErr("[%s] ports= contains an invalid port '%s'", s.name, bad.Error())
		}
		cs.Ports = ports
	}
	l.dep.Custom = append(l.dep.Custom, cs)
	return nil
}
