package function

import (
	"fmt"
	"io"
	"net/http"
)

// Handle greets POST and GET requests with their body, sets its own
// status and headers, and refuses other methods.
func Handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "only GET and POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, fmt.Sprintf("reading the request: %s", err), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Greeting", "golang-http")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "Hello, Go HTTP. You said: %s", string(body))
}
