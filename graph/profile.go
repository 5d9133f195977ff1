package graph

import (
	"context"
	"net/url"
	"strings"
)

// profileFields are the fields UserProfile asks for. Facebook leaves out
// those the app has no approval for (locale, timezone and gender need
// extra review), so every one of them may be missing.
const profileFields = "first_name,last_name,profile_pic,locale,timezone,gender"

// Profile is what Facebook tells about a Messenger user. Empty strings mean
// Facebook did not say; Timezone is nil for the same reason, because 0 is a
// real offset.
type Profile struct {
	ID         string
	Name       string
	FirstName  string
	LastName   string
	ProfilePic string
	Locale     string
	Gender     string
	// Timezone is the offset from UTC in hours, such as -7 or 5.5.
	Timezone *float64
}

// UserProfile fetches the profile of the person with that PSID. When
// Facebook gives only a full name, it is split at the first space into first
// and last name; when it gives only the parts, Name joins them.
func (c *Client) UserProfile(ctx context.Context, pageToken, psid string) (*Profile, error) {
	path, err := idPath("PSID", psid, "")
	if err != nil {
		return nil, err
	}
	var out struct {
		ID         string   `json:"id"`
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
	p := &Profile{
		ID:         out.ID,
		Name:       out.Name,
		FirstName:  out.FirstName,
		LastName:   out.LastName,
		ProfilePic: out.ProfilePic,
		Locale:     out.Locale,
		Gender:     out.Gender,
		Timezone:   out.Timezone,
	}
	if p.ID == "" {
		p.ID = psid
	}
	switch {
	case p.FirstName == "" && p.LastName == "" && p.Name != "":
		p.FirstName, p.LastName, _ = strings.Cut(strings.TrimSpace(p.Name), " ")
	case p.Name == "":
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	return p, nil
}
