package http

import (
	"fmt"
	"html"
	nethttp "net/http"
	"net/url"
	"strings"
)

// appPage routes a request inside the persona's fake application.
func (st *site) appPage(r *nethttp.Request, body []byte) page {
	p := r.URL.Path
	host := html.EscapeString(st.hostOf(r))
	ok := func(b string) page { return page{status: 200, ctype: "text/html; charset=UTF-8", body: b} }
	switch st.app {
	case "apache_default":
		if p == "/" || p == "/index.html" {
			return ok(apacheDefault(st.env.Distro.ID == "ubuntu"))
		}
	case "nginx_default":
		if p == "/" || p == "/index.html" || p == "/index.nginx-debian.html" {
			pg := ok(nginxDefault)
			pg.ctype = "text/html"
			return pg
		}
	case "iis_default":
		if p == "/" || strings.EqualFold(p, "/iisstart.htm") {
			pg := ok(iisDefault)
			pg.ctype = "text/html"
			pg.headers = [][2]string{{"X-Powered-By", "ASP.NET"}}
			return pg
		}
		return page{status: 404, ctype: "text/html", body: iisNotFound, headers: [][2]string{{"X-Powered-By", "ASP.NET"}}}
	case "wordpress":
		php := [2]string{"X-Powered-By", "PHP/8.2.7"}
		switch {
		case p == "/" || p == "/index.php":
			pg := ok(fmt.Sprintf(wpHome, host, host))
			pg.headers = [][2]string{php, {"Link", fmt.Sprintf("<http://%s/wp-json/>; rel=\"https://api.w.org/\"", host)}}
			return pg
		case p == "/wp-login.php":
			msg := ""
			if r.Method == nethttp.MethodPost {
				user := formValue(body, "log")
				msg = fmt.Sprintf(`<div id="login_error"><strong>Error:</strong> The password you entered for the username <strong>%s</strong> is incorrect. <a href="/wp-login.php?action=lostpassword">Lost your password?</a><br /></div>`, html.EscapeString(user))
			}
			pg := ok(fmt.Sprintf(wpLogin, msg, url.QueryEscape("http://"+st.hostOf(r)+"/wp-admin/")))
			pg.headers = [][2]string{php, {"Set-Cookie", "wordpress_test_cookie=WP%20Cookie%20check; path=/; HttpOnly"},
				{"Cache-Control", "no-cache, must-revalidate, max-age=0"}, {"X-Frame-Options", "SAMEORIGIN"}}
			return pg
		case p == "/wp-admin" || strings.HasPrefix(p, "/wp-admin/"):
			loc := "http://" + st.hostOf(r) + "/wp-login.php?redirect_to=" + url.QueryEscape("http://"+st.hostOf(r)+"/wp-admin/") + "&reauth=1"
			return page{status: 302, ctype: "text/html; charset=UTF-8", headers: [][2]string{php, {"Location", loc}}}
		case p == "/xmlrpc.php":
			if r.Method == nethttp.MethodPost {
				return page{status: 200, ctype: "text/xml; charset=UTF-8", body: xmlrpcFault, headers: [][2]string{php}}
			}
			return page{status: 405, ctype: "text/plain;charset=UTF-8", body: "XML-RPC server accepts POST requests only.", headers: [][2]string{php}}
		}
	case "phpmyadmin":
		if p == "/" || p == "/index.php" || p == "/phpmyadmin" || p == "/phpmyadmin/" || p == "/phpmyadmin/index.php" {
			msg := ""
			if r.Method == nethttp.MethodPost {
				user := formValue(body, "pma_username")
				msg = fmt.Sprintf(`<div class="alert alert-danger" role="alert"><img src="data:," title="" alt="">mysqli::real_connect(): (HY000/1045): Access denied for user '%s'@'localhost' (using password: YES)</div>`, html.EscapeString(user))
			}
			pg := ok(strings.Replace(pmaLogin, "{{MSG}}", msg, 1))
			pg.headers = [][2]string{{"X-Powered-By", "PHP/8.2.7"}, {"Set-Cookie", "phpMyAdmin=" + st.sessionID(r) + "; path=/phpmyadmin/; HttpOnly; SameSite=Strict"},
				{"X-Frame-Options", "DENY"}, {"Cache-Control", "no-store, no-cache, must-revalidate, pre-check=0, post-check=0, max-age=0"}}
			return pg
		}
	case "tomcat_manager":
		switch {
		case p == "/":
			return ok(fmt.Sprintf(tomcatHome, host))
		case strings.HasPrefix(p, "/manager") || strings.HasPrefix(p, "/host-manager"):
			realm := "Tomcat Manager Application"
			if strings.HasPrefix(p, "/host-manager") {
				realm = "Tomcat Host Manager Application"
			}
			return page{status: 401, ctype: "text/html;charset=UTF-8", body: tomcat401,
				headers: [][2]string{{"WWW-Authenticate", `Basic realm="` + realm + `"`}, {"Cache-Control", "private"}}}
		}
		return page{status: 404, ctype: "text/html;charset=utf-8", body: fmt.Sprintf(tomcat404, html.EscapeString(p))}
	case "jenkins":
		jh := [][2]string{{"X-Jenkins", "2.426.3"}, {"X-Hudson", "1.395"}, {"X-Jenkins-Session", st.sessionID(r)[:8]}}
		switch {
		case p == "/login" || p == "/loginError":
			msg := ""
			if p == "/loginError" {
				msg = `<div class="app-sign-in-register__error">Invalid username or password</div>`
			}
			pg := ok(strings.Replace(jenkinsLogin, "{{MSG}}", msg, 1))
			pg.headers = jh
			return pg
		case p == "/j_spring_security_check" && r.Method == nethttp.MethodPost:
			return page{status: 302, ctype: "text/html;charset=utf-8", headers: append(jh, [2]string{"Location", "/loginError"})}
		}
		return page{status: 403, ctype: "text/html;charset=utf-8", headers: jh,
			body: fmt.Sprintf(jenkins403, url.QueryEscape(p), url.QueryEscape(p))}
	}
	return st.errorPage(r, 404)
}

// sessionID returns a stable-looking per-client session token.
func (st *site) sessionID(r *nethttp.Request) string {
	rng := st.env.Rand("session:" + r.RemoteAddr)
	const hexd = "0123456789abcdef"
	b := make([]byte, 32)
	for i := range b {
		b[i] = hexd[rng.IntN(16)]
	}
	return string(b)
}

// formValue returns the first value of key in an urlencoded body (best effort, for echoing in pages).
func formValue(body []byte, key string) string {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get(key)
}

func apacheDefault(ubuntu bool) string {
	distro := "Debian"
	if ubuntu {
		distro = "Ubuntu"
	}
	return fmt.Sprintf(apacheDefaultTmpl, distro, distro, distro, distro, distro)
}

const apacheDefaultTmpl = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 %s Default Page: It works</title>
    <style type="text/css" media="screen">
  * { margin: 0px 0px 0px 0px; padding: 0px 0px 0px 0px; }
  body, html { padding: 3px 3px 3px 3px; background-color: #D8DBE2; font-family: Verdana, sans-serif; font-size: 11pt; text-align: center; }
  div.main_page { position: relative; display: table; width: 800px; margin-bottom: 3px; margin-left: auto; margin-right: auto; padding: 0px 0px 0px 0px; border-width: 2px; border-color: #212738; border-style: solid; background-color: #FFFFFF; text-align: center; }
  div.page_header { height: 99px; width: 100%%; background-color: #F5F6F7; }
  div.page_header span { margin: 15px 0px 0px 50px; font-size: 180%%; font-weight: bold; }
  div.banner { background-color: #70A8E0; color: #FFFFFF; padding: 12px; font-weight: bold; font-size: 150%%; }
  div.table_of_contents { clear: left; min-width: 200px; width: 25%%; border-style: solid; border-color: #444444; border-width: 1px; text-align: left; padding-left: 3px; margin-left: 10px; }
  div.content_section_text { padding: 4px 8px 4px 8px; color: #000000; font-size: 100%%; text-align: left; }
  div.section_header { padding: 3px 6px 3px 6px; background-color: #8E9CB2; color: #FFFFFF; font-weight: bold; font-size: 112%%; text-align: center; }
  div.section_header_red { background-color: #CD214F; }
  pre { background-color: #F2F2F2; border: 1px dotted #C0C0C0; padding: 5px; text-align: left; }
  div.validator { }
    </style>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <span class="floating_element">Apache2 %s Default Page</span>
      </div>
      <div class="banner"><div id="about"></div>It works!</div>
      <div class="content_section floating_element">
        <div class="section_header section_header_red"><div id="about"></div>It works!</div>
        <div class="content_section_text">
          <p>This is the default welcome page used to test the correct operation of the Apache2 server after
          installation on %s systems. If you can read this page, it means that the Apache HTTP server installed at
          this site is working properly. You should <b>replace this file</b> (located at
          <tt>/var/www/html/index.html</tt>) before continuing to operate your HTTP server.</p>
          <p>If you are a normal user of this web site and don't know what this page is about, this probably means
          that the site is currently unavailable due to maintenance. If the problem persists, please contact the
          site's administrator.</p>
        </div>
        <div class="section_header"><div id="changes"></div>Configuration Overview</div>
        <div class="content_section_text">
          <p>%s's Apache2 default configuration is different from the upstream default configuration, and split into
          several files optimized for interaction with %s tools. The configuration layout for an Apache2 web server
          installation on Debian systems is as follows:</p>
<pre>
/etc/apache2/
|-- apache2.conf
|       ` + "`" + `--  ports.conf
|-- mods-enabled
|       |-- *.load
|       ` + "`" + `-- *.conf
|-- conf-enabled
|       ` + "`" + `-- *.conf
|-- sites-enabled
|       ` + "`" + `-- *.conf
</pre>
        </div>
        <div class="section_header"><div id="docroot"></div>Document Roots</div>
        <div class="content_section_text">
          <p>By default, Debian does not allow access through the web browser to <em>any</em> file outside of those
          located in <tt>/var/www</tt>, <a href="http://httpd.apache.org/docs/2.4/mod/mod_userdir.html" rel="nofollow">public_html</a>
          directories (when enabled) and <tt>/usr/share</tt> (for web applications).</p>
        </div>
        <div class="section_header"><div id="bugs"></div>Reporting Problems</div>
        <div class="content_section_text">
          <p>Please use the <tt>reportbug</tt> tool to report bugs in the Apache2 package with Debian.</p>
        </div>
      </div>
    </div>
    <div class="validator"></div>
  </body>
</html>
`

const nginxDefault = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

const iisDefault = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>IIS Windows Server</title>
<style type="text/css">
<!--
body {
	color:#000000;
	background-color:#0072C6;
	margin:0;
}

#container {
	margin-left:auto;
	margin-right:auto;
	text-align:center;
	}

a img {
	border:none;
}

-->
</style>
</head>
<body>
<div id="container">
<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><svg xmlns="http://www.w3.org/2000/svg" width="960" height="600" viewBox="0 0 960 600"><rect width="960" height="600" fill="#0072C6"/><g fill="#fff"><rect x="330" y="150" width="140" height="140"/><rect x="490" y="150" width="140" height="140"/><rect x="330" y="310" width="140" height="140"/><rect x="490" y="310" width="140" height="140"/></g><text x="480" y="520" font-family="Segoe UI, Arial" font-size="42" fill="#fff" text-anchor="middle">Internet Information Services</text></svg></a>
</div>
</body>
</html>`

const iisNotFound = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>404 - File or directory not found.</title>
<style type="text/css">
<!--
body{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;background:#EEEEEE;}
fieldset{padding:0 15px 10px 15px;}
h1{font-size:2.4em;margin:0;color:#FFF;}
h2{font-size:1.7em;margin:0;color:#CC0000;}
h3{font-size:1.2em;margin:10px 0 0 0;color:#000000;}
#header{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;font-family:"trebuchet MS", Verdana, sans-serif;color:#FFF;
background-color:#555555;}
#content{margin:0 0 0 2%;position:relative;}
.content-container{background:#FFF;width:96%;margin-top:8px;padding:10px;position:relative;}
-->
</style>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>404 - File or directory not found.</h2>
  <h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>
 </fieldset></div>
</div>
</body>
</html>
`

const wpHome = `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name='robots' content='max-image-preview:large' />
<title>Company Intranet &#8211; Just another WordPress site</title>
<link rel="alternate" type="application/rss+xml" title="Company Intranet &raquo; Feed" href="http://%s/feed/" />
<meta name="generator" content="WordPress 6.4.3" />
<style>
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Oxygen-Sans,Ubuntu,Cantarell,"Helvetica Neue",sans-serif;background:#fff;color:#111}
header{padding:2.5rem 4rem;border-bottom:1px solid #eee}header a{color:#111;text-decoration:none;font-size:1.3rem;font-weight:600}
main{max-width:650px;margin:3rem auto;padding:0 1rem;line-height:1.6}h2 a{color:#111}footer{padding:2rem 4rem;font-size:.9rem;color:#555}
</style>
</head>
<body class="home blog wp-embed-responsive">
<header><a href="http://%s/" rel="home">Company Intranet</a></header>
<main>
<article class="post-1 post type-post status-publish format-standard hentry category-uncategorized">
<h2 class="wp-block-post-title"><a href="/?p=1">Hello world!</a></h2>
<p>Welcome to WordPress. This is your first post. Edit or delete it, then start writing!</p>
</article>
</main>
<footer>Proudly powered by <a href="https://wordpress.org" rel="nofollow">WordPress</a></footer>
</body>
</html>
`

const wpLogin = `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Log In &lsaquo; Company Intranet &#8212; WordPress</title>
<meta name='robots' content='max-image-preview:large, noindex, noarchive' />
<meta name="viewport" content="width=device-width" />
<style>
html{background:#f0f0f1}body{background:#f0f0f1;min-width:0;color:#3c434a;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Oxygen-Sans,Ubuntu,Cantarell,"Helvetica Neue",sans-serif;font-size:13px;line-height:1.4}
#login{width:320px;padding:5%% 0 0;margin:auto}
#login h1 a{background:#1d2327;color:#fff;border-radius:50%%;display:block;width:84px;height:84px;margin:0 auto 25px;font:700 48px/84px Georgia,serif;text-align:center;text-decoration:none}
.login form{margin-top:20px;padding:26px 24px 34px;font-weight:400;overflow:hidden;background:#fff;border:1px solid #c3c4c7;box-shadow:0 1px 3px rgba(0,0,0,.04)}
.login label{font-size:14px;line-height:1.5;display:inline-block;margin-bottom:3px}
.login input[type=text],.login input[type=password]{font-size:24px;line-height:1.33;width:100%%;padding:.1875rem .3125rem;margin:0 6px 16px 0;min-height:40px;box-sizing:border-box;border:1px solid #8c8f94;border-radius:4px}
.button-primary{background:#2271b1;border:1px solid #2271b1;color:#fff;border-radius:3px;padding:0 12px;min-height:32px;font-size:13px;float:right;cursor:pointer}
#login_error{border-left:4px solid #d63638;background:#fff;padding:12px;margin-bottom:20px;box-shadow:0 1px 1px 0 rgba(0,0,0,.1)}
#nav,#backtoblog{font-size:13px;padding:0 24px}#nav a,#backtoblog a{color:#50575e;text-decoration:none}
</style>
</head>
<body class="login no-js login-action-login wp-core-ui locale-en-us">
<div id="login">
<h1><a href="https://wordpress.org/">W</a></h1>
%s
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">Username or Email Address</label>
<input type="text" name="log" id="user_login" class="input" value="" size="20" autocapitalize="off" autocomplete="username" required="required" /></p>
<div class="user-pass-wrap"><label for="user_pass">Password</label>
<div class="wp-pwd"><input type="password" name="pwd" id="user_pass" class="input password-input" value="" size="20" autocomplete="current-password" spellcheck="false" required="required" /></div></div>
<p class="forgetmenot"><input name="rememberme" type="checkbox" id="rememberme" value="forever" /> <label for="rememberme">Remember Me</label></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary button-large" value="Log In" />
<input type="hidden" name="redirect_to" value="%s" />
<input type="hidden" name="testcookie" value="1" /></p>
</form>
<p id="nav"><a href="/wp-login.php?action=lostpassword">Lost your password?</a></p>
<p id="backtoblog"><a href="/">&larr; Go to Company Intranet</a></p>
</div>
</body>
</html>
`

const xmlrpcFault = `<?xml version="1.0" encoding="UTF-8"?>
<methodResponse>
  <fault>
    <value>
      <struct>
        <member><name>faultCode</name><value><int>403</int></value></member>
        <member><name>faultString</name><value><string>Incorrect username or password.</string></value></member>
      </struct>
    </value>
  </fault>
</methodResponse>
`

const pmaLogin = `<!DOCTYPE HTML>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex,nofollow,notranslate">
<meta name="google" content="notranslate">
<title>phpMyAdmin</title>
<style>
body{font-family:"IBM Plex Sans",-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:#fff;color:#444;font-size:.82rem;margin:0}
.container{max-width:540px;margin:0 auto;padding-top:3em}
h1{text-align:center;font-weight:normal;font-size:1.9em;color:#235a81}h1 .pma{color:#666}h1 .ma{color:#f89c0e}
.card{border:1px solid #aaa;border-radius:4px;margin-bottom:1rem}.card-header{background:#eee;padding:.5rem 1rem;font-weight:bold;border-bottom:1px solid #aaa}
.card-body{padding:1rem}.row{display:flex;margin-bottom:.8rem}.row label{width:35%;padding-top:.3rem}.row input,.row select{width:65%;padding:.3rem;border:1px solid #aaa;border-radius:2px}
.card-footer{background:#eee;padding:.5rem 1rem;text-align:right;border-top:1px solid #aaa}
.btn{background:#ddd linear-gradient(#fff,#ccc);border:1px solid #aaa;border-radius:4px;padding:.3rem .8rem;cursor:pointer}
.alert-danger{background:#fce4e4;border:1px solid #c00;color:#c00;padding:.6rem;margin-bottom:1rem;border-radius:4px}
</style>
</head>
<body id="loginform">
<div class="container">
<a href="./url.php?url=https%3A%2F%2Fwww.phpmyadmin.net%2F" target="_blank" rel="noopener noreferrer" class="logo"></a>
<h1>Welcome to <bdo dir="ltr" lang="en"><span class="pma">php</span><span class="my">My</span><span class="ma">Admin</span></bdo></h1>
<noscript><div class="alert alert-danger" role="alert">Javascript must be enabled past this point!</div></noscript>
{{MSG}}
<form method="post" id="login_form" action="index.php?route=/" name="login_form" class="disableAjax hide js-show">
<div class="card">
<div class="card-header">Log in</div>
<div class="card-body">
<div class="row"><label for="input_username">Username:</label><input type="text" name="pma_username" id="input_username" value="" autocomplete="username" spellcheck="false"></div>
<div class="row"><label for="input_password">Password:</label><input type="password" name="pma_password" id="input_password" value="" autocomplete="current-password" spellcheck="false"></div>
<input type="hidden" name="server" value="1">
</div>
<div class="card-footer"><input class="btn" value="Log in" type="submit" id="input_go"></div>
</div>
<input type="hidden" name="route" value="/"><input type="hidden" name="lang" value="en">
</form>
</div>
</body>
</html>
`

const tomcatHome = `<!DOCTYPE html>
<html lang="en">
    <head>
        <meta charset="UTF-8" />
        <title>Apache Tomcat/9.0.82</title>
        <style>
body{margin:10px 20px;text-align:center;font-family:Arial,sans-serif}
#wrapper{width:905px;margin:0 auto;text-align:left}
#navigation{background:#F2F2F2;border:1px solid #ddd;padding:10px 15px}#navigation span{margin-right:20px}
#navigation a{color:#000;text-decoration:none;font-weight:bold}
#asf-box h1{color:#B4B4B4;font-size:28px}
.curved{border-radius:10px}.container{background:#ffffff;border:1px solid #ddd;padding:5px 15px;margin-top:10px}
.button{display:inline-block;padding:6px 14px;margin:4px;background:#F2F2F2;border:1px solid #aaa;border-radius:6px;color:#000;text-decoration:none;font-weight:bold}
#congrats{background:#F8F8F8;border:1px solid #ddd;padding:10px;margin-top:10px}#congrats h2{color:#525D76}
.footer{margin-top:20px;font-size:12px;color:#666}
        </style>
    </head>
    <body>
        <div id="wrapper">
            <div id="navigation" class="curved container">
                <span id="nav-home"><a href="https://tomcat.apache.org/">Home</a></span>
                <span id="nav-hosts"><a href="/docs/">Documentation</a></span>
                <span id="nav-config"><a href="/docs/config/">Configuration</a></span>
                <span id="nav-examples"><a href="/examples/">Examples</a></span>
                <span id="nav-wiki"><a href="https://cwiki.apache.org/confluence/display/TOMCAT/">Wiki</a></span>
                <span id="nav-lists"><a href="https://tomcat.apache.org/lists.html">Mailing Lists</a></span>
                <span id="nav-help"><a href="https://tomcat.apache.org/findhelp.html">Find Help</a></span>
            </div>
            <div id="asf-box"><h1>Apache Tomcat/9.0.82</h1></div>
            <div id="congrats" class="curved container">
                <h2>If you're seeing this, you've successfully installed Tomcat. Congratulations!</h2>
            </div>
            <div class="curved container">
                <h3>Managing Tomcat</h3>
                <p>For security, access to the <a href="/manager/html">manager webapp</a> is restricted.
                Users are defined in: <code>$CATALINA_HOME/conf/tomcat-users.xml</code></p>
                <a class="button" href="/manager/status">Server Status</a>
                <a class="button" href="/manager/html">Manager App</a>
                <a class="button" href="/host-manager/html">Host Manager</a>
            </div>
            <p class="footer">Copyright &copy;1999-2023 Apache Software Foundation. All Rights Reserved &mdash; %s</p>
        </div>
    </body>
</html>
`

const tomcat401 = `<!doctype html><html lang="en"><head><title>401 Unauthorized</title><style type="text/css">body {font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b {color:white;background-color:#525D76;} h1 {font-size:22px;} h2 {font-size:16px;} h3 {font-size:14px;} p {font-size:12px;} a {color:black;} .line {height:1px;background-color:#525D76;border:none;}</style></head><body><h1>401 Unauthorized</h1>
<p>
    You are not authorized to view this page. If you have not changed
    any configuration files, please examine the file
    <tt>conf/tomcat-users.xml</tt> in your installation. That
    file must contain the credentials to let you use this webapp.
  </p>
  <p>
    For example, to add the <tt>manager-gui</tt> role to a user named
    <tt>tomcat</tt> with a password of <tt>s3cret</tt>, add the following to the
    config file listed above.
  </p>
<pre>
&lt;role rolename="manager-gui"/&gt;
&lt;user username="tomcat" password="s3cret" roles="manager-gui"/&gt;
</pre>
</body></html>
`

const tomcat404 = `<!doctype html><html lang="en"><head><title>HTTP Status 404 – Not Found</title><style type="text/css">body {font-family:Tahoma,Arial,sans-serif;} h1, h2, h3, b {color:white;background-color:#525D76;} h1 {font-size:22px;} h2 {font-size:16px;} h3 {font-size:14px;} p {font-size:12px;} a {color:black;} .line {height:1px;background-color:#525D76;border:none;}</style></head><body><h1>HTTP Status 404 – Not Found</h1><hr class="line" /><p><b>Type</b> Status Report</p><p><b>Message</b> The requested resource [%s] is not available</p><p><b>Description</b> The origin server did not find a current representation for the target resource or is not willing to disclose that one exists.</p><hr class="line" /><h3>Apache Tomcat/9.0.82</h3></body></html>`

const jenkinsLogin = `<!DOCTYPE html><html lang="en-US"><head resURL="/static/5f2a3b1c" data-rooturl="" data-resurl="/static/5f2a3b1c">
<title>Sign in [Jenkins]</title>
<meta name="ROBOTS" content="NOFOLLOW"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font-family:system-ui,"Segoe UI",roboto,"Noto Sans",oxygen,ubuntu,cantarell,"Fira Sans","Droid Sans","Helvetica Neue",arial,sans-serif;background:#fff;color:#14141f}
.app-sign-in-register{display:flex;align-items:center;justify-content:center;min-height:100vh}
.app-sign-in-register__content{width:100%;max-width:400px;padding:2rem}
.app-sign-in-register__content h1{font-size:1.75rem;font-weight:500;margin:1.5rem 0}
.jenkins-logo{width:64px;height:64px;border-radius:50%;background:#335061;color:#fff;display:flex;align-items:center;justify-content:center;font-size:34px;font-weight:bold}
.jenkins-form-item{margin-bottom:1.2rem}.jenkins-form-label{display:block;font-weight:500;margin-bottom:.5rem}
.jenkins-input{width:100%;box-sizing:border-box;padding:.6rem .8rem;border:2px solid #d0d0d8;border-radius:.66rem;font-size:.95rem}
.jenkins-button{width:100%;padding:.7rem;border:none;border-radius:.66rem;background:#0b6aa2;color:#fff;font-weight:600;font-size:.95rem;cursor:pointer}
.app-sign-in-register__error{color:#e6001f;margin-bottom:1rem;font-weight:500}
</style></head>
<body><div class="app-sign-in-register"><div class="app-sign-in-register__content">
<div class="jenkins-logo">J</div>
<h1>Sign in to Jenkins</h1>
{{MSG}}
<form method="post" name="login" action="j_spring_security_check">
<div class="jenkins-form-item"><label class="jenkins-form-label" for="j_username">Username</label>
<input autocorrect="off" autocomplete="username" name="j_username" id="j_username" type="text" autofocus="autofocus" class="jenkins-input" autocapitalize="off" aria-label="Username"></div>
<div class="jenkins-form-item"><label class="jenkins-form-label" for="j_password">Password</label>
<input name="j_password" id="j_password" type="password" class="jenkins-input" autocomplete="current-password" aria-label="Password"></div>
<div class="jenkins-checkbox"><input type="checkbox" id="remember_me" name="remember_me"><label for="remember_me">Keep me signed in</label></div>
<input name="from" type="hidden"><br>
<button type="submit" name="Submit" class="jenkins-button jenkins-button--primary">Sign in</button>
</form></div></div></body></html>
`

const jenkins403 = `<html><head><meta http-equiv='refresh' content='1;url=/login?from=%s'/><script id='redirect' data-redirect-url='/login?from=%s' src='/static/5f2a3b1c/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>
Authentication required
<!--
-->
</body></html>
`
