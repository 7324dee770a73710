package services

// Persona holds typed persona values (string, int, float64, bool, []string) validated against the
// service's schema; absent keys mean "use the derived default".
type Persona map[string]any

// String returns a string value, or def when unset.
func (p Persona) String(key, def string) string {
	if v, ok := p[key].(string); ok && v != "" {
		return v
	}
	return def
}

// Int returns an int value, or def when unset.
func (p Persona) Int(key string, def int) int {
	switch v := p[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return def
}

// Float returns a float value, or def when unset.
func (p Persona) Float(key string, def float64) float64 {
	switch v := p[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return def
}

// Bool returns a bool value, or def when unset.
func (p Persona) Bool(key string, def bool) bool {
	if v, ok := p[key].(bool); ok {
		return v
	}
	return def
}

// Strings returns a list value, or def when unset.
func (p Persona) Strings(key string, def []string) []string {
	switch v := p[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return def
}
