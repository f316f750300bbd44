// Package kumogaps is TEST-ONLY. Handler sits in front of the kumo AWS
// emulator (github.com/sivchari/kumo v0.33.1) and answers the few calls kumo
// lacks, passing everything else through:
//
//   - ElastiCache cache subnet groups and cache parameter groups
//     (Create/Describe/Modify, DescribeCacheParameters);
//   - replication groups with their real member list: kumo records a
//     CreateReplicationGroup but reports one member, no member cache
//     clusters, no log delivery, no AUTH flag and a configuration endpoint in
//     every mode. The handler remembers the request and patches kumo's
//     DescribeReplicationGroups answer and answers DescribeCacheClusters for
//     the members (paginated by MaxRecords/Marker), the way ElastiCache does;
//   - EC2 ingress rules that reference a security group (kumo keeps only
//     CIDR rules).
//
// kumo keeps its state per process, not per server: tests in one package
// must use distinct resource names.
//
// It also counts every action it sees, so tests can assert that a second
// provision apply calls nothing that mutates.
//
// It is a test helper like internal/redistest and internal/awstest: only
// _test.go files import it, never product code, and it is not part of the
// exporter binary.
package kumogaps

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Handler is the gap-filling front of a kumo server.
type Handler struct {
	kumo http.Handler

	// CreatingPolls is how many DescribeReplicationGroups answers report a
	// newly created group as "creating" before "available", to exercise
	// waiting. Set it before the group is created.
	CreatingPolls int

	mu           sync.Mutex
	actions      []string
	subnetGroups map[string]*subnetGroup
	paramGroups  map[string]*paramGroup
	groups       map[string]*replicationGroup
	sgPairs      map[string][]sgPair // security group id -> ingress rules from other groups
}

type subnetGroup struct {
	name, description string
	subnets           []string
}

type paramGroup struct {
	name, family, description string
	params                    map[string]string
}

type sgPair struct {
	protocol         string
	fromPort, toPort int
	sourceGroupID    string
}

type member struct {
	clusterID, nodeID, az, role string
	host                        string
	port                        int
}

type replicationGroup struct {
	id                      string
	clusterMode             bool
	engineVersion           string
	nodeType                string
	parameterGroup          string
	subnetGroup             string
	securityGroups          []string
	authToken               bool
	transit, atRest         bool
	port                    int
	shards                  [][]member
	logs                    []logDelivery
	pollsLeft               int
	primaryHost, readerHost string
	configHost              string
}

type logDelivery struct{ logType, destType, dest, format string }

// New returns a handler forwarding to the kumo server at kumoURL.
func New(kumoURL string) *Handler {
	u, err := url.Parse(kumoURL)
	if err != nil {
		panic(fmt.Sprintf("kumogaps: bad kumo URL %q: %v", kumoURL, err))
	}
	return &Handler{
		kumo:         httputil.NewSingleHostReverseProxy(u),
		subnetGroups: map[string]*subnetGroup{},
		paramGroups:  map[string]*paramGroup{},
		groups:       map[string]*replicationGroup{},
		sgPairs:      map[string][]sgPair{},
	}
}

// Actions returns every action seen since the last call and forgets them.
func (h *Handler) Actions() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.actions
	h.actions = nil
	return a
}

// Mutating filters actions down to the ones that change something.
func Mutating(actions []string) []string {
	var out []string
	for _, a := range actions {
		for _, p := range []string{"Create", "Modify", "Put", "Authorize", "Revoke", "Delete", "Tag", "Add", "Remove"} {
			if strings.HasPrefix(a, p) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// PointMemberAt makes a member cache cluster's node endpoint host:port, so a
// described group can point at real local redis-server processes.
func (h *Handler) PointMemberAt(cacheClusterID, host string, port int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, g := range h.groups {
		for si := range g.shards {
			for mi := range g.shards[si] {
				m := &g.shards[si][mi]
				if m.clusterID == cacheClusterID {
					m.host, m.port = host, port
					return nil
				}
			}
		}
	}
	return fmt.Errorf("kumogaps: no member %q", cacheClusterID)
}

// SetRoles sets CurrentRole of the members of a cluster-mode-disabled group
// (e.g. after a simulated failover): primary becomes primary, the rest replicas.
func (h *Handler) SetRoles(rgID string, primary string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.groups[rgID]
	if g == nil {
		return
	}
	for si := range g.shards {
		for mi := range g.shards[si] {
			m := &g.shards[si][mi]
			if m.clusterID == primary {
				m.role = "primary"
			} else {
				m.role = "replica"
			}
		}
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	action := actionOf(r, body)
	h.mu.Lock()
	h.actions = append(h.actions, action)
	h.mu.Unlock()

	var form url.Values
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ = url.ParseQuery(string(body))
	}
	switch action {
	case "CreateCacheSubnetGroup", "ModifyCacheSubnetGroup", "DescribeCacheSubnetGroups":
		h.subnetGroupAction(w, action, form)
	case "CreateCacheParameterGroup", "DescribeCacheParameterGroups", "ModifyCacheParameterGroup", "DescribeCacheParameters":
		h.paramGroupAction(w, action, form)
	case "CreateReplicationGroup":
		h.createReplicationGroup(w, r, form)
	case "DescribeReplicationGroups":
		h.describeReplicationGroups(w, r)
	case "DescribeCacheClusters":
		h.describeCacheClusters(w, r, form)
	case "AuthorizeSecurityGroupIngress":
		if form.Get("IpPermissions.1.Groups.1.GroupId") != "" {
			h.authorizeFromGroup(w, form)
			return
		}
		h.kumo.ServeHTTP(w, r)
	case "DescribeSecurityGroups":
		h.describeSecurityGroups(w, r)
	default:
		h.kumo.ServeHTTP(w, r)
	}
}

// actionOf names the call in any of the protocols the SDK clients speak:
// query (Action form field), JSON (X-Amz-Target) and rpc-v2-cbor (path).
func actionOf(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if i := strings.Index(r.URL.Path, "/operation/"); i >= 0 {
		return r.URL.Path[i+len("/operation/"):]
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if q, err := url.ParseQuery(string(body)); err == nil && q.Get("Action") != "" {
		return q.Get("Action")
	}
	return r.Method + " " + r.URL.Path
}

const ecNS = "http://elasticache.amazonaws.com/doc/2015-02-02/"

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

func writeFault(w http.ResponseWriter, status int, code, msg string) {
	writeXML(w, status, xmlError{Type: "Sender", Code: code, Message: msg, ReqID: "kumogaps"})
}

// indexed reads prefix.1, prefix.2, ... from a query form.
func indexed(form url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[prefix+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// ---- subnet groups ----

type xSubnetGroup struct {
	Name        string    `xml:"CacheSubnetGroupName"`
	Description string    `xml:"CacheSubnetGroupDescription"`
	VpcID       string    `xml:"VpcId"`
	Subnets     []xSubnet `xml:"Subnets>Subnet"`
}

type xSubnet struct {
	ID string `xml:"SubnetIdentifier"`
}

func (h *Handler) subnetGroupAction(w http.ResponseWriter, action string, form url.Values) {
	h.mu.Lock()
	defer h.mu.Unlock()
	name := form.Get("CacheSubnetGroupName")
	sg := h.subnetGroups[name]
	switch action {
	case "CreateCacheSubnetGroup":
		if sg != nil {
			writeFault(w, 400, "CacheSubnetGroupAlreadyExists", "Cache subnet group "+name+" already exists.")
			return
		}
		sg = &subnetGroup{name: name, description: form.Get("CacheSubnetGroupDescription"), subnets: indexed(form, "SubnetIds.SubnetIdentifier")}
		h.subnetGroups[name] = sg
	case "ModifyCacheSubnetGroup":
		if sg == nil {
			writeFault(w, 404, "CacheSubnetGroupNotFoundFault", "Cache subnet group "+name+" not found.")
			return
		}
		if s := indexed(form, "SubnetIds.SubnetIdentifier"); len(s) > 0 {
			sg.subnets = s
		}
	case "DescribeCacheSubnetGroups":
		var list []xSubnetGroup
		if name != "" {
			if sg == nil {
				writeFault(w, 404, "CacheSubnetGroupNotFoundFault", "Cache subnet group "+name+" not found.")
				return
			}
			list = append(list, toXSubnetGroup(sg))
		} else {
			for _, g := range h.subnetGroups {
				list = append(list, toXSubnetGroup(g))
			}
		}
		writeXML(w, 200, struct {
			XMLName xml.Name       `xml:"DescribeCacheSubnetGroupsResponse"`
			NS      string         `xml:"xmlns,attr"`
			Groups  []xSubnetGroup `xml:"DescribeCacheSubnetGroupsResult>CacheSubnetGroups>CacheSubnetGroup"`
		}{NS: ecNS, Groups: list})
		return
	}
	type result struct {
		XMLName xml.Name
		Group   xSubnetGroup `xml:"CacheSubnetGroup"`
	}
	writeXML(w, 200, struct {
		XMLName xml.Name
		NS      string `xml:"xmlns,attr"`
		Result  result
	}{XMLName: xml.Name{Local: action + "Response"}, NS: ecNS, Result: result{XMLName: xml.Name{Local: action + "Result"}, Group: toXSubnetGroup(sg)}})
}

func toXSubnetGroup(g *subnetGroup) xSubnetGroup {
	x := xSubnetGroup{Name: g.name, Description: g.description, VpcID: "vpc-from-subnets"}
	for _, id := range g.subnets {
		x.Subnets = append(x.Subnets, xSubnet{id})
	}
	return x
}

// ---- parameter groups ----

// Engine defaults DescribeCacheParameters reports for parameters no one set.
var paramDefaults = map[string]string{"maxmemory-policy": "volatile-lru", "timeout": "0", "cluster-enabled": "no"}

type xParam struct {
	Name   string `xml:"ParameterName"`
	Value  string `xml:"ParameterValue"`
	Source string `xml:"Source"`
}

func (h *Handler) paramGroupAction(w http.ResponseWriter, action string, form url.Values) {
	h.mu.Lock()
	defer h.mu.Unlock()
	name := form.Get("CacheParameterGroupName")
	pg := h.paramGroups[name]
	if pg == nil && action != "CreateCacheParameterGroup" && (action != "DescribeCacheParameterGroups" || name != "") {
		writeFault(w, 404, "CacheParameterGroupNotFound", "CacheParameterGroup "+name+" not found.")
		return
	}
	type xGroup struct {
		Name        string `xml:"CacheParameterGroupName"`
		Family      string `xml:"CacheParameterGroupFamily"`
		Description string `xml:"Description"`
	}
	switch action {
	case "CreateCacheParameterGroup":
		if pg != nil {
			writeFault(w, 400, "CacheParameterGroupAlreadyExists", "Parameter group "+name+" already exists.")
			return
		}
		pg = &paramGroup{name: name, family: form.Get("CacheParameterGroupFamily"), description: form.Get("Description"), params: map[string]string{}}
		h.paramGroups[name] = pg
		writeXML(w, 200, struct {
			XMLName xml.Name `xml:"CreateCacheParameterGroupResponse"`
			NS      string   `xml:"xmlns,attr"`
			Group   xGroup   `xml:"CreateCacheParameterGroupResult>CacheParameterGroup"`
		}{NS: ecNS, Group: xGroup{pg.name, pg.family, pg.description}})
	case "DescribeCacheParameterGroups":
		var list []xGroup
		for _, g := range h.paramGroups {
			if name == "" || g.name == name {
				list = append(list, xGroup{g.name, g.family, g.description})
			}
		}
		writeXML(w, 200, struct {
			XMLName xml.Name `xml:"DescribeCacheParameterGroupsResponse"`
			NS      string   `xml:"xmlns,attr"`
			Groups  []xGroup `xml:"DescribeCacheParameterGroupsResult>CacheParameterGroups>CacheParameterGroup"`
		}{NS: ecNS, Groups: list})
	case "ModifyCacheParameterGroup":
		for i := 1; ; i++ {
			p := fmt.Sprintf("ParameterNameValues.ParameterNameValue.%d.", i)
			n := form.Get(p + "ParameterName")
			if n == "" {
				break
			}
			if n == "cluster-enabled" && pg.family != "" && !strings.HasPrefix(pg.family, "redis") {
				writeFault(w, 400, "InvalidParameterValue", "cluster-enabled not valid for "+pg.family)
				return
			}
			pg.params[n] = form.Get(p + "ParameterValue")
		}
		writeXML(w, 200, struct {
			XMLName xml.Name `xml:"ModifyCacheParameterGroupResponse"`
			NS      string   `xml:"xmlns,attr"`
			Name    string   `xml:"ModifyCacheParameterGroupResult>CacheParameterGroupName"`
		}{NS: ecNS, Name: name})
	case "DescribeCacheParameters":
		var list []xParam
		for n, v := range pg.params {
			list = append(list, xParam{n, v, "user"})
		}
		if form.Get("Source") != "user" {
			for n, v := range paramDefaults {
				if _, set := pg.params[n]; !set {
					list = append(list, xParam{n, v, "engine-default"})
				}
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		writeXML(w, 200, struct {
			XMLName xml.Name `xml:"DescribeCacheParametersResponse"`
			NS      string   `xml:"xmlns,attr"`
			Params  []xParam `xml:"DescribeCacheParametersResult>Parameters>Parameter"`
		}{NS: ecNS, Params: list})
	}
}

// ---- replication groups ----

func (h *Handler) createReplicationGroup(w http.ResponseWriter, r *http.Request, form url.Values) {
	id := form.Get("ReplicationGroupId")
	h.mu.Lock()
	if n := form.Get("CacheSubnetGroupName"); n != "" && h.subnetGroups[n] == nil {
		h.mu.Unlock()
		writeFault(w, 400, "CacheSubnetGroupNotFoundFault", "Cache subnet group "+n+" not found.")
		return
	}
	if n := form.Get("CacheParameterGroupName"); n != "" && h.paramGroups[n] == nil {
		h.mu.Unlock()
		writeFault(w, 404, "CacheParameterGroupNotFound", "CacheParameterGroup "+n+" not found.")
		return
	}
	h.mu.Unlock()

	rec := httptest.NewRecorder()
	h.kumo.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	g := &replicationGroup{
		id:             id,
		engineVersion:  form.Get("EngineVersion"),
		nodeType:       form.Get("CacheNodeType"),
		parameterGroup: form.Get("CacheParameterGroupName"),
		subnetGroup:    form.Get("CacheSubnetGroupName"),
		securityGroups: indexed(form, "SecurityGroupIds.SecurityGroupId"),
		authToken:      form.Get("AuthToken") != "",
		transit:        form.Get("TransitEncryptionEnabled") == "true",
		atRest:         form.Get("AtRestEncryptionEnabled") == "true",
		port:           atoi(form.Get("Port"), 6379),
		pollsLeft:      h.CreatingPolls,
	}
	if g.engineVersion == "" {
		g.engineVersion = "7.1"
	}
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	suffix := "abc123.use1.cache.amazonaws.com"
	if ngs := atoi(form.Get("NumNodeGroups"), 0); ngs > 0 {
		g.clusterMode = true
		g.configHost = "clustercfg." + id + "." + suffix
		per := atoi(form.Get("ReplicasPerNodeGroup"), 1) + 1
		for s := 1; s <= ngs; s++ {
			var shard []member
			for n := 1; n <= per; n++ {
				cid := fmt.Sprintf("%s-%04d-%03d", id, s, n)
				shard = append(shard, member{clusterID: cid, nodeID: "0001", az: azs[(s+n)%3], host: cid + "." + id + "." + suffix, port: g.port})
			}
			g.shards = append(g.shards, shard)
		}
	} else {
		n := atoi(form.Get("NumCacheClusters"), 1)
		g.primaryHost = "master." + id + "." + suffix
		g.readerHost = "replica." + id + "." + suffix
		var shard []member
		for i := 1; i <= n; i++ {
			cid := fmt.Sprintf("%s-%03d", id, i)
			role := "replica"
			if i == 1 {
				role = "primary"
			}
			shard = append(shard, member{clusterID: cid, nodeID: "0001", az: azs[(i-1)%3], role: role, host: cid + "." + id + "." + suffix, port: g.port})
		}
		g.shards = [][]member{shard}
	}
	for i := 1; ; i++ {
		p := fmt.Sprintf("LogDeliveryConfigurations.LogDeliveryConfigurationRequest.%d.", i)
		lt := form.Get(p + "LogType")
		if lt == "" {
			break
		}
		dest := form.Get(p + "DestinationDetails.CloudWatchLogsDetails.LogGroup")
		if dest == "" {
			dest = form.Get(p + "DestinationDetails.KinesisFirehoseDetails.DeliveryStream")
		}
		g.logs = append(g.logs, logDelivery{lt, form.Get(p + "DestinationType"), dest, form.Get(p + "LogFormat")})
	}
	h.mu.Lock()
	h.groups[id] = g
	h.mu.Unlock()
	copyResponse(w, rec)
}

func atoi(s string, def int) int {
	if v, err := strconv.Atoi(s); err == nil {
		return v
	}
	return def
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

type xEndpoint struct {
	Address string `xml:"Address"`
	Port    int    `xml:"Port"`
}

type xMember struct {
	CacheClusterID string     `xml:"CacheClusterId"`
	CacheNodeID    string     `xml:"CacheNodeId"`
	ReadEndpoint   *xEndpoint `xml:"ReadEndpoint,omitempty"`
	AZ             string     `xml:"PreferredAvailabilityZone,omitempty"`
	CurrentRole    string     `xml:"CurrentRole,omitempty"`
}

type xNodeGroup struct {
	NodeGroupID     string     `xml:"NodeGroupId"`
	Status          string     `xml:"Status"`
	PrimaryEndpoint *xEndpoint `xml:"PrimaryEndpoint,omitempty"`
	ReaderEndpoint  *xEndpoint `xml:"ReaderEndpoint,omitempty"`
	Slots           string     `xml:"Slots,omitempty"`
	Members         []xMember  `xml:"NodeGroupMembers>NodeGroupMember"`
}

type xLogDelivery struct {
	LogType  string `xml:"LogType"`
	DestType string `xml:"DestinationType"`
	LogGroup string `xml:"DestinationDetails>CloudWatchLogsDetails>LogGroup,omitempty"`
	Format   string `xml:"LogFormat"`
	Status   string `xml:"Status"`
}

// xReplicationGroup models every field kumo reports so that decoding and
// re-encoding its answer loses nothing.
type xReplicationGroup struct {
	ID                    string         `xml:"ReplicationGroupId"`
	Description           string         `xml:"Description"`
	Status                string         `xml:"Status"`
	MemberClusters        []string       `xml:"MemberClusters>ClusterId"`
	NodeGroups            []xNodeGroup   `xml:"NodeGroups>NodeGroup"`
	AutomaticFailover     string         `xml:"AutomaticFailover"`
	MultiAZ               string         `xml:"MultiAZ"`
	SnapshotRetention     int            `xml:"SnapshotRetentionLimit"`
	SnapshotWindow        string         `xml:"SnapshotWindow,omitempty"`
	ClusterEnabled        bool           `xml:"ClusterEnabled"`
	CacheNodeType         string         `xml:"CacheNodeType,omitempty"`
	AuthTokenEnabled      bool           `xml:"AuthTokenEnabled"`
	TransitEncryption     bool           `xml:"TransitEncryptionEnabled"`
	AtRestEncryption      bool           `xml:"AtRestEncryptionEnabled"`
	ARN                   string         `xml:"ARN"`
	ConfigurationEndpoint *xEndpoint     `xml:"ConfigurationEndpoint,omitempty"`
	CreateTime            string         `xml:"ReplicationGroupCreateTime"`
	AutoMinorVersion      bool           `xml:"AutoMinorVersionUpgrade"`
	MaintenanceWindow     string         `xml:"PreferredMaintenanceWindow,omitempty"`
	LogDelivery           []xLogDelivery `xml:"LogDeliveryConfigurations>LogDeliveryConfiguration"`
}

type xDescribeRGResponse struct {
	XMLName xml.Name            `xml:"DescribeReplicationGroupsResponse"`
	NS      string              `xml:"xmlns,attr"`
	Groups  []xReplicationGroup `xml:"DescribeReplicationGroupsResult>ReplicationGroups>ReplicationGroup"`
	ReqID   string              `xml:"ResponseMetadata>RequestId"`
}

func (h *Handler) describeReplicationGroups(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.kumo.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var resp xDescribeRGResponse
	if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		writeFault(w, 500, "InternalFailure", "kumogaps: decode kumo answer: "+err.Error())
		return
	}
	resp.NS = ecNS
	h.mu.Lock()
	for i := range resp.Groups {
		if g := h.groups[resp.Groups[i].ID]; g != nil {
			g.patch(&resp.Groups[i])
		}
	}
	h.mu.Unlock()
	writeXML(w, 200, resp)
}

func (g *replicationGroup) patch(x *xReplicationGroup) {
	if g.pollsLeft > 0 {
		g.pollsLeft--
		x.Status = "creating"
	}
	x.ClusterEnabled = g.clusterMode
	x.AuthTokenEnabled = g.authToken
	x.TransitEncryption = g.transit
	x.AtRestEncryption = g.atRest
	x.MemberClusters = nil
	x.NodeGroups = nil
	x.ConfigurationEndpoint = nil
	if g.clusterMode {
		x.ConfigurationEndpoint = &xEndpoint{g.configHost, g.port}
	}
	for si, shard := range g.shards {
		ng := xNodeGroup{NodeGroupID: fmt.Sprintf("%04d", si+1), Status: "available"}
		if g.clusterMode {
			// Even split of the 16384 slots, like ElastiCache's default.
			lo := si * 16384 / len(g.shards)
			hi := (si+1)*16384/len(g.shards) - 1
			ng.Slots = fmt.Sprintf("%d-%d", lo, hi)
		} else {
			ng.PrimaryEndpoint = &xEndpoint{g.primaryHost, g.port}
			ng.ReaderEndpoint = &xEndpoint{g.readerHost, g.port}
		}
		for _, m := range shard {
			x.MemberClusters = append(x.MemberClusters, m.clusterID)
			xm := xMember{CacheClusterID: m.clusterID, CacheNodeID: m.nodeID, AZ: m.az}
			if !g.clusterMode {
				// Only cluster mode disabled reports roles and member endpoints.
				xm.CurrentRole = m.role
				xm.ReadEndpoint = &xEndpoint{m.host, m.port}
			}
			ng.Members = append(ng.Members, xm)
		}
		x.NodeGroups = append(x.NodeGroups, ng)
	}
	x.LogDelivery = nil
	for _, l := range g.logs {
		x.LogDelivery = append(x.LogDelivery, xLogDelivery{l.logType, l.destType, l.dest, l.format, "active"})
	}
}

type xSGMember struct {
	ID     string `xml:"SecurityGroupId"`
	Status string `xml:"Status"`
}

type xCacheNode struct {
	CacheNodeID string     `xml:"CacheNodeId"`
	Status      string     `xml:"CacheNodeStatus"`
	Endpoint    *xEndpoint `xml:"Endpoint,omitempty"`
	AZ          string     `xml:"CustomerAvailabilityZone,omitempty"`
}

type xCacheCluster struct {
	CacheClusterID     string         `xml:"CacheClusterId"`
	Status             string         `xml:"CacheClusterStatus"`
	CacheNodeType      string         `xml:"CacheNodeType"`
	Engine             string         `xml:"Engine"`
	EngineVersion      string         `xml:"EngineVersion,omitempty"`
	NumCacheNodes      int            `xml:"NumCacheNodes"`
	AZ                 string         `xml:"PreferredAvailabilityZone,omitempty"`
	CacheSubnetGroup   string         `xml:"CacheSubnetGroupName,omitempty"`
	ARN                string         `xml:"ARN"`
	CacheNodes         []xCacheNode   `xml:"CacheNodes>CacheNode"`
	SecurityGroups     []xSGMember    `xml:"SecurityGroups>member"`
	ParameterGroup     string         `xml:"CacheParameterGroup>CacheParameterGroupName,omitempty"`
	ReplicationGroupID string         `xml:"ReplicationGroupId,omitempty"`
	AuthTokenEnabled   bool           `xml:"AuthTokenEnabled"`
	TransitEncryption  bool           `xml:"TransitEncryptionEnabled"`
	AtRestEncryption   bool           `xml:"AtRestEncryptionEnabled"`
	LogDelivery        []xLogDelivery `xml:"LogDeliveryConfigurations>LogDeliveryConfiguration"`
}

func (h *Handler) describeCacheClusters(w http.ResponseWriter, r *http.Request, form url.Values) {
	rec := httptest.NewRecorder()
	h.kumo.ServeHTTP(rec, r)
	var kumoAnswer struct {
		Clusters []xCacheCluster `xml:"DescribeCacheClustersResult>CacheClusters>CacheCluster"`
	}
	if rec.Code == http.StatusOK {
		if err := xml.Unmarshal(rec.Body.Bytes(), &kumoAnswer); err != nil {
			writeFault(w, 500, "InternalFailure", "kumogaps: decode kumo answer: "+err.Error())
			return
		}
	}
	showNodes := form.Get("ShowCacheNodeInfo") == "true"
	id := form.Get("CacheClusterId")
	var all []xCacheCluster
	h.mu.Lock()
	rgIDs := make([]string, 0, len(h.groups))
	for k := range h.groups {
		rgIDs = append(rgIDs, k)
	}
	sort.Strings(rgIDs)
	for _, k := range rgIDs {
		g := h.groups[k]
		for _, shard := range g.shards {
			for _, m := range shard {
				c := xCacheCluster{
					CacheClusterID: m.clusterID, Status: "available", CacheNodeType: g.nodeType, Engine: "redis",
					EngineVersion: g.engineVersion, NumCacheNodes: 1, AZ: m.az, CacheSubnetGroup: g.subnetGroup,
					ARN:            "arn:aws:elasticache:us-east-1:000000000000:cluster:" + m.clusterID,
					ParameterGroup: g.parameterGroup, ReplicationGroupID: g.id, AuthTokenEnabled: g.authToken,
					TransitEncryption: g.transit, AtRestEncryption: g.atRest,
				}
				for _, id := range g.securityGroups {
					c.SecurityGroups = append(c.SecurityGroups, xSGMember{id, "active"})
				}
				if showNodes {
					c.CacheNodes = []xCacheNode{{CacheNodeID: m.nodeID, Status: "available", Endpoint: &xEndpoint{m.host, m.port}, AZ: m.az}}
				}
				for _, l := range g.logs {
					c.LogDelivery = append(c.LogDelivery, xLogDelivery{l.logType, l.destType, l.dest, l.format, "active"})
				}
				all = append(all, c)
			}
		}
	}
	h.mu.Unlock()
	all = append(all, kumoAnswer.Clusters...)
	if id != "" {
		var one []xCacheCluster
		for _, c := range all {
			if c.CacheClusterID == id {
				one = append(one, c)
			}
		}
		if len(one) == 0 {
			writeFault(w, 404, "CacheClusterNotFound", "CacheCluster "+id+" not found.")
			return
		}
		all = one
	}
	start := atoi(form.Get("Marker"), 0)
	size := atoi(form.Get("MaxRecords"), 100)
	end := min(start+size, len(all))
	marker := ""
	if end < len(all) {
		marker = strconv.Itoa(end)
	}
	if start > len(all) {
		start = len(all)
	}
	writeXML(w, 200, struct {
		XMLName  xml.Name        `xml:"DescribeCacheClustersResponse"`
		NS       string          `xml:"xmlns,attr"`
		Marker   string          `xml:"DescribeCacheClustersResult>Marker,omitempty"`
		Clusters []xCacheCluster `xml:"DescribeCacheClustersResult>CacheClusters>CacheCluster"`
	}{NS: ecNS, Marker: marker, Clusters: all[start:end]})
}

// ---- EC2 security groups referencing other groups ----

func (h *Handler) authorizeFromGroup(w http.ResponseWriter, form url.Values) {
	id := form.Get("GroupId")
	h.mu.Lock()
	for i := 1; ; i++ {
		p := fmt.Sprintf("IpPermissions.%d.", i)
		proto := form.Get(p + "IpProtocol")
		if proto == "" {
			break
		}
		for j := 1; ; j++ {
			src := form.Get(fmt.Sprintf("%sGroups.%d.GroupId", p, j))
			if src == "" {
				break
			}
			pair := sgPair{proto, atoi(form.Get(p+"FromPort"), 0), atoi(form.Get(p+"ToPort"), 0), src}
			for _, have := range h.sgPairs[id] {
				if have == pair {
					h.mu.Unlock()
					w.Header().Set("Content-Type", "text/xml")
					w.WriteHeader(400)
					_, _ = io.WriteString(w, `<Response><Errors><Error><Code>InvalidPermission.Duplicate</Code><Message>the specified rule already exists</Message></Error></Errors><RequestID>kumogaps</RequestID></Response>`)
					return
				}
			}
			h.sgPairs[id] = append(h.sgPairs[id], pair)
		}
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	_, _ = io.WriteString(w, `<AuthorizeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>kumogaps</requestId><return>true</return></AuthorizeSecurityGroupIngressResponse>`)
}

type xPair struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xPermission struct {
	Protocol string     `xml:"ipProtocol"`
	FromPort int        `xml:"fromPort"`
	ToPort   int        `xml:"toPort"`
	Groups   []xPair    `xml:"groups>item"`
	IPRanges []xIPRange `xml:"ipRanges>item"`
}

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xSecurityGroup struct {
	OwnerID     string        `xml:"ownerId"`
	GroupID     string        `xml:"groupId"`
	GroupName   string        `xml:"groupName"`
	Description string        `xml:"groupDescription"`
	VpcID       string        `xml:"vpcId"`
	Ingress     []xPermission `xml:"ipPermissions>item"`
	Egress      []xPermission `xml:"ipPermissionsEgress>item"`
	Tags        []xTag        `xml:"tagSet>item"`
}

func (h *Handler) describeSecurityGroups(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.kumo.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var resp struct {
		XMLName xml.Name         `xml:"DescribeSecurityGroupsResponse"`
		NS      string           `xml:"xmlns,attr"`
		ReqID   string           `xml:"requestId"`
		Groups  []xSecurityGroup `xml:"securityGroupInfo>item"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		writeFault(w, 500, "InternalFailure", "kumogaps: decode kumo answer: "+err.Error())
		return
	}
	resp.NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
	h.mu.Lock()
	for i := range resp.Groups {
		for _, p := range h.sgPairs[resp.Groups[i].GroupID] {
			resp.Groups[i].Ingress = append(resp.Groups[i].Ingress, xPermission{
				Protocol: p.protocol, FromPort: p.fromPort, ToPort: p.toPort,
				Groups: []xPair{{GroupID: p.sourceGroupID, UserID: "000000000000"}},
			})
		}
	}
	h.mu.Unlock()
	writeXML(w, 200, resp)
}
