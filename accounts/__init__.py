"""Identity: the custom user, second factors, devices seen, and (later) KYC and linked accounts."""
