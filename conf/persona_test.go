package conf

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func key(t *testing.T, svc, k string) PersonaKey {
	t.Helper()
	s, ok := LookupService(svc)
	if !ok {
		t.Fatalf("no service %s", svc)
	}
	pk, ok := s.Key(k)
	if !ok {
		t.Fatalf("no key %s.%s", svc, k)
	}
	return pk
}

func TestParsePersonaValue(t *testing.T) {
	tests := []struct {
		svc, key, raw string
		want          any
		set           bool
		err           string
	}{
		{"http", "response_code", "200", 200, true, ""},
		{"http", "response_code", "-1", -1, true, ""},
		{"http", "response_code", "2.5", nil, false, "[s] response_code: expected int, got '2.5'"},
		{"http", "response_code", "", nil, false, ""},
		{"dns", "forward_window", "1.5", 1.5, true, ""},
		{"dns", "forward_window", "3", 3.0, true, ""},
		{"dns", "forward_window", "NaN", nil, false, "[s] forward_window: expected float, got 'NaN'"},
		{"dns", "forward_window", "inf", nil, false, "[s] forward_window: expected float, got 'inf'"},
		{"rdp", "nla", "TRUE", true, true, ""},
		{"rdp", "nla", "1", true, true, ""},
		{"rdp", "nla", "Yes", true, true, ""},
		{"rdp", "nla", "on", true, true, ""},
		{"rdp", "nla", "False", false, true, ""},
		{"rdp", "nla", "0", false, true, ""},
		{"rdp", "nla", "NO", false, true, ""},
		{"rdp", "nla", "off", false, true, ""},
		{"rdp", "nla", "2", nil, false, "[s] nla: expected bool, got '2'"},
		{"ssh", "password", "S3cr%t", "S3cr%t", true, ""},
		{"ftp", "login", "accept", "accept", true, ""},
		{"ftp", "login", "Accept", nil, false, "[s] login: 'Accept' not in allowed values [random, accept, reject]"},
		{"https", "http_versions", "http/3,http/1.1,,http/3", []string{"http/3", "http/1.1"}, true, ""},
		{"https", "http_versions", ",", nil, false, "[s] http_versions: at least one value required"},
		{"https", "tls_cert", "b64:LS0tLS1CRUdJTg==", "-----BEGIN", true, ""},
		{"https", "tls_cert", "b64:LS0tLS1CRUdJTg", nil, false, "[s] tls_cert: malformed b64: payload"}, // missing padding
		{"https", "tls_cert", "b64:/w==", nil, false, "[s] tls_cert: malformed b64: payload"},           // not UTF-8
		{"https", "tls_cert", "plain text", "plain text", true, ""},
		{"http", "extra_headers", `{"X-A":"1","X-B":"two"}`, `{"X-A":"1","X-B":"two"}`, true, ""},
		{"http", "extra_headers", "b64:eyJYIjoiMSJ9", `{"X":"1"}`, true, ""},
		{"http", "extra_headers", `{"X":1}`, nil, false, "[s] extra_headers: expected a JSON object of strings"},
		{"http", "extra_headers", `null`, nil, false, "[s] extra_headers: expected a JSON object of strings"},
		{"http", "extra_headers", `{`, nil, false, "[s] extra_headers: expected a JSON object of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.svc+"."+tt.key+"="+tt.raw, func(t *testing.T) {
			v, set, err := ParsePersonaValue("s", key(t, tt.svc, tt.key), tt.raw)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || set != tt.set || !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("got (%#v, %v, %v), want (%#v, %v)", v, set, err, tt.want, tt.set)
			}
		})
	}
	// Without a section the "[s] " prefix is omitted.
	if _, _, err := ParsePersonaValue("", key(t, "http", "response_code"), "x"); err == nil || err.Error() != "response_code: expected int, got 'x'" {
		t.Fatalf("no section: %v", err)
	}
}

func TestValidatePersona(t *testing.T) {
	decode := func(s string) map[string]any {
		d := json.NewDecoder(strings.NewReader(s))
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		svc, in string
		want    map[string]any
		err     string
	}{
		{"http", `{"response_code":"404","server_header":"nginx","http_versions":["http/2","http/2"],"fake_app":"wordpress"}`,
			map[string]any{"response_code": 404, "server_header": "nginx", "http_versions": []string{"http/2"}, "fake_app": "wordpress"}, ""},
		{"http", `{"response_code":404,"custom_body":"","files":null}`, map[string]any{"response_code": 404}, ""},
		{"http", `{"http_versions":"http/1.1, http/2"}`, map[string]any{"http_versions": []string{"http/1.1", "http/2"}}, ""},
		{"http", `{"extra_headers":{"X-Powered-By":"PHP/7.4"}}`, map[string]any{"extra_headers": `{"X-Powered-By":"PHP/7.4"}`}, ""},
		{"http", `{"extra_headers":{"X":1}}`, nil, "extra_headers: expected a JSON object of strings"},
		{"http", `{"response_code":4.5}`, nil, "response_code: expected int, got '4.5'"},
		{"http", `{"response_code":true}`, nil, "response_code: expected int, got true"},
		{"http", `{"server_header":5}`, nil, "server_header: expected string, got 5"},
		{"http", `{"http_versions":[1]}`, nil, "http_versions: expected multi_enum, got [1]"},
		{"http", `{"kernel":"x"}`, nil, "unknown key 'kernel' for service 'http'; accepted keys: custom_body, extra_headers, fake_app, files, http_versions, response_code, server_header"},
		{"rdp", `{"nla":false}`, map[string]any{"nla": false}, ""},
		{"rdp", `{"nla":"off"}`, map[string]any{"nla": false}, ""},
		{"dns", `{"forward_window":2,"forward_budget":10}`, map[string]any{"forward_window": 2.0, "forward_budget": 10}, ""},
		{"mssql", `{}`, map[string]any{}, ""},
		{"mssql", `{"x":"y"}`, nil, "service 'mssql' has no configurable keys"},
		{"sniffer", `{}`, nil, "unknown service 'sniffer'"},
	}
	for _, tt := range tests {
		t.Run(tt.svc+tt.in, func(t *testing.T) {
			got, err := ValidatePersona(tt.svc, decode(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
			// Idempotent on its own output.
			again, err := ValidatePersona(tt.svc, got)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("second pass %#v, %v", again, err)
			}
		})
	}
	// json.Number input (decoder with UseNumber).
	d := json.NewDecoder(strings.NewReader(`{"response_code":301}`))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if got, err := ValidatePersona("http", m); err != nil || got["response_code"] != 301 {
		t.Fatalf("json.Number: %v %v", got, err)
	}
}

func FuzzParsePersonaValue(f *testing.F) {
	for _, s := range []string{"", "1", "abc", "b64:", "b64:!!", "b64:aGk=", "true", "http/1.1,http/2", ",", "{}", `{"a":"b"}`,
		"1e400", "NaN", "-0", "0x1p4"} {
		f.Add(uint8(0), s)
	}
	var keys []PersonaKey
	for _, s := range Services() {
		keys = append(keys, s.Persona...)
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		k := keys[int(which)%len(keys)]
		v, set, err := ParsePersonaValue("sec", k, raw)
		if err != nil {
			if set || v != nil || !strings.HasPrefix(err.Error(), "[sec] ") {
				t.Fatalf("error with value: %v %v %v", v, set, err)
			}
			return
		}
		if raw == "" {
			if set {
				t.Fatal("empty value set")
			}
			return
		}
		if !set {
			t.Fatal("non-empty valid value not set")
		}
		switch k.Type {
		case TypeInt:
			_, ok := v.(int)
			if !ok {
				t.Fatalf("int key gave %T", v)
			}
		case TypeFloat:
			if _, ok := v.(float64); !ok {
				t.Fatalf("float key gave %T", v)
			}
		case TypeBool:
			if _, ok := v.(bool); !ok {
				t.Fatalf("bool key gave %T", v)
			}
		case TypeMultiEnum:
			l, ok := v.([]string)
			if !ok || len(l) == 0 {
				t.Fatalf("multi_enum gave %#v", v)
			}
		default:
			s, ok := v.(string)
			if !ok || k.Type == TypeTextarea && strings.HasPrefix(raw, b64Prefix) && !utf8.ValidString(s) {
				t.Fatalf("string key gave %#v", v)
			}
		}
		// Typed values must survive JSON (they are stored as jsonb).
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("value not JSON-encodable: %v", err)
		}
	})
}
