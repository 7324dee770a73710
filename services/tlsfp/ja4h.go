package tlsfp

import (
	"slices"
	"strings"
)

// Header is one request header as sent (name case kept).
type Header struct {
	Name  string
	Value string
}

// HTTPRequest is what JA4H reads from a request: method, protocol version and headers in wire order.
type HTTPRequest struct {
	Method  string
	Proto   string   // "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3" (also "HTTP/2.0")
	Headers []Header // wire order; HTTP/2 pseudo-headers (":…") are skipped
}

func ja4hVersion(proto string) string {
	switch strings.ToUpper(proto) {
	case "HTTP/1.0":
		return "10"
	case "HTTP/1.1":
		return "11"
	case "HTTP/2", "HTTP/2.0":
		return "20"
	case "HTTP/3", "HTTP/3.0":
		return "30"
	}
	return "00"
}

// ja4hLang derives the 4-character language code of an Accept-Language value.
func ja4hLang(v string) string {
	if v == "" {
		return "0000"
	}
	v = strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(v, "-", ""), ";", ","))
	first, _, _ := strings.Cut(v, ",")
	first = strings.TrimSpace(first)
	if len(first) > 4 {
		first = first[:4]
	}
	return first + strings.Repeat("0", 4-len(first))
}

// CookiePairs splits a Cookie header value into name=value pairs (trimmed, empty items dropped).
func CookiePairs(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// JA4H returns the FoxIO JA4H fingerprint a_b_c_d of an HTTP request.
func JA4H(r HTTPRequest) string {
	method := strings.ToLower(r.Method)
	if len(method) > 2 {
		method = method[:2]
	}
	for len(method) < 2 {
		method += "0"
	}
	var names []string
	var cookies []string
	hasCookie, hasReferer := false, false
	lang := ""
	for _, h := range r.Headers {
		if strings.HasPrefix(h.Name, ":") {
			continue
		}
		switch strings.ToLower(h.Name) {
		case "cookie":
			hasCookie = true
			cookies = append(cookies, CookiePairs(h.Value)...)
			continue
		case "referer":
			hasReferer = true
			continue
		case "accept-language":
			if lang == "" {
				lang = h.Value
			}
		}
		names = append(names, h.Name)
	}
	a := method + ja4hVersion(r.Proto)
	a += map[bool]string{true: "c", false: "n"}[hasCookie]
	a += map[bool]string{true: "r", false: "n"}[hasReferer]
	a += count2(len(names)) + ja4hLang(lang)
	b := "000000000000"
	if len(names) > 0 {
		b = hash12(strings.Join(names, ","))
	}
	c, d := "000000000000", "000000000000"
	if len(cookies) > 0 {
		slices.SortStableFunc(cookies, func(x, y string) int {
			xn, _, _ := strings.Cut(x, "=")
			yn, _, _ := strings.Cut(y, "=")
			return strings.Compare(xn, yn)
		})
		cnames := make([]string, len(cookies))
		for i, p := range cookies {
			cnames[i], _, _ = strings.Cut(p, "=")
		}
		slices.Sort(cnames)
		c = hash12(strings.Join(cnames, ","))
		d = hash12(strings.Join(cookies, ","))
	}
	return a + "_" + b + "_" + c + "_" + d
}
