package telnet

// Telnet command and option codes (RFC 854, 857, 858, 1073, 1091).
const (
	IAC  = 255
	DONT = 254
	DO   = 253
	WONT = 252
	WILL = 251
	SB   = 250
	SE   = 240

	OptEcho     = 1
	OptSGA      = 3
	OptTType    = 24
	OptNAWS     = 31
	OptTSpeed   = 32
	OptXDisploc = 35
	OptNewEnv   = 39
)

// maxSB bounds one subnegotiation payload; longer ones are cut.
const maxSB = 256

// Cmd is one option command or subnegotiation received from the client.
type Cmd struct {
	Verb byte   // WILL, WONT, DO, DONT or SB
	Opt  byte   // option code
	Data []byte // SB payload (IAC IAC unescaped), at most maxSB bytes
}

// Parser strips telnet commands from a client byte stream. It keeps state across Feed calls, so a
// sequence split between reads is handled, and its memory is bounded.
type Parser struct {
	state int
	verb  byte
	opt   byte
	sb    []byte
}

const (
	stData = iota
	stIAC
	stOpt
	stSBOpt
	stSB
	stSBIAC
)

// Feed appends the data bytes of in to data and returns it together with the commands found.
func (p *Parser) Feed(in []byte, data []byte) ([]byte, []Cmd) {
	var cmds []Cmd
	for _, c := range in {
		switch p.state {
		case stData:
			if c == IAC {
				p.state = stIAC
			} else {
				data = append(data, c)
			}
		case stIAC:
			switch c {
			case IAC:
				data = append(data, IAC)
				p.state = stData
			case WILL, WONT, DO, DONT:
				p.verb, p.state = c, stOpt
			case SB:
				p.state = stSBOpt
			default: // NOP, GA, AYT, IP, BRK … carry no data
				p.state = stData
			}
		case stOpt:
			cmds = append(cmds, Cmd{Verb: p.verb, Opt: c})
			p.state = stData
		case stSBOpt:
			p.opt, p.sb, p.state = c, p.sb[:0], stSB
		case stSB:
			if c == IAC {
				p.state = stSBIAC
			} else if len(p.sb) < maxSB {
				p.sb = append(p.sb, c)
			}
		case stSBIAC:
			switch c {
			case SE:
				cmds = append(cmds, Cmd{Verb: SB, Opt: p.opt, Data: append([]byte(nil), p.sb...)})
				p.state = stData
			case IAC:
				if len(p.sb) < maxSB {
					p.sb = append(p.sb, IAC)
				}
				p.state = stSB
			default: // malformed: abandon the subnegotiation
				p.state = stData
			}
		}
	}
	return data, cmds
}
