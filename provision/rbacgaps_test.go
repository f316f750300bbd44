package provision

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// rbacGaps is TEST-ONLY: it answers the ElastiCache RBAC calls kumo v0.33.1
// lacks (CreateUser, DescribeUsers, ModifyUser, CreateUserGroup,
// DescribeUserGroups, ModifyUserGroup) in front of internal/kumogaps, keeping users and
// groups the way ElastiCache reports them (a new group is "creating" for
// one DescribeUserGroups answer, then "active"; passwords are never
// returned), and refuses what ElastiCache refuses that the tests rely on:
// a duplicate id, a Valkey user without a password, a group whose users do
// not exist or that lacks a user named default. Everything else goes to
// next. It records the calls it answers.
type rbacGaps struct {
	next http.Handler

	mu      sync.Mutex
	actions []string
	// echo: the calls of this action (and, when echoID is set, with this
	// UserId) fail with an error that repeats the request, decoded and as
	// sent: an API (or a proxy in front of it) that echoes what it refuses.
	echo, echoID string
	users        map[string]gapUser
	groups       map[string]*gapGroup
}

type gapUser struct {
	id, name, engine, access, authType string
	passwords                          []string
}

type gapGroup struct {
	id, engine    string
	users         []string
	creatingPolls int
}

func newRBACGaps(next http.Handler) *rbacGaps {
	return &rbacGaps{next: next, users: map[string]gapUser{}, groups: map[string]*gapGroup{}}
}

// Actions returns and forgets the calls answered here.
func (g *rbacGaps) Actions() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.actions
	g.actions = nil
	return a
}

// User returns a stored user (tests check what was sent).
func (g *rbacGaps) User(id string) (gapUser, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	u, ok := g.users[id]
	return u, ok
}

func (g *rbacGaps) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		g.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	g.mu.Lock()
	echo := action == g.echo && (g.echoID == "" || form.Get("UserId") == g.echoID)
	g.mu.Unlock()
	if echo {
		gapFault(w, "InvalidParameterValue", fmt.Sprintf("refused %v; the request was %s", form, body))
		return
	}
	switch action {
	case "CreateUser", "DescribeUsers", "ModifyUser", "CreateUserGroup", "DescribeUserGroups", "ModifyUserGroup":
	default:
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		g.next.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.actions = append(g.actions, action)
	switch action {
	case "CreateUser":
		u := gapUser{id: form.Get("UserId"), name: form.Get("UserName"), engine: strings.ToLower(form.Get("Engine")), access: form.Get("AccessString"), authType: form.Get("AuthenticationMode.Type")}
		u.passwords = members(form, "AuthenticationMode.Passwords")
		if _, dup := g.users[u.id]; dup {
			gapFault(w, "UserAlreadyExists", "User "+u.id+" already exists.")
			return
		}
		if u.engine == "valkey" && (u.authType != "password" || len(u.passwords) == 0) {
			gapFault(w, "InvalidParameterCombination", "No-password-required is not allowed for a user with engine Valkey")
			return
		}
		g.users[u.id] = u
		gapReply(w, "CreateUser", userXML(u, nil))
	case "DescribeUsers":
		u, ok := g.users[form.Get("UserId")]
		if !ok {
			gapFault(w, "UserNotFound", "User not found")
			return
		}
		gapReply(w, "DescribeUsers", "<Users><member>"+userXML(u, g.groupsOf(u.id))+"</member></Users>")
	case "ModifyUser":
		u, ok := g.users[form.Get("UserId")]
		if !ok {
			gapFault(w, "UserNotFound", "User not found")
			return
		}
		if a := form.Get("AccessString"); a != "" {
			u.access = a
		}
		if e := form.Get("Engine"); e != "" {
			u.engine = strings.ToLower(e)
		}
		if t := form.Get("AuthenticationMode.Type"); t != "" {
			u.authType, u.passwords = t, members(form, "AuthenticationMode.Passwords")
		}
		if u.engine == "valkey" && (u.authType != "password" || len(u.passwords) == 0) {
			gapFault(w, "InvalidParameterCombination", "No-password-required is not allowed for a user with engine Valkey")
			return
		}
		g.users[u.id] = u
		gapReply(w, "ModifyUser", userXML(u, g.groupsOf(u.id)))
	case "CreateUserGroup":
		gr := &gapGroup{id: form.Get("UserGroupId"), engine: strings.ToLower(form.Get("Engine")), users: members(form, "UserIds"), creatingPolls: 1}
		if _, dup := g.groups[gr.id]; dup {
			gapFault(w, "UserGroupAlreadyExists", "User group "+gr.id+" already exists.")
			return
		}
		hasDefault := false
		for _, id := range gr.users {
			u, ok := g.users[id]
			if !ok {
				gapFault(w, "UserNotFound", "User "+id+" not found")
				return
			}
			hasDefault = hasDefault || u.name == "default"
		}
		if !hasDefault {
			gapFault(w, "DefaultUserRequired", "User group needs to contain a user with the user name default.")
			return
		}
		g.groups[gr.id] = gr
		gapReply(w, "CreateUserGroup", groupXML(gr, "creating"))
	case "ModifyUserGroup":
		gr, ok := g.groups[form.Get("UserGroupId")]
		if !ok {
			gapFault(w, "UserGroupNotFound", "User group not found")
			return
		}
		if e := form.Get("Engine"); e != "" {
			gr.engine = strings.ToLower(e)
		}
		for _, id := range members(form, "UserIdsToAdd") {
			if _, ok := g.users[id]; !ok {
				gapFault(w, "UserNotFound", "User "+id+" not found")
				return
			}
			gr.users = append(gr.users, id)
		}
		gr.creatingPolls = 1 // "modifying" once
		gapReply(w, "ModifyUserGroup", groupXML(gr, "modifying"))
	case "DescribeUserGroups":
		gr, ok := g.groups[form.Get("UserGroupId")]
		if !ok {
			gapFault(w, "UserGroupNotFound", "User group not found")
			return
		}
		status := "active"
		if gr.creatingPolls > 0 {
			gr.creatingPolls--
			status = "creating"
		}
		gapReply(w, "DescribeUserGroups", "<UserGroups><member>"+groupXML(gr, status)+"</member></UserGroups>")
	}
}

func (g *rbacGaps) groupsOf(userID string) []string {
	var out []string
	for _, gr := range g.groups {
		for _, id := range gr.users {
			if id == userID {
				out = append(out, gr.id)
			}
		}
	}
	return out
}

func members(form url.Values, prefix string) []string {
	var out []string
	for i := 1; form.Has(fmt.Sprintf("%s.member.%d", prefix, i)); i++ {
		out = append(out, form.Get(fmt.Sprintf("%s.member.%d", prefix, i)))
	}
	return out
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func userXML(u gapUser, groups []string) string {
	var gs strings.Builder
	for _, id := range groups {
		gs.WriteString("<member>" + esc(id) + "</member>")
	}
	return fmt.Sprintf("<UserId>%s</UserId><UserName>%s</UserName><Status>active</Status><Engine>%s</Engine><AccessString>%s</AccessString><UserGroupIds>%s</UserGroupIds><Authentication><Type>%s</Type><PasswordCount>%d</PasswordCount></Authentication><ARN>arn:aws:elasticache:us-east-1:000000000000:user:%s</ARN>",
		esc(u.id), esc(u.name), esc(u.engine), esc(u.access), gs.String(), esc(u.authType), len(u.passwords), esc(u.id))
}

func groupXML(gr *gapGroup, status string) string {
	var us strings.Builder
	for _, id := range gr.users {
		us.WriteString("<member>" + esc(id) + "</member>")
	}
	return fmt.Sprintf("<UserGroupId>%s</UserGroupId><Status>%s</Status><Engine>%s</Engine><UserIds>%s</UserIds><ARN>arn:aws:elasticache:us-east-1:000000000000:usergroup:%s</ARN>",
		esc(gr.id), status, esc(gr.engine), us.String(), esc(gr.id))
}

func gapReply(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<%[1]sResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>rbacgaps</RequestId></ResponseMetadata></%[1]sResponse>`, action, result)
}

func gapFault(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>rbacgaps</RequestId></ErrorResponse>`, code, esc(msg))
}
