package main

// The emulators compiled into this build register themselves from their init functions.
import (
	_ "github.com/decnet/decnet/services/all"
)
