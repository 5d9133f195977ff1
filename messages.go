package xerochat

// Every message a client of the XeroChat contract can read, defined once.
// The store returns them inside *Error, the use cases and the API layer
// choose among them, and tests compare against these names: the exact text
// is the product, so no layer spells one out on its own.

// Messages of the key check, shared by every endpoint.
const (
	MsgKeyRequired = "API Key is required"
	// MsgKeyInvalid answers every key that cannot be used, whatever the
	// reason (unknown, inactive, expired, not an admin), so keys cannot be
	// probed.
	MsgKeyInvalid = "Either API Key Invalid or Member Validity Expired"
)

// Messages of users and packages.
const (
	MsgUserFilterRequired  = "Provide either user ID or Email to filter"
	MsgUserNotFound        = "No Matching User Found"
	MsgUserFieldsMissing   = "All mandatory field is not provided"
	MsgUserEmailBad        = "Invalid email address"
	MsgUserEmailTaken      = "Email already exists"
	MsgUserExpiryBad       = "Invalid expired_date, use YYYY-MM-DD"
	MsgUserStatusBad       = "Invalid status, use 0 or 1"
	MsgUserTypeBad         = "Invalid user type, use Admin or Member"
	MsgUserIDInPath        = "Provide User ID with End Point URL"
	MsgUserNoUpdate        = "Provide at least one field to update"
	MsgUserPasswordTooLong = "The password is too long"
	// MsgUserIDNotFound takes the id as given, %s or %d.
	MsgUserIDNotFound  = "User not found with the ID: %v"
	MsgPackageNotFound = "Package ID not found"
)

// Messages of pages, subscribers and labels.
const (
	MsgNoEnabledBot         = "No Enabled Bot Found"
	MsgPageNotConnected     = "The page is not connected"
	MsgPageElsewhere        = "The page is connected by another user"
	MsgPageIDRequired       = "Provide page_id field"
	MsgSubscriberIDRequired = "Provide subscriber_id field"
	MsgSubscriberNotFound   = "No Matching Subscriber Found"
	MsgLabelNameRequired    = "Provide label_name field"
	MsgLabelIDsRequired     = "Provide label_ids field"
	MsgLabelNotFound        = "No Label Found"
	MsgNoLabels             = "No Matching Label Found"
)

// Messages of contact groups ("contact types") and contacts.
const (
	MsgContactGroupNameRequired = "The contact type name is required"
	MsgContactGroupIDRequired   = "The contact type ID is required"
	MsgContactGroupIDField      = "The contact_type_id field is required"
	MsgContactGroupIDBad        = "Invalid contact type ID provided"
	MsgContactGroupAbsent       = "The contact type ID does not exist"
	MsgContactGroupNoPermission = "You don NOT have permission to update contact group"
	MsgContactGroupDenied       = "You can NOT add the contact to the specified contact group"
	MsgContactGroupDeleted      = "The contact type ID (%d) has been deleted"
	MsgContactGroupRequired     = "The contact_type_id is required"
	MsgContactIDRequired        = "The contact ID is required"
	MsgContactIDField           = "The contact_id field is required"
	MsgContactNotFound          = "The contact ID does not exist"
	MsgContactDeleted           = "The contact ID (%d) has been deleted"
	MsgContactEmailOrPhone      = "The email or phone_number is required"
	MsgContactEmailBad          = "Please provide a valid email address"
	MsgContactEmailTaken        = "Please try with different email address"
	MsgContactPhoneTaken        = "Please try with different phone_number"
	MsgContactEmailFixed        = "The email can not be changed once added"
	MsgContactPhoneFixed        = "The phone_number can not be changed once added"
	MsgContactNoUpdate          = "You should at least provide value for first name or last name or email or phone number"
)

// Messages of flow campaigns.
const (
	MsgFlowIDRequired           = "The flow_campaign_id field is required"
	MsgFlowNotFound             = "The flow campaign ID does not exist"
	MsgFlowSubscriberIDRequired = "The subscriber_id field is required"
)
