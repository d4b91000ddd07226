package function

import "fmt"

// Handle answers a request with a greeting.
func Handle(req []byte) string {
	return fmt.Sprintf("Hello, Go. You said: %s", string(req))
}
