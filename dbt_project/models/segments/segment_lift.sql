-- Per segment: the outcome rate of treatment (exported) vs control (held
-- out), the absolute lift p_t - p_c, and its 95% confidence interval by the
-- normal approximation (Wald): lift +/- 1.96 * sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c).
-- Rates and bounds are null while an arm is empty; rounded to 6 decimals.
{{ segment_lift() }}
