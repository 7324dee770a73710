package fleet

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"

	"github.com/decnet/decnet/conf"
)

func TestPlanJSONShape(t *testing.T) {
	p := Plan{
		Network: lan,
		Deckies: []Decky{
			{Name: "decky-01", IP: ip("192.168.1.101"), Services: []string{"ssh", "http"}, Distro: "debian",
				Hostname: "SRV-ALPHA-10", NmapOS: "linux"},
			{Name: "b", IP: ip("192.168.1.3"), Services: []string{"http"}, Distro: "alpine", Hostname: "web-12",
				Archetype: "printer", NmapOS: "embedded", MutateInterval: ptr(15),
				ServiceConfig: map[string]map[string]any{"http": {"response_code": 200, "server_header": "x",
					"http_versions": []string{"http/1.1"}, "nla": false}}},
		},
		Custom: []conf.CustomService{{Name: "z", Image: "img"}, {Name: "a", Image: "i2", Exec: []string{"/x", "-p"}, Ports: []int{9}}},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"interface":"eth0","subnet":"192.168.1.0/24","gateway":"192.168.1.1","host_ip":"192.168.1.2","deckies":[` +
		`{"name":"decky-01","ip":"192.168.1.101","services":["ssh","http"],"distro":"debian","hostname":"SRV-ALPHA-10","archetype":null,"nmap_os":"linux","mutate_interval":null,"service_config":{}},` +
		`{"name":"b","ip":"192.168.1.3","services":["http"],"distro":"alpine","hostname":"web-12","archetype":"printer","nmap_os":"embedded","mutate_interval":15,"service_config":{"http":{"http_versions":["http/1.1"],"nla":false,"response_code":200,"server_header":"x"}}}],` +
		`"custom_services":[{"name":"z","image":"img","exec":[],"ports":[]},{"name":"a","image":"i2","exec":["/x","-p"],"ports":[9]}]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}

	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Network != p.Network || back.Deckies[1].Archetype != "printer" || back.Deckies[0].Archetype != "" ||
		*back.Deckies[1].MutateInterval != 15 || !reflect.DeepEqual(back.Custom[1], p.Custom[1]) {
		t.Errorf("round trip: %+v", back)
	}
}

func TestEmptyPlanJSON(t *testing.T) {
	b, err := json.Marshal(&Plan{Network: Network{Subnet: netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"interface":"","subnet":"10.0.0.0/8","gateway":"","host_ip":"","deckies":[],"custom_services":[]}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
