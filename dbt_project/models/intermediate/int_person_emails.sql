-- Identity resolution by email: one person per normalised address, as the
-- events of this build match it (the rule: macros/identity.sql).
{{ identity_by('email_norm') }}
