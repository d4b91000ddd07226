package function

import (
	"fmt"
	"io"
	"net/http"
)

// Handle answers every request: it reads the body and writes the status,
// headers and body of the answer.
func Handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, fmt.Sprintf("reading the request: %s", err), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "Hello, Go. You said: %s", string(body))
}
