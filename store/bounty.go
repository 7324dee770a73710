package store

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/decnet/decnet/event"
)

// Bounty is one bounty row derived from a record (spec/events.md §6).
type Bounty struct {
	Type       string // fingerprint, ip_leak or artifact
	AttackerIP string
	Payload    []byte // JSON object
}

// DeriveBounties returns the bounty rows a record yields: the http_useragent fingerprint of a request carrying
// a User-Agent header, the vnc_client_version fingerprint, and file/mail artifacts of file_captured and
// message_stored events.
func DeriveBounties(r event.Record) []Bounty {
	var out []Bounty
	add := func(typ string, payload map[string]any) {
		b, err := json.Marshal(payload)
		if err != nil {
			return
		}
		out = append(out, Bounty{Type: typ, AttackerIP: r.AttackerIP, Payload: []byte(clean(string(b)))})
	}
	if h, ok := r.Fields["headers"]; ok && h != "" {
		var headers map[string]any
		if json.Unmarshal([]byte(h), &headers) == nil {
			keys := make([]string, 0, len(headers))
			for k := range headers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !strings.EqualFold(k, "User-Agent") {
					continue
				}
				ua, _ := headers[k].(string)
				cat, tool := ClassifyUserAgent(ua)
				p := map[string]any{"fingerprint_type": "http_useragent", "value": ua, "category": cat,
					"tool": nil, "signals": UserAgentSignals(ua), "method": r.Fields["method"], "path": r.Fields["path"]}
				if tool != "" {
					p["tool"] = tool
				}
				add("fingerprint", p)
				break
			}
		}
	}
	if r.EventType == "version" {
		if v, ok := r.Fields["client_version"]; ok {
			add("fingerprint", map[string]any{"fingerprint_type": "vnc_client_version", "value": v})
		}
	}
	if stored, ok := r.Fields["stored_as"]; ok && (r.EventType == "file_captured" || r.EventType == "message_stored") {
		var keys []string
		p := map[string]any{"stored_as": stored}
		if r.EventType == "file_captured" {
			p["kind"] = "file"
			keys = []string{"sha256", "size", "orig_path", "attribution", "writer_comm"}
		} else {
			p["kind"] = "mail"
			keys = []string{"sha256", "size", "subject", "from_hdr", "to_hdr", "mail_from", "rcpt_to",
				"attachment_count", "content_type"}
		}
		for _, k := range keys {
			if v, ok := r.Fields[k]; ok {
				p[k] = v
			}
		}
		add("artifact", p)
	}
	return out
}

var uaScanners = []string{"nmap", "masscan", "zgrab", "zmap", "Nuclei", "sqlmap", "gobuster", "dirbuster", "dirb",
	"nikto", "feroxbuster", "wfuzz", "ffuf", "wpscan", "katana", "Burp", "Acunetix", "Nessus", "OpenVAS", "Arachni",
	"WhatWeb", "Wappalyzer", "SploitScan"}

var uaCLI = []string{"curl", "Wget", "HTTPie", "xh", "fetch"}

var uaLibraries = []string{"python-requests", "python-urllib", "python-httpx", "aiohttp", "Go-http-client",
	"okhttp", "axios", "node-fetch", "undici", "libwww-perl", "Apache-HttpClient", "Java/", "Ruby", "Faraday",
	"GuzzleHttp", "reqwest", "libcurl", "PycURL", "Dart/"}

var uaBotWords = []string{"bot", "crawler", "spider", "slurp", "monitor"}

// ClassifyUserAgent returns the category (empty, scanner, cli, library, bot, browser, nonstandard) and the
// lower-cased tool token of a User-Agent value (spec/events.md §6).
func ClassifyUserAgent(ua string) (category, tool string) {
	lo := strings.ToLower(strings.TrimSpace(ua))
	if lo == "" {
		return "empty", ""
	}
	for _, s := range uaScanners {
		if strings.Contains(lo, strings.ToLower(s)) {
			return "scanner", strings.ToLower(s)
		}
	}
	for _, s := range uaCLI {
		l := strings.ToLower(s)
		if strings.HasPrefix(lo, l+"/") || strings.HasPrefix(lo, l+" ") || lo == l {
			return "cli", l
		}
	}
	for _, s := range uaLibraries {
		l := strings.ToLower(s)
		if strings.Contains(lo, l) {
			return "library", strings.TrimRight(l, "/")
		}
	}
	for _, w := range uaBotWords {
		if strings.Contains(lo, w) {
			return "bot", ""
		}
	}
	if strings.HasPrefix(ua, "Mozilla/") && len(ua) > 8 && ua[8] >= '0' && ua[8] <= '9' {
		return "browser", ""
	}
	return "nonstandard", ""
}

var uaInjection = []string{"<script", "';", "' or '", "' or 1", "1=1", "' --", "/../", "/etc/passwd", "${jndi:", "{{"}

// UserAgentSignals returns the suspicious signals of a User-Agent value.
func UserAgentSignals(ua string) []string {
	sig := []string{}
	n := len([]rune(ua))
	if n < 8 {
		sig = append(sig, "suspicious_short")
	}
	if n > 512 {
		sig = append(sig, "suspicious_long")
	}
	for _, c := range ua {
		if c < 32 && c != '\t' {
			sig = append(sig, "nonprintable")
			break
		}
	}
	lo := strings.ToLower(ua)
	for _, p := range uaInjection {
		if strings.Contains(lo, p) {
			sig = append(sig, "injection_like")
			break
		}
	}
	return sig
}
