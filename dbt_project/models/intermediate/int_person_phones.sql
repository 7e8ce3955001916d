-- Identity resolution by phone: one person per E.164 number, as the events
-- of this build match it (the rule: macros/identity.sql).
{{ identity_by('phone_e164') }}
