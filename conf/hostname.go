package conf

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// hostnameWords is the fixed word list of catalog §4.
var hostnameWords = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
	"juliet", "kilo", "lima", "mike", "nova", "oscar", "prod", "web", "db", "mail", "proxy", "dev", "stage",
	"backup", "monitor", "files"}

// Hostname generates a hostname in the style of the given distro slug (catalog §4), drawing from rng.
// An unknown distro uses the generic style.
func Hostname(rng *rand.Rand, distro string) string {
	style := StyleGeneric
	if d, err := LookupDistro(distro); err == nil {
		style = d.HostnameStyle
	}
	word := hostnameWords[rng.IntN(len(hostnameWords))]
	switch style {
	case StyleRHEL:
		return fmt.Sprintf("%s%d.localdomain", word, 10+rng.IntN(90))
	case StyleMinimal:
		return fmt.Sprintf("%s-%d", word, 10+rng.IntN(90))
	case StyleRolling:
		return word + "-" + hostnameWords[rng.IntN(len(hostnameWords))]
	default:
		return fmt.Sprintf("SRV-%s-%d", strings.ToUpper(word), 10+rng.IntN(90))
	}
}
