package k8stest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// apiServer is a small REST client for the local kube-apiserver: what the
// tests need (discovery, get, list, server-side apply) without client-go.
// It authenticates with the system:masters client certificate of
// ../shared/k8s/start.sh and verifies the server against the CA
// kube-apiserver generated for its self-signed serving certificate.
type apiServer struct {
	base string
	http *http.Client

	mu        sync.Mutex
	resources map[string]apiResource // "apiVersion/Kind"
}

// apiResource is one entry of the discovery document.
type apiResource struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// connect reads DIR/kubeconfig (written by start.sh) and checks the server
// answers /readyz.
func connect(t *testing.T, dir string) *apiServer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatalf("the API server's kubeconfig: %v", err)
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `json:"server"`
			} `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			User struct {
				Cert string `json:"client-certificate"`
				Key  string `json:"client-key"`
			} `json:"user"`
		} `json:"users"`
	}
	if err := yaml.Unmarshal(data, &kc); err != nil || len(kc.Clusters) != 1 || len(kc.Users) != 1 {
		t.Fatalf("kubeconfig %s: want one cluster and one user (%v)", dir, err)
	}
	server := kc.Clusters[0].Cluster.Server
	if u, err := url.Parse(server); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("kubeconfig server %q: the tests talk to loopback only", server)
	}
	cert, err := tls.LoadX509KeyPair(kc.Users[0].User.Cert, kc.Users[0].User.Key)
	if err != nil {
		t.Fatalf("client certificate: %v", err)
	}
	roots := x509.NewCertPool()
	serving, err := os.ReadFile(filepath.Join(dir, "serving", "apiserver.crt"))
	if err != nil {
		t.Fatalf("kube-apiserver's serving certificate: %v", err)
	}
	for block, rest := pem.Decode(serving); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		roots.AddCert(c)
	}
	a := &apiServer{
		base: server,
		http: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots}},
		},
		resources: map[string]apiResource{},
	}
	if code, body := a.do(t, http.MethodGet, "/readyz", "", nil); code != http.StatusOK {
		t.Fatalf("%s/readyz: %d %s", server, code, body)
	}
	return a
}

func (a *apiServer) do(t *testing.T, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, data
}

// resource finds apiVersion/kind in the server's discovery documents.
func (a *apiServer) resource(t *testing.T, apiVersion, kind string) apiResource {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.resources[apiVersion+"/"+kind]; ok {
		return r
	}
	code, body := a.do(t, http.MethodGet, groupPath(apiVersion), "", nil)
	if code != http.StatusOK {
		t.Fatalf("discovery of %s: %d %s", apiVersion, code, body)
	}
	var list struct {
		Resources []apiResource `json:"resources"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Resources {
		if !strings.Contains(r.Name, "/") { // not a subresource
			a.resources[apiVersion+"/"+r.Kind] = r
		}
	}
	r, ok := a.resources[apiVersion+"/"+kind]
	if !ok {
		t.Fatalf("the API server does not serve %s %s", apiVersion, kind)
	}
	return r
}

func groupPath(apiVersion string) string {
	if apiVersion == "v1" {
		return "/api/v1"
	}
	return "/apis/" + apiVersion
}

// path is the REST path of a collection (name "") or an object.
func (a *apiServer) path(t *testing.T, apiVersion, kind, namespace, name string) string {
	t.Helper()
	r := a.resource(t, apiVersion, kind)
	p := groupPath(apiVersion)
	if r.Namespaced {
		if namespace == "" {
			t.Fatalf("%s %s/%s is namespaced: give its namespace", kind, apiVersion, name)
		}
		p += "/namespaces/" + namespace
	}
	p += "/" + r.Name
	if name != "" {
		p += "/" + name
	}
	return p
}

// get reads an object into out (a typed object or a map); it reports
// whether the object exists.
func (a *apiServer) get(t *testing.T, apiVersion, kind, namespace, name string, out any) bool {
	t.Helper()
	code, body := a.do(t, http.MethodGet, a.path(t, apiVersion, kind, namespace, name), "", nil)
	switch code {
	case http.StatusOK:
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				t.Fatalf("%s %s/%s: %v", kind, namespace, name, err)
			}
		}
		return true
	case http.StatusNotFound:
		return false
	}
	t.Fatalf("GET %s %s/%s: %d %s", kind, namespace, name, code, body)
	return false
}

// names lists the objects of a kind in namespace that match labelSelector.
func (a *apiServer) names(t *testing.T, apiVersion, kind, namespace, labelSelector string) []string {
	t.Helper()
	p := a.path(t, apiVersion, kind, namespace, "") + "?labelSelector=" + url.QueryEscape(labelSelector)
	code, body := a.do(t, http.MethodGet, p, "", nil)
	if code != http.StatusOK {
		t.Fatalf("list %s in %s: %d %s", kind, namespace, code, body)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range list.Items {
		out = append(out, it.Metadata.Name)
	}
	return out
}

// apply sends doc with server-side apply and strict field validation:
// a field the built-in type or the CRD's schema does not know is an
// error, not a warning (helm's own requests only warn). With dryRun the
// server validates, admits and defaults the object but stores nothing.
func (a *apiServer) apply(t *testing.T, o object, dryRun bool) error {
	t.Helper()
	q := url.Values{"fieldManager": {"e2e-k8s"}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	code, body := a.do(t, http.MethodPatch, a.path(t, o.APIVersion, o.Kind, o.Namespace, o.Name)+"?"+q.Encode(), "application/apply-patch+yaml", o.raw)
	if code != http.StatusOK && code != http.StatusCreated {
		return fmt.Errorf("apply %s %s/%s: %d %s", o.Kind, o.Namespace, o.Name, code, body)
	}
	return nil
}

// object is one document of a manifest.
type object struct {
	APIVersion, Kind, Namespace, Name string
	raw                               []byte
}

func (o object) String() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// parseManifest splits a multi-document YAML manifest into objects; a
// namespaced object without a namespace gets defaultNamespace.
func parseManifest(t *testing.T, a *apiServer, manifest, defaultNamespace string) []object {
	t.Helper()
	var out []object
	for _, doc := range strings.Split("\n"+manifest, "\n---") {
		doc = strings.TrimSpace(doc)
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("manifest document: %v\n%s", err, doc)
		}
		if head.Kind == "" {
			continue // only comments
		}
		o := object{APIVersion: head.APIVersion, Kind: head.Kind, Namespace: head.Metadata.Namespace, Name: head.Metadata.Name, raw: []byte(doc)}
		if !a.resource(t, o.APIVersion, o.Kind).Namespaced {
			o.Namespace = ""
		} else if o.Namespace == "" {
			o.Namespace = defaultNamespace
		}
		out = append(out, o)
	}
	return out
}
