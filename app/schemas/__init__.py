"""pydantic models of the API's wire format, one set in and out per resource."""
