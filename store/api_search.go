package store

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SplitSearch splits a search string into tokens shell-style: double or single quotes group words, a backslash
// outside single quotes escapes the next character; with unbalanced quotes the string is split on whitespace.
func SplitSearch(q string) []string {
	var out []string
	var cur strings.Builder
	in := false // a token is open
	var quote byte
	esc := false
	// Byte-wise: every delimiter is ASCII, so multi-byte (or invalid) UTF-8 passes through unchanged.
	for i := 0; i < len(q); i++ {
		r := q[i]
		switch {
		case esc:
			cur.WriteByte(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteByte(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteByte(r)
			}
		case r == '\\':
			esc, in = true, true
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(r)
			in = true
		}
	}
	if quote != 0 || esc {
		return strings.Fields(q)
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

var fieldKeyStrip = regexp.MustCompile(`[^A-Za-z0-9_]`)

// LogFilter selects logs rows for /logs, /logs/histogram and /stream (spec/api.md §4).
type LogFilter struct {
	Search string     // key:value grammar
	Start  *time.Time // inclusive
	End    *time.Time // inclusive
}

// IsZero reports whether the filter selects every row.
func (f LogFilter) IsZero() bool {
	return strings.TrimSpace(f.Search) == "" && f.Start == nil && f.End == nil
}

// sqlBuilder accumulates a WHERE clause with positional parameters: values are never spliced into the SQL.
type sqlBuilder struct {
	conds []string
	args  []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *sqlBuilder) where() string {
	if len(b.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(b.conds, " AND ")
}

// likeEscape escapes LIKE metacharacters (backslash is PostgreSQL's default LIKE escape).
func likeEscape(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(clean(s)) + "%"
}

// tokenKind says how cheaply logs rows matching a token can be counted.
type tokenKind int

const (
	tokenCounted tokenKind = iota // decky, service or event equality: a column of log_counts (migration 4)
	tokenIndexed                  // attacker equality: narrowed by its index
	tokenScanned                  // field or free-text token: read from many rows
)

// tokenCond compiles one search token into a condition on logs.
func (b *sqlBuilder) tokenCond(tok string) (string, tokenKind) {
	key, val, ok := strings.Cut(tok, ":")
	if !ok || key == "" || val == "" {
		p := b.arg(likeEscape(tok))
		return "(raw_line ILIKE " + p + " OR decky ILIKE " + p + " OR service ILIKE " + p +
			" OR host(attacker_ip) ILIKE " + p + ")", tokenScanned
	}
	switch key {
	case "decky":
		return "decky = " + b.arg(clean(val)), tokenCounted
	case "service":
		return "service = " + b.arg(clean(val)), tokenCounted
	case "event":
		return "event_type = " + b.arg(clean(val)), tokenCounted
	case "attacker", "attacker-ip", "attacker_ip":
		ip, err := netip.ParseAddr(val)
		if err != nil {
			return "FALSE", tokenIndexed
		}
		return "attacker_ip = " + b.arg(ip.Unmap()), tokenIndexed
	default:
		k := fieldKeyStrip.ReplaceAllString(key, "")
		return "fields @> jsonb_build_object(" + b.arg(k) + "::text, " + b.arg(clean(val)) + "::text)", tokenScanned
	}
}

// addLogFilter compiles f into conditions on the logs table and returns how its rows are best counted.
func (b *sqlBuilder) addLogFilter(f LogFilter) countPlan {
	plan := countFromCounters
	for _, tok := range SplitSearch(f.Search) {
		cond, kind := b.tokenCond(tok)
		b.conds = append(b.conds, cond)
		switch {
		case kind == tokenScanned:
			plan = countRemembered
		case kind == tokenIndexed && plan == countFromCounters:
			plan = countDirect
		}
	}
	if f.Start != nil {
		b.conds = append(b.conds, "timestamp >= "+b.arg(f.Start.UTC()))
	}
	if f.End != nil {
		b.conds = append(b.conds, "timestamp <= "+b.arg(f.End.UTC()))
	}
	if plan == countFromCounters && (f.Start != nil || f.End != nil) {
		plan = countRemembered // log_counts has no time
	}
	return plan
}

// CompileLogFilter returns the WHERE clause and parameters of f (exported for tests and the benchmark).
func CompileLogFilter(f LogFilter) (string, []any) {
	var b sqlBuilder
	b.addLogFilter(f)
	return b.where(), b.args
}
