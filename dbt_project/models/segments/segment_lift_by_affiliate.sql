-- segment_lift per affiliate: the same counts, rates and interval over one
-- affiliate's members (what an affiliate-scoped user sees), a row for every
-- segment and affiliate (zero counts where the affiliate has no member).
{{ segment_lift(by_affiliate=true) }}
