package http

import "github.com/decnet/decnet/conf"

func lookupDistro(slug string) (conf.Distro, error) { return conf.LookupDistro(slug) }
