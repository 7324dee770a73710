// Package conf is decnet's configuration domain: the service, archetype, distro and OS-profile catalogues,
// the deployment INI loader with its validation, typed persona values, and the DECNET_* settings.
package conf
