package shell

import (
	"errors"
	"strings"
)

// Limits of the command-line parser: longer input is truncated, more words are dropped.
const (
	MaxLineBytes = 8192
	MaxWords     = 512
)

// Command is one simple command of a pipeline.
type Command struct {
	Args    []string
	Stdout  string // redirect target of `>`/`>>` ("" = none)
	Append  bool   // `>>`
	Stdin   string // `<` source ("" = none)
	NoErr   bool   // `2>/dev/null`
	Assigns []string
}

// Pipeline is commands joined by `|`, with the operator that precedes it (`""`, `;`, `&&`, `||`).
type Pipeline struct {
	Op   string
	Cmds []Command
}

// ErrUnterminated reports an unterminated quote; its text names the missing quote like bash.
type ErrUnterminated struct{ Quote byte }

func (e ErrUnterminated) Error() string {
	return "unexpected EOF while looking for matching `" + string(e.Quote) + "'"
}

// ErrSyntax reports an operator in the wrong place, like bash's "syntax error near unexpected token".
type ErrSyntax struct{ Token string }

func (e ErrSyntax) Error() string { return "syntax error near unexpected token `" + e.Token + "'" }

type token struct {
	s  string
	op bool
}

// Parse splits a command line into pipelines. lookup expands $VAR, ${VAR}, $? and $$ (outside single
// quotes); nil lookup expands to "". It never fails on any input other than an unterminated quote or a
// misplaced operator, and bounds its work by MaxLineBytes and MaxWords.
func Parse(line string, lookup func(string) string) ([]Pipeline, error) {
	if len(line) > MaxLineBytes {
		line = line[:MaxLineBytes]
	}
	if lookup == nil {
		lookup = func(string) string { return "" }
	}
	toks, err := tokenize(line, lookup)
	if err != nil {
		return nil, err
	}
	var (
		out  []Pipeline
		cur  = Pipeline{}
		cmd  Command
		used bool // cmd has content
	)
	flushCmd := func(tok string) error {
		if !used {
			return ErrSyntax{tok}
		}
		cur.Cmds = append(cur.Cmds, cmd)
		cmd, used = Command{}, false
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.op {
			if len(cmd.Args) == 0 && isAssign(t.s) {
				cmd.Assigns = append(cmd.Assigns, t.s)
			} else {
				cmd.Args = append(cmd.Args, t.s)
			}
			used = true
			continue
		}
		switch t.s {
		case ">", ">>", "<", "2>", "&>", "2>>":
			if i+1 >= len(toks) || toks[i+1].op {
				next := "newline"
				if i+1 < len(toks) {
					next = toks[i+1].s
				}
				return nil, ErrSyntax{next}
			}
			target := toks[i+1].s
			i++
			switch t.s {
			case ">", ">>":
				cmd.Stdout, cmd.Append = target, t.s == ">>"
			case "&>":
				cmd.Stdout, cmd.NoErr = target, true
			case "<":
				cmd.Stdin = target
			default:
				cmd.NoErr = target == "/dev/null"
			}
			used = true
		case "2>&1":
		case "|":
			if err := flushCmd(t.s); err != nil {
				return nil, err
			}
		default: // ; && || &
			if !used && len(cur.Cmds) == 0 {
				return nil, ErrSyntax{t.s}
			}
			if err := flushCmd(t.s); err != nil {
				return nil, err
			}
			out = append(out, cur)
			op := t.s
			if op == "&" {
				op = ";"
			}
			cur = Pipeline{Op: op}
		}
	}
	if used {
		cur.Cmds = append(cur.Cmds, cmd)
	} else if len(cur.Cmds) > 0 {
		return nil, ErrSyntax{"newline"}
	}
	if len(cur.Cmds) > 0 {
		out = append(out, cur)
	} else if cur.Op == "&&" || cur.Op == "||" {
		return nil, ErrSyntax{"newline"}
	}
	return out, nil
}

func isAssign(s string) bool {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		if !isNameByte(s[j], j == 0) {
			return false
		}
	}
	return true
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

var errTooMany = errors.New("too many words")

func tokenize(line string, lookup func(string) string) ([]token, error) {
	var (
		toks []token
		word strings.Builder
		have bool
	)
	end := func() error {
		if have {
			if len(toks) >= MaxWords {
				return errTooMany
			}
			toks = append(toks, token{s: word.String()})
			word.Reset()
			have = false
		}
		return nil
	}
	op := func(s string) error {
		if err := end(); err != nil {
			return err
		}
		if len(toks) >= MaxWords {
			return errTooMany
		}
		toks = append(toks, token{s: s, op: true})
		return nil
	}
	var err error
	for i := 0; i < len(line) && err == nil; i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			err = end()
		case c == '#' && !have:
			i = len(line)
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, ErrUnterminated{'\''}
			}
			word.WriteString(line[i+1 : i+1+j])
			have = true
			i += j + 1
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch {
				case line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0:
					i++
					word.WriteByte(line[i])
				case line[i] == '$':
					v, n := expand(line[i:], lookup)
					word.WriteString(v)
					i += n - 1
				default:
					word.WriteByte(line[i])
				}
			}
			if i >= len(line) {
				return nil, ErrUnterminated{'"'}
			}
			have = true
		case c == '\\':
			if i+1 < len(line) {
				i++
				word.WriteByte(line[i])
			}
			have = true
		case c == '$':
			v, n := expand(line[i:], lookup)
			word.WriteString(v)
			i += n - 1
			have = true
		case c == ';':
			err = op(";")
		case c == '|':
			if i+1 < len(line) && line[i+1] == '|' {
				i++
				err = op("||")
			} else {
				err = op("|")
			}
		case c == '&':
			switch {
			case i+1 < len(line) && line[i+1] == '&':
				i++
				err = op("&&")
			case i+1 < len(line) && line[i+1] == '>':
				i++
				err = op("&>")
			default:
				err = op("&")
			}
		case c == '>':
			if word.String() == "2" && have {
				word.Reset()
				have = false
				switch {
				case strings.HasPrefix(line[i:], ">&1"):
					i += 2
					err = op("2>&1")
				case strings.HasPrefix(line[i:], ">>"):
					i++
					err = op("2>>")
				default:
					err = op("2>")
				}
				continue
			}
			if i+1 < len(line) && line[i+1] == '>' {
				i++
				err = op(">>")
			} else {
				err = op(">")
			}
		case c == '<':
			err = op("<")
		default:
			word.WriteByte(c)
			have = true
		}
	}
	if err == nil {
		err = end()
	}
	if err != nil && err != errTooMany {
		return nil, err
	}
	return toks, nil
}

// expand reads a $-expression at the start of s and returns its value and length consumed.
func expand(s string, lookup func(string) string) (string, int) {
	if len(s) < 2 {
		return "$", 1
	}
	switch c := s[1]; {
	case c == '?' || c == '$' || c == '#' || c >= '0' && c <= '9':
		return lookup(string(c)), 2
	case c == '{':
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return s, len(s)
		}
		return lookup(s[2:j]), j + 1
	case isNameByte(c, true):
		j := 2
		for j < len(s) && isNameByte(s[j], false) {
			j++
		}
		return lookup(s[1:j]), j
	}
	return "$", 1
}
