package awstest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// EndlessClusterPages is a TEST-ONLY front of the emulator: it answers
// every DescribeCacheClusters with no cluster and a new Marker, an API that
// never says it is done (the SDK's paginator stops only on a repeated
// token). Everything else goes to Next. Pages counts the answers.
type EndlessClusterPages struct {
	Next  http.Handler
	Pages atomic.Int64
}

func (e *EndlessClusterPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	if q, _ := url.ParseQuery(string(body)); q.Get("Action") != "DescribeCacheClusters" {
		e.Next.ServeHTTP(w, r)
		return
	}
	n := e.Pages.Add(1)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<DescribeCacheClustersResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><DescribeCacheClustersResult><Marker>page-%d</Marker><CacheClusters></CacheClusters></DescribeCacheClustersResult><ResponseMetadata><RequestId>endless</RequestId></ResponseMetadata></DescribeCacheClustersResponse>`, n)
}
