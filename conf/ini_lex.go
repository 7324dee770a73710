package conf

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxINISize is the largest accepted deployment INI, in bytes of UTF-8 (config.md §3).
const MaxINISize = 524288

// ConfigError is a configuration error whose message is the exact, user-facing text of config.md.
// The CLI prints Msg verbatim and exits with status 2; the API returns it as the error detail.
type ConfigError struct {
	Msg string
}

// Error returns the exact message.
func (e *ConfigError) Error() string { return e.Msg }

// cfgErr builds a *ConfigError from a format string.
func cfgErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// iniKey is one key line of a section (value includes continuation lines).
type iniKey struct {
	key   string // lower-cased
	value string
	line  int
}

// iniSection is one section of the parsed file, keys in file order.
type iniSection struct {
	name string
	line int
	keys []iniKey
}

// get returns the value of key k.
func (s *iniSection) get(k string) (string, bool) {
	for _, kv := range s.keys {
		if kv.key == k {
			return kv.value, true
		}
	}
	return "", false
}

// has reports whether key k is set in the section.
func (s *iniSection) has(k string) bool {
	_, ok := s.get(k)
	return ok
}

// lineKind classifies one physical line for the lexer.
type lineKind int

const (
	lineBlank lineKind = iota
	lineComment
	lineHeader
	lineOther
)

// classifyLine returns the kind of a line and, for a header, its trimmed name.
func classifyLine(line string) (lineKind, string) {
	t := strings.TrimSpace(line)
	switch {
	case t == "":
		return lineBlank, ""
	case t[0] == '#' || t[0] == ';':
		return lineComment, ""
	case len(t) >= 2 && t[0] == '[' && t[len(t)-1] == ']':
		return lineHeader, strings.TrimSpace(t[1 : len(t)-1])
	}
	return lineOther, ""
}

// normaliseNewlines turns CRLF and lone CR into LF.
func normaliseNewlines(text string) string {
	if !strings.Contains(text, "\r") {
		return text
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.ReplaceAll(text, "\r", "\n")
}

// lexINI performs content validation (config.md §3) and the lexical parse (§2). It returns the sections in file
// order; the [DEFAULT] section, if any, is among them under its literal name.
func lexINI(text string) ([]*iniSection, error) {
	if len(text) > MaxINISize {
		return nil, cfgErr("INI content is too large (max 512KB)")
	}
	if strings.TrimSpace(text) == "" {
		return nil, cfgErr("INI content is empty")
	}
	text = strings.TrimPrefix(normaliseNewlines(text), "\uFEFF")
	lines := strings.Split(text, "\n")

	// Rows 3 and 4: the first content line must exist and be a header.
	first := -1
	for i, l := range lines {
		if k, _ := classifyLine(l); k != lineBlank && k != lineComment {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, cfgErr("The provided INI content must contain at least one section (no sections found)")
	}
	if k, _ := classifyLine(lines[first]); k != lineHeader {
		return nil, cfgErr("Invalid INI format: no sections found")
	}
	// Row 5: every other lexical problem, UTF-8 first.
	if !utf8.ValidString(text) {
		return nil, cfgErr("Invalid INI format: content is not valid UTF-8")
	}

	var (
		sections []*iniSection
		names    = map[string]bool{}
		cur      *iniSection
		keySeen  map[string]bool
		// parts of the value being built (continuations appended), or nil when no key line is open.
		parts []string
	)
	flush := func() {
		if parts != nil {
			cur.keys[len(cur.keys)-1].value = strings.Join(parts, "\n")
			parts = nil
		}
	}
	for i, l := range lines {
		n := i + 1
		kind, name := classifyLine(l)
		if kind == lineBlank || kind == lineComment {
			flush()
			continue
		}
		if parts != nil && (l[0] == ' ' || l[0] == '\t') {
			parts = append(parts, strings.TrimSpace(l))
			continue
		}
		flush()
		if kind == lineHeader {
			if name == "" {
				return nil, cfgErr("Invalid INI format: line %d: empty section name", n)
			}
			if names[name] {
				return nil, cfgErr("Invalid INI format: line %d: duplicate section '[%s]'", n, name)
			}
			names[name] = true
			cur = &iniSection{name: name, line: n}
			keySeen = map[string]bool{}
			sections = append(sections, cur)
			continue
		}
		t := strings.TrimSpace(l)
		sep := strings.IndexAny(t, "=:")
		if sep < 0 {
			return nil, cfgErr("Invalid INI format: line %d: expected 'key = value'", n)
		}
		key := strings.ToLower(strings.TrimSpace(t[:sep]))
		if key == "" {
			return nil, cfgErr("Invalid INI format: line %d: empty key", n)
		}
		if keySeen[key] {
			return nil, cfgErr("Invalid INI format: line %d: duplicate key '%s' in section '[%s]'", n, key, cur.name)
		}
		keySeen[key] = true
		cur.keys = append(cur.keys, iniKey{key: key, line: n})
		parts = []string{strings.TrimSpace(t[sep+1:])}
	}
	flush()
	return sections, nil
}
