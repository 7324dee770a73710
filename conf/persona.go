package conf

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// b64Prefix marks a textarea value that is base64-encoded UTF-8 (catalog §0).
const b64Prefix = "b64:"

// personaPrefix returns the "[<section>] " prefix of persona errors, or "" for the JSON form.
func personaPrefix(section string) string {
	if section == "" {
		return ""
	}
	return "[" + section + "] "
}

// ParsePersonaValue types one raw persona value against its key's schema (catalog §0, config.md §5).
// section is the INI section name used in error messages ("" omits the "[section] " prefix). An empty raw value
// means "not set" and yields set == false. Values: int → int, float → float64, bool → bool, string, password and
// textarea → string (textarea: a "b64:" prefix is strictly base64-decoded to UTF-8), enum → string,
// multi_enum → []string. extra_headers must hold a JSON object of strings.
func ParsePersonaValue(section string, k PersonaKey, raw string) (value any, set bool, err error) {
	if raw == "" {
		return nil, false, nil
	}
	pfx := personaPrefix(section)
	switch k.Type {
	case TypeInt:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return nil, false, cfgErr("%s%s: expected int, got '%s'", pfx, k.Key, raw)
		}
		return n, true, nil
	case TypeFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, cfgErr("%s%s: expected float, got '%s'", pfx, k.Key, raw)
		}
		return f, true, nil
	case TypeBool:
		b, ok := parseBool(raw)
		if !ok {
			return nil, false, cfgErr("%s%s: expected bool, got '%s'", pfx, k.Key, raw)
		}
		return b, true, nil
	case TypeEnum:
		if !slices.Contains(k.Values, raw) {
			return nil, false, notAllowed(pfx, k, raw)
		}
		return raw, true, nil
	case TypeMultiEnum:
		return parseMultiEnum(pfx, k, strings.Split(raw, ","))
	case TypeTextarea:
		s := raw
		if payload, ok := strings.CutPrefix(raw, b64Prefix); ok {
			b, err := base64.StdEncoding.Strict().DecodeString(payload)
			if err != nil || !utf8.Valid(b) {
				return nil, false, cfgErr("%s%s: malformed b64: payload", pfx, k.Key)
			}
			s = string(b)
		}
		if k.Key == "extra_headers" && !isJSONObjectOfStrings(s) {
			return nil, false, cfgErr("%sextra_headers: expected a JSON object of strings", pfx)
		}
		return s, true, nil
	default: // string, password
		return raw, true, nil
	}
}

// parseBool accepts true/1/yes/on and false/0/no/off, case-insensitively.
func parseBool(raw string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}

func notAllowed(pfx string, k PersonaKey, v string) error {
	return cfgErr("%s%s: '%s' not in allowed values [%s]", pfx, k.Key, v, strings.Join(k.Values, ", "))
}

// parseMultiEnum trims items, drops empty ones, de-duplicates keeping first-seen order and checks each value.
func parseMultiEnum(pfx string, k PersonaKey, items []string) (any, bool, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" || seen[it] {
			continue
		}
		seen[it] = true
		if !slices.Contains(k.Values, it) {
			return nil, false, notAllowed(pfx, k, it)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, false, cfgErr("%s%s: at least one value required", pfx, k.Key)
	}
	return out, true, nil
}

// isJSONObjectOfStrings reports whether s is a JSON object whose values are all strings.
func isJSONObjectOfStrings(s string) bool {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, x := range m {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}

// ValidatePersona validates the JSON form of a service persona (`decky serve --persona '{...}'`, the API) and
// returns the typed values. Keys must be persona keys of the built-in service; JSON strings are parsed like INI
// values, JSON numbers and booleans are accepted where the key's type fits, arrays of strings for multi_enum keys,
// and an object of strings for extra_headers. null and "" values mean "not set" and are dropped. Already-typed
// values (int, float64, bool, []string) are accepted, so the function is idempotent on its own output.
func ValidatePersona(service string, m map[string]any) (map[string]any, error) {
	svc, ok := LookupService(service)
	if !ok {
		return nil, cfgErr("unknown service '%s'", service)
	}
	out := make(map[string]any, len(m))
	if len(m) == 0 {
		return out, nil
	}
	if len(svc.Persona) == 0 {
		return nil, cfgErr("service '%s' has no configurable keys", service)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		pk, ok := svc.Key(key)
		if !ok {
			return nil, cfgErr("unknown key '%s' for service '%s'; accepted keys: %s",
				key, service, strings.Join(svc.KeyNames(), ", "))
		}
		v, set, err := personaJSONValue(pk, m[key])
		if err != nil {
			return nil, err
		}
		if set {
			out[key] = v
		}
	}
	return out, nil
}

// personaJSONValue types one decoded JSON value.
func personaJSONValue(k PersonaKey, v any) (any, bool, error) {
	mismatch := func() (any, bool, error) {
		b, _ := json.Marshal(v)
		return nil, false, cfgErr("%s: expected %s, got %s", k.Key, k.Type, truncate(string(b), 64))
	}
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		return ParsePersonaValue("", k, x)
	case json.Number:
		if k.Type != TypeInt && k.Type != TypeFloat {
			return mismatch()
		}
		return ParsePersonaValue("", k, x.String())
	case bool:
		if k.Type != TypeBool {
			return mismatch()
		}
		return x, true, nil
	case int:
		if k.Type == TypeFloat {
			return float64(x), true, nil
		}
		if k.Type != TypeInt {
			return mismatch()
		}
		return x, true, nil
	case float64:
		switch k.Type {
		case TypeFloat:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return mismatch()
			}
			return x, true, nil
		case TypeInt:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, false, cfgErr("%s: expected int, got '%v'", k.Key, x)
			}
			return int(x), true, nil
		}
		return mismatch()
	case []string:
		if k.Type != TypeMultiEnum {
			return mismatch()
		}
		return parseMultiEnum("", k, x)
	case []any:
		if k.Type != TypeMultiEnum {
			return mismatch()
		}
		items := make([]string, len(x))
		for i, it := range x {
			s, ok := it.(string)
			if !ok {
				return mismatch()
			}
			items[i] = s
		}
		return parseMultiEnum("", k, items)
	case map[string]any:
		if k.Key != "extra_headers" {
			return mismatch()
		}
		for _, hv := range x {
			if _, ok := hv.(string); !ok {
				return nil, false, cfgErr("extra_headers: expected a JSON object of strings")
			}
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, false, fmt.Errorf("encode extra_headers: %w", err)
		}
		return string(b), true, nil
	}
	return mismatch()
}

// truncate shortens s to at most n bytes for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
