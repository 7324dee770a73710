package ftp

import "strings"

// Banners are the seeded banner choices of catalog §1.
var Banners = []string{
	"220 (vsFTPd 3.0.3)",
	"220 (vsFTPd 3.0.5)",
	"220 ProFTPD 1.3.7a Server ready.",
	"220 ProFTPD 1.3.6 Server ready.",
	"220 Pure-FTPd Service ready.",
}

// dialect holds the reply texts of one FTP server product; {user}, {dir}, {arg}, {addr}, {port}, {name},
// {size} and {verb} are expanded by the session.
type dialect struct {
	name       string
	owner      string // owner/group shown in listings
	userOK     string
	loginOK    string
	loginFail  string
	needLogin  string
	pwd        string
	cwdOK      string
	cwdFail    string
	typeI      string
	typeA      string
	pasv       string
	epsv       string
	list150    string
	retr150    string
	stor150    string
	xfer226    string
	noFile     string
	denied     string
	unknown    string
	noData     string
	quit       string
	feat       string
	help       string
	auth       string
	noop       string
	badPort    string
	tooLong    string
	userFirst  string
	storeLimit string
}

var vsftpd = dialect{
	name: "vsftpd", owner: "1000",
	userOK: "331 Please specify the password.", loginOK: "230 Login successful.", loginFail: "530 Login incorrect.",
	needLogin: "530 Please login with USER and PASS.",
	pwd:       `257 "{dir}" is the current directory`, cwdOK: "250 Directory successfully changed.",
	cwdFail: "550 Failed to change directory.", typeI: "200 Switching to Binary mode.", typeA: "200 Switching to ASCII mode.",
	pasv: "227 Entering Passive Mode ({addr}).", epsv: "229 Entering Extended Passive Mode (|||{port}|)",
	list150: "150 Here comes the directory listing.", retr150: "150 Opening BINARY mode data connection for {name} ({size} bytes).",
	stor150: "150 Ok to send data.", xfer226: "226 Transfer complete.", noFile: "550 Failed to open file.",
	denied: "550 Permission denied.", unknown: "500 Unknown command.", noData: "425 Use PORT or PASV first.",
	quit: "221 Goodbye.",
	feat: "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End",
	help: "214-The following commands are recognized.\r\n ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD\r\n MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR\r\n RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD\r\n XPWD XRMD\r\n214 Help OK.",
	auth: "530 Please login with USER and PASS.", noop: "200 NOOP ok.", badPort: "500 Illegal PORT command.",
	tooLong: "500 Input line too long.", userFirst: "503 Login with USER first.",
	storeLimit: "552 Requested file action aborted. Exceeded storage allocation.",
}

var proftpd = dialect{
	name: "ProFTPD", owner: "www-data",
	userOK: "331 Password required for {user}", loginOK: "230 User {user} logged in", loginFail: "530 Login incorrect.",
	needLogin: "530 Please login with USER and PASS",
	pwd:       `257 "{dir}" is the current directory`, cwdOK: "250 CWD command successful",
	cwdFail: "550 {arg}: No such file or directory", typeI: "200 Type set to I", typeA: "200 Type set to A",
	pasv: "227 Entering Passive Mode ({addr}).", epsv: "229 Entering Extended Passive Mode (|||{port}|)",
	list150: "150 Opening ASCII mode data connection for file list", retr150: "150 Opening BINARY mode data connection for {name} ({size} bytes)",
	stor150: "150 Opening BINARY mode data connection for {name}", xfer226: "226 Transfer complete",
	noFile: "550 {arg}: No such file or directory", denied: "550 Permission denied", unknown: "500 {verb} not understood",
	noData: "425 Unable to build data connection: No such file or directory", quit: "221 Goodbye.",
	feat: "211-Features:\r\n LANG en-US*\r\n MDTM\r\n MFMT\r\n TVFS\r\n UTF8\r\n MFF modify;UNIX.group;UNIX.mode;\r\n MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;\r\n SIZE\r\n REST STREAM\r\n EPRT\r\n EPSV\r\n211 End",
	help: "214-The following commands are recognized (* =>'s unimplemented):\r\n CWD     XCWD    CDUP    XCUP    SMNT*   QUIT    PORT    PASV    \r\n EPRT    EPSV    ALLO*   RNFR    RNTO    DELE    MDTM    RMD     \r\n XRMD    MKD     XMKD    PWD     XPWD    SIZE    SYST    HELP    \r\n NOOP    FEAT    OPTS    HOST    CLNT    AUTH*   CCC*    CONF*   \r\n ENC*    MIC*    PBSZ*   PROT*   TYPE    STRU    MODE    RETR    \r\n STOR    STOU    APPE    REST    ABOR    RANG    USER    PASS    \r\n ACCT*   REIN*   LIST    NLST    STAT    SITE    MLSD    MLST    \r\n214 Direct comments to root@localhost",
	auth: "500 AUTH not understood", noop: "200 NOOP command successful", badPort: "500 Illegal PORT command",
	tooLong: "500 Command line too long", userFirst: "503 Login with USER first",
	storeLimit: "552 Transfer aborted. Disk quota exceeded",
}

var pureftpd = dialect{
	name: "Pure-FTPd", owner: "1000",
	userOK: "331 User {user} OK. Password required", loginOK: "230 OK. Current directory is /", loginFail: "530 Login incorrect.",
	needLogin: "530 You aren't logged in",
	pwd:       `257 "{dir}" is your current location`, cwdOK: "250 OK. Current directory is {dir}",
	cwdFail: "550 Can't change directory to {arg}: No such file or directory", typeI: "200 TYPE is now 8-bit binary",
	typeA: "200 TYPE is now ASCII", pasv: "227 Entering Passive Mode ({addr})", epsv: "229 Extended Passive mode OK (|||{port}|)",
	list150: "150 Accepted data connection", retr150: "150-Accepted data connection\r\n150 {size} bytes to download",
	stor150: "150 Accepted data connection", xfer226: "226-File successfully transferred\r\n226 0.001 seconds (measured here), 1.00 Mbytes per second",
	noFile: "550 Can't open {arg}: No such file or directory", denied: "550 Permission denied",
	unknown: "500 Unknown command", noData: "425 No data connection", quit: "221-Goodbye. You uploaded 0 and downloaded 0 kbytes.\r\n221 Logout.",
	feat: "211-Extensions supported:\r\n EPRT\r\n IDLE\r\n MDTM\r\n SIZE\r\n MFMT\r\n REST STREAM\r\n MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;\r\n MLSD\r\n PRET\r\n ESTP\r\n PASV\r\n EPSV\r\n SPSV\r\n ESTA\r\n211 End.",
	help: "214-The following SITE commands are recognized\r\n ALIAS\r\n CHMOD\r\n IDLE\r\n UTIME\r\n214 Pure-FTPd - http://pureftpd.org/",
	auth: "500 This security scheme is not implemented", noop: "200 Zzz...", badPort: "500 I won't open a connection to that address",
	tooLong: "500 Line too long", userFirst: "503 Login with USER first",
	storeLimit: "552 Quota exceeded",
}

// dialectFor returns the product dialect matching a banner (vsftpd when unknown).
func dialectFor(banner string) dialect {
	b := strings.ToLower(banner)
	switch {
	case strings.Contains(b, "proftpd"):
		return proftpd
	case strings.Contains(b, "pure-ftpd"), strings.Contains(b, "pureftpd"):
		return pureftpd
	}
	return vsftpd
}
