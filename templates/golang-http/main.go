// The golang-http template's entry point: an HTTP server on 127.0.0.1:8082
// (fwatchdog's upstream_url in http mode) that hands every request to
// function.Handle.
package main

import (
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"handler/function"
)

func main() {
	addr := "127.0.0.1:8082"
	if port := os.Getenv("http_port"); port != "" {
		addr = "127.0.0.1:" + port
	}
	server := &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(function.Handle),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		server.Close()
	}()
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatalf("handler: %s", err)
	}
}
