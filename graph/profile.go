package graph

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/xerochat/xerochat"
)

// profileFields are the fields UserProfile asks for. Facebook leaves out
// those the app has no approval for (locale, timezone and gender need
// extra review), so every one of them may be missing.
const profileFields = "first_name,last_name,profile_pic,locale,timezone,gender"

// UserProfile fetches the profile of the person with that PSID. When
// Facebook gives only a full name, it is split at the first space into first
// and last name; when it gives only the parts, FullName joins them. The
// timezone, a number of hours, is kept as Facebook wrote it ("-7", "5.5");
// it is "" when Facebook did not say, since 0 is a real offset.
func (c *Client) UserProfile(ctx context.Context, pageToken, psid string) (*xerochat.Profile, error) {
	path, err := idPath("PSID", psid, "")
	if err != nil {
		return nil, err
	}
	var out struct {
		Name       string   `json:"name"`
		FirstName  string   `json:"first_name"`
		LastName   string   `json:"last_name"`
		ProfilePic string   `json:"profile_pic"`
		Locale     string   `json:"locale"`
		Gender     string   `json:"gender"`
		Timezone   *float64 `json:"timezone"`
	}
	if err := c.get(ctx, pageToken, path, url.Values{"fields": {profileFields}}, &out); err != nil {
		return nil, err
	}
	p := &xerochat.Profile{FirstName: out.FirstName, LastName: out.LastName, FullName: out.Name,
		ProfilePic: out.ProfilePic, Locale: out.Locale, Gender: out.Gender}
	if out.Timezone != nil {
		p.Timezone = strconv.FormatFloat(*out.Timezone, 'f', -1, 64)
	}
	switch {
	case p.FirstName == "" && p.LastName == "" && p.FullName != "":
		p.FirstName, p.LastName, _ = strings.Cut(strings.TrimSpace(p.FullName), " ")
	case p.FullName == "":
		p.FullName = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	return p, nil
}
