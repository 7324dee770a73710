package all

import _ "github.com/decnet/decnet/services/ldap"
