// Command tuijin runs the key project coordination platform: its API and
// console (serve), its migrations (migrate), the demo tenants (demo), the
// audit chain check (audit verify), backups (backup, restore).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai must resolve on a minimal image

	"github.com/tuijin/tuijin/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tuijin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	return app.Run(ctx, os.Args[1:], os.LookupEnv, os.Stdout)
}
