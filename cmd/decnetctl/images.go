package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/decnet/decnet/images"
	"github.com/spf13/cobra"
)

// defaultContainerdAddress is $DECNET_CONTAINERD_ADDRESS, else the dev stack's socket under
// $DECNET_STATE_DIR (default /var/lib/decnet) when it exists, else the system containerd.
func defaultContainerdAddress() string {
	if v := os.Getenv("DECNET_CONTAINERD_ADDRESS"); v != "" {
		return v
	}
	state := os.Getenv("DECNET_STATE_DIR")
	if state == "" {
		state = "/var/lib/decnet"
	}
	if p := filepath.Join(state, "containerd", "containerd.sock"); fileExists(p) {
		return p
	}
	return "/run/containerd/containerd.sock"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (a *app) imagesCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "images import FILE.tar | images ls",
		Short: "Import operator images for [custom-*] services, list images (directly in containerd, namespace decnet)",
	}
	cmd.PersistentFlags().StringVar(&addr, "containerd-address", "", "containerd socket (default: $DECNET_CONTAINERD_ADDRESS, the dev stack's, or /run/containerd/containerd.sock)")
	connect := func() (*client.Client, error) {
		if addr == "" {
			addr = defaultContainerdAddress()
		}
		cl, err := client.New(addr, client.WithDefaultNamespace(images.Namespace), client.WithTimeout(5*time.Second))
		if err != nil {
			return nil, failure(fmt.Errorf("connect to containerd at %s: %w", addr, err))
		}
		return cl, nil
	}
	imp := &cobra.Command{Use: "import FILE.tar", Short: "Import an OCI or docker-save archive", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageErrf("open %s: %v", args[0], err)
			}
			defer f.Close()
			cl, err := connect()
			if err != nil {
				return err
			}
			defer cl.Close()
			names, err := images.ImportArchive(context.Background(), cl, f, "")
			if err != nil {
				return failure(err)
			}
			for _, n := range names {
				fmt.Fprintf(a.stdout, "imported %s\n", n)
			}
			return nil
		}}
	ls := &cobra.Command{Use: "ls", Short: "List images", Args: cobra.NoArgs}
	output := outputFlag(ls, "table", "json")
	ls.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		cl, err := connect()
		if err != nil {
			return err
		}
		defer cl.Close()
		list, err := images.List(context.Background(), cl)
		if err != nil {
			return failure(err)
		}
		if format == "json" {
			type img struct {
				Name      string    `json:"name"`
				Digest    string    `json:"digest"`
				CreatedAt time.Time `json:"created_at"`
			}
			out := make([]img, 0, len(list))
			for _, i := range list {
				out = append(out, img{i.Name, i.Digest, i.CreatedAt.UTC()})
			}
			return writeJSON(a.stdout, out)
		}
		tw := newTable(a.stdout, "NAME", "DIGEST", "CREATED")
		for _, i := range list {
			row(tw, i.Name, i.Digest, i.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	cmd.AddCommand(imp, ls)
	return cmd
}
