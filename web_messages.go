package xerochat

// Messages the web app shows that are not part of the /api contract.
// Contract messages stay in messages.go; the web app shows those as they
// are, so a person reads in the browser what a client reads from /api.
const (
	// MsgLoginFailed answers an unknown e-mail and a wrong password alike.
	MsgLoginFailed = "Wrong e-mail or password"
	// MsgLoginThrottled answers every sign-in while an account or an
	// address has failed too often, whether or not the password is right.
	MsgLoginThrottled = "Too many failed sign-ins. Wait 15 minutes, then try again."
	// MsgLoginInactive is shown only after a right password, so it tells
	// nothing to someone guessing.
	MsgLoginInactive    = "This account is not active. Ask your administrator."
	MsgPasswordWrong    = "The current password is wrong"
	MsgPasswordShort    = "The new password needs at least 8 characters"
	MsgPasswordMismatch = "The two new passwords differ"
	MsgPasswordRequired = "Enter the password"
	MsgEmailRequired    = "Enter the e-mail address"
	MsgSessionEnded     = "Your session ended. Sign in again."
	MsgSignedOut        = "You are signed out."
	MsgPasswordChanged  = "Password changed. Every other browser signed in to this account is signed out."
	MsgProfileSaved     = "Profile saved."
	MsgMemberExpired    = "Your membership expired on %s. The API refuses your key until an administrator extends it; you can still download your data."
	MsgBotSwitched      = "The bot of %s is now %s."
	MsgNameRequired     = "Enter the name"
	MsgNotFoundPage     = "Not found"
	MsgNotFoundPageDesc = "There is nothing here, or it is not yours."
	MsgForbiddenPage    = "This page is for administrators."
	MsgCrossSiteRefused = "Refused: the request came from another site."
)

// Messages of CSV imports.
const (
	MsgCSVNoFile    = "Choose a CSV file to import"
	MsgCSVNoColumns = "The file's first line must name an email or phone_number (or phone) column"
	MsgCSVTooMany   = "The file has more than 100000 rows; split it"
	MsgCSVEmpty     = "The file has no rows below its header"
	// MsgCSVBad takes the line number and the reader's complaint.
	MsgCSVBad = "Line %d is not valid CSV: %s"
)

// Messages of the admin's screens.
const (
	MsgPackageNameRequired = "Enter the package name"
	MsgPackageValidityBad  = "The validity is a number of days, 0 or more"
	MsgPackagePriceBad     = "The price is a number, such as 0 or 9.99"
	MsgTrialStays          = "The Trial package cannot be deleted: new members are put in it"
	MsgPasswordShownOnce   = "The new password of %s (shown only now): %s"
	MsgKeyShownOnce        = "The new API key of %s, which ends the old one (shown only now): %s"
	MsgUserCreated         = "Member %s created."
)
