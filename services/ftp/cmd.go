package ftp

import "strings"

// MaxLine bounds one control-channel command line.
const MaxLine = 4096

// ParseCommand splits a control-channel line into its upper-cased verb and argument. Telnet IAC sequences
// some clients send (e.g. before ABOR) are dropped, and the trailing CR LF removed. The verb is empty for a
// blank or non-alphabetic line.
func ParseCommand(line string) (verb, arg string) {
	line = strings.TrimRight(line, "\r\n")
	if strings.IndexByte(line, 0xff) >= 0 {
		var b strings.Builder
		for i := 0; i < len(line); i++ {
			if line[i] == 0xff && i+1 < len(line) {
				i++
				if line[i] >= 0xfb && line[i] <= 0xfe {
					i++ // option negotiation: IAC WILL/WONT/DO/DONT <opt>
				}
				continue
			}
			b.WriteByte(line[i])
		}
		line = b.String()
	}
	line = strings.TrimLeft(line, " \x00")
	v, a, _ := strings.Cut(line, " ")
	if len(v) > 16 {
		return "", ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", ""
		}
	}
	return strings.ToUpper(v), a
}
