package http

import (
	"encoding/json"
	"fmt"
	"html"
	"net"
	nethttp "net/http"
	"os"
	"path"
	"strings"

	"github.com/decnet/decnet/services"
)

// site is the persona-driven responder shared by every connection of one emulator.
type site struct {
	env        *services.Env
	port       int // declared port, shown in error pages
	server     string
	code       int
	app        string
	customBody string
	extra      [][2]string
	root       *os.Root
}

// serverHeaders lists believable Server values per distro id; the first entries are Apache, the rest nginx.
var serverHeaders = map[string]struct{ apache, nginx []string }{
	"debian": {[]string{"Apache/2.4.57 (Debian)", "Apache/2.4.59 (Debian)", "Apache/2.4.62 (Debian)"}, []string{"nginx/1.22.1"}},
	"ubuntu": {[]string{"Apache/2.4.52 (Ubuntu)", "Apache/2.4.41 (Ubuntu)"}, []string{"nginx/1.18.0 (Ubuntu)"}},
	"rocky":  {[]string{"Apache/2.4.57 (Rocky Linux)"}, []string{"nginx/1.20.1"}},
	"centos": {[]string{"Apache/2.4.6 (CentOS)", "Apache/2.4.6 (CentOS) OpenSSL/1.0.2k-fips"}, []string{"nginx/1.20.1"}},
	"fedora": {[]string{"Apache/2.4.58 (Fedora Linux)"}, []string{"nginx/1.24.0"}},
	"alpine": {[]string{"Apache/2.4.58 (Unix)"}, []string{"nginx/1.24.0"}},
	"kali":   {[]string{"Apache/2.4.58 (Debian)"}, []string{"nginx/1.24.0"}},
	"arch":   {[]string{"Apache/2.4.58 (Unix)"}, []string{"nginx/1.24.0"}},
}

// ubuntuApache pins the Apache build to the Ubuntu release.
var ubuntuApache = map[string]string{"22.04": "Apache/2.4.52 (Ubuntu)", "20.04": "Apache/2.4.41 (Ubuntu)"}

// defaultServer picks the Server header from the distro and fake app, seeded per decky.
func defaultServer(env *services.Env, app string) string {
	if strings.HasPrefix(env.NmapOS, "windows") || app == "iis_default" {
		return "Microsoft-IIS/10.0"
	}
	if app == "jenkins" {
		return "Jetty(10.0.18)"
	}
	list, ok := serverHeaders[env.Distro.ID]
	if !ok {
		list = serverHeaders["debian"]
	}
	apache := list.apache
	if env.Distro.ID == "ubuntu" {
		if a, ok := ubuntuApache[env.Distro.VersionID]; ok {
			apache = []string{a}
		}
	}
	rng := env.Rand("http_server")
	useNginx := rng.IntN(3) == 0 // two deckies in three run Apache
	switch app {
	case "nginx_default":
		useNginx = true
	case "apache_default":
		useNginx = false
	}
	if useNginx {
		return list.nginx[rng.IntN(len(list.nginx))]
	}
	return apache[rng.IntN(len(apache))]
}

func newSite(env *services.Env, port int) (*site, error) {
	st := &site{
		env:        env,
		port:       port,
		code:       env.Persona.Int("response_code", 403),
		app:        env.Persona.String("fake_app", "none"),
		customBody: env.Persona.String("custom_body", ""),
	}
	if st.code < 100 || st.code > 999 {
		st.code = 403
	}
	st.server = env.Persona.String("server_header", defaultServer(env, st.app))
	if raw := env.Persona.String("extra_headers", ""); raw != "" {
		var m map[string]string
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("http persona extra_headers: %w", err)
		}
		for k, v := range m {
			st.extra = append(st.extra, [2]string{k, v})
		}
	}
	root, err := osRoot(env.Persona.String("files", ""))
	if err != nil {
		return nil, err
	}
	st.root = root
	return st, nil
}

func (st *site) close() {
	if st.root != nil {
		st.root.Close()
	}
}

// page is one response.
type page struct {
	status  int
	ctype   string
	body    string
	headers [][2]string
}

// respond writes the answer: static file, else custom_body, else fake app, else the error page of
// response_code. Fake apps answer their own pages with their natural status (200 for a login page, 302 for
// a redirect, 401 for Tomcat's manager) and 404 for unknown paths; response_code applies to custom_body and to
// the built-in page.
func (st *site) respond(w nethttp.ResponseWriter, r *nethttp.Request, body []byte) {
	h := w.Header()
	h.Set("Server", st.server)
	if st.serveFile(w, r) {
		return
	}
	var p page
	switch {
	case st.customBody != "":
		p = page{status: st.code, ctype: "text/html; charset=UTF-8", body: st.customBody}
	case st.app != "" && st.app != "none":
		p = st.appPage(r, body)
	default:
		p = st.errorPage(r, st.code)
	}
	h.Set("Content-Type", p.ctype)
	for _, kv := range p.headers {
		setRaw(h, kv[0], kv[1])
	}
	for _, kv := range st.extra {
		setRaw(h, kv[0], kv[1])
	}
	w.WriteHeader(p.status)
	if r.Method != nethttp.MethodHead {
		_, _ = w.Write([]byte(p.body))
	}
}

// serveFile serves a regular file of the static directory (index.html for a directory) read-only.
func (st *site) serveFile(w nethttp.ResponseWriter, r *nethttp.Request) bool {
	if st.root == nil || (r.Method != nethttp.MethodGet && r.Method != nethttp.MethodHead) {
		return false
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "."
	}
	f, err := st.root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	if fi.IsDir() {
		f.Close()
		if f, err = st.root.Open(path.Join(name, "index.html")); err != nil {
			return false
		}
		defer f.Close()
		if fi, err = f.Stat(); err != nil {
			return false
		}
	}
	if !fi.Mode().IsRegular() {
		return false
	}
	for _, kv := range st.extra {
		setRaw(w.Header(), kv[0], kv[1])
	}
	nethttp.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
	return true
}

// hostOf returns the request host without port, or the decky hostname.
func (st *site) hostOf(r *nethttp.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = st.env.Hostname
	}
	return host
}

// errorMessages are Apache's explanations for common statuses.
var errorMessages = map[int]string{
	400: "Your browser sent a request that this server could not understand.<br />",
	401: "This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.",
	403: "You don't have permission to access this resource.",
	404: "The requested URL was not found on this server.",
	405: "The requested method is not allowed for this URL.",
	500: "The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.",
	503: "The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.",
}

// errorPage renders the built-in page for status in the style of the Server product.
func (st *site) errorPage(r *nethttp.Request, status int) page {
	text := nethttp.StatusText(status)
	if text == "" {
		text = "Unknown"
	}
	p := page{status: status, ctype: "text/html; charset=iso-8859-1"}
	if status == 401 {
		p.headers = append(p.headers, [2]string{"WWW-Authenticate", `Basic realm="Restricted Area"`})
	}
	if status >= 200 && status < 300 {
		p.ctype = "text/html"
		p.body = "<html><body><h1>It works!</h1></body></html>\n"
		return p
	}
	if strings.HasPrefix(st.server, "nginx") {
		p.ctype = "text/html"
		p.body = fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
			status, text, status, text, html.EscapeString(st.server))
		return p
	}
	msg, ok := errorMessages[status]
	if !ok {
		msg = text + "."
	}
	addr := ""
	if strings.HasPrefix(st.server, "Apache") {
		addr = fmt.Sprintf("<hr>\n<address>%s Server at %s Port %d</address>\n", html.EscapeString(st.server),
			html.EscapeString(st.hostOf(r)), st.port)
	}
	p.body = fmt.Sprintf("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>%d %s</title>\n</head><body>\n<h1>%s</h1>\n<p>%s</p>\n%s</body></html>\n",
		status, text, text, msg, addr)
	return p
}

// setRaw sets a response header keeping the name's case as given (WWW-Authenticate, not Www-Authenticate).
func setRaw(h nethttp.Header, name, value string) {
	h.Del(name)
	h[name] = []string{value}
}
