"""The staff portal: branches, staff roles, and (later) onboarding, cash desk, approvals, audit."""
