package main

import "errors"

// daemonClient is the API client of decnetd used by the online verbs (added with those verbs).
type daemonClient interface{}

// errDaemonUnreachable is reported by online verbs while no decnetd can be reached.
var errDaemonUnreachable = errors.New("decnetd is not reachable: this build of decnetctl has no daemon client yet")

// dialDaemon connects to decnetd.
func dialDaemon() (daemonClient, error) { return nil, errDaemonUnreachable }
