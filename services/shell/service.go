package shell

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// NewServiceSystem builds the emulated machine of a shell service (ssh or telnet) from its env and persona.
func NewServiceSystem(env *services.Env, noSudo bool) *System {
	return NewSystem(Config{
		Hostname:     env.Persona.String("hostname", env.Hostname),
		Distro:       env.Distro,
		RootPassword: env.Persona.String("password", "admin"),
		User:         env.Persona.String("user", "ubuntu"),
		UserPassword: env.Persona.String("user_password", "admin"),
		NoSudo:       noSudo,
		Rand:         env.Rand("shell"),
	})
}

// CommandHook returns the OnCommand callback that emits `command` events for this connection.
func CommandHook(env *services.Env, src []event.Field, ip string) func(user string, uid int, pwd, line string) {
	return func(user string, uid int, pwd, line string) {
		env.Info("command", fmt.Sprintf("CMD uid=%d user=%s src=%s pwd=%s cmd=%s", uid, user, ip, pwd, line),
			services.With(src, event.F("user", user), event.F("uid", uid), event.F("pwd", pwd), event.F("command", line))...)
	}
}

// AuthHook returns the OnAuth callback that logs passwords typed to su/sudo.
func AuthHook(env *services.Env, src []event.Field) func(user, pw string, ok bool) {
	return func(user, pw string, ok bool) {
		outcome := "failure"
		if ok {
			outcome = "success"
		}
		env.Info("auth_attempt", "su/sudo", services.With(src, append([]event.Field{event.F("username", user)},
			event.CredFields(user, event.KindPlaintext, []byte(pw), outcome)...)...)...)
	}
}

// StartRecording opens a transcript for a session, or emits session_skipped when the artifact
// filesystem is low on space (then it returns nil, which records nothing).
func StartRecording(env *services.Env, src []event.Field, sid string, cols, rows int, vars map[string]string) *Recorder {
	if free := FreeBytes(env.Artifacts); free >= 0 && free < MinFreeBytes {
		env.Info("session_skipped", "", services.With(src, event.F("sid", sid), event.F("service", env.Service),
			event.F("reason", "low_disk"))...)
		return nil
	}
	return NewRecorder(env.Artifacts, sid, env.Service, cols, rows, vars, time.Now())
}

// FinishRecording writes the transcript and emits session_recorded.
func FinishRecording(env *services.Env, src []event.Field, sid string, rec *Recorder) {
	if rec == nil {
		return
	}
	size, trunc, dur, err := rec.Close()
	if err != nil {
		env.Log.Error("transcript", "sid", sid, "err", err, "dir", filepath.Join(env.Artifacts, "transcripts"))
		return
	}
	env.Info("session_recorded", "", services.With(src, event.F("sid", sid), event.F("service", env.Service),
		event.F("duration_s", float64(dur.Milliseconds())/1000), event.F("bytes", size), event.F("truncated", trunc))...)
}
