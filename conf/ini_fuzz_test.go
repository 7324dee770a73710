package conf

import (
	"errors"
	"slices"
	"testing"
)

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"",
		"[a]\n",
		"[general]\nnet=10.0.0.0/24\ngw=10.0.0.1\n[web]\namount=3\nservices=http\n[web.http]\nresponse_code=200\n[web-02.http]\nserver_header=x\n",
		"[custom-x]\nbinary=img\nports=80,81\n[a]\nservices=x,ssh\n[a.x]\nk=v\n",
		"[DEFAULT]\nservices=ssh\nnmap-os=bsd\n[a]\n[b]\nnmap_os=linux\n",
		"[a]\r\nservices=ssh,\r\n  http\r\n\r\n[a.dns]\r\nextra_records=x\r\n\ty\r\n",
		"[a.b.ssh]\npassword=x\n[a.b]\n",
		"[x]\namount=100\n[x-01]\n",
		"[w]\n[w.https]\ntls_key=b64:!!\nhttp_versions=http/3\n",
		"key=value\n",
		"# c\n",
		"[a\nfoo=bar",
		"[]\n",
		"[a]\n=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := Load(in)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Msg == "" {
				t.Fatalf("error %T %q is not a non-empty *ConfigError", err, err)
			}
			return
		}
		if len(d.Deckies) == 0 {
			t.Fatal("deployment without deckies")
		}
		seen := map[string]bool{}
		for _, x := range d.Deckies {
			if !ValidDeckyName(x.Name) {
				t.Fatalf("invalid decky name %q", x.Name)
			}
			if seen[x.Name] {
				t.Fatalf("duplicate decky name %q", x.Name)
			}
			seen[x.Name] = true
			if x.ServiceConfig == nil {
				t.Fatal("nil service config")
			}
			for _, s := range x.Services {
				if _, ok := LookupService(s); !ok && !slices.Contains(d.CustomNames(), s) {
					t.Fatalf("unknown service %q accepted", s)
				}
			}
			if x.MutateInterval != nil && *x.MutateInterval < 1 {
				t.Fatalf("mutate interval %d", *x.MutateInterval)
			}
			if x.IP.IsValid() && !x.IP.Is4() {
				t.Fatalf("non-IPv4 ip %v", x.IP)
			}
		}
	})
}
