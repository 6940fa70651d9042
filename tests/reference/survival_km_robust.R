# Reference values for the robust (infinitesimal-jackknife) standard error of
# coachstats.survival.kaplan_meier, pinned in survival_km_robust.json.
#
# Run from tests/reference/:   Rscript survival_km_robust.R
# Data: survival::lung as exported by survival_reference.R (survival_lung.csv). Weights are
# a fixed function of the data (no random numbers): w = 0.5 + age / 100 (non-integer), and
# w2 = 1 + (id %% 2) (whole numbers). Entry times for delayed entry: entry = floor(time / 3).
library(survival)
library(jsonlite)

lung <- read.csv("survival_lung.csv")
lung$w <- 0.5 + lung$age / 100
lung$w2 <- 1 + (lung$id %% 2)
lung$entry <- floor(lung$time / 3)
lung$dead <- as.integer(lung$status == 2)
l <- lung[!is.na(lung$inst), ]

curve <- function(f, call) {
  s <- summary(f, censored = TRUE)
  q <- quantile(f, 0.5)
  strata <- if (is.null(s$strata)) rep("all", length(s$time)) else
    sub(".*=", "", as.character(s$strata))
  list(call = call, strata = strata, time = s$time, n_risk = s$n.risk, surv = s$surv,
       std_err = s$std.err, lower = s$lower, upper = s$upper,
       median = unname(as.numeric(q$quantile)), median_lower = unname(as.numeric(q$lower)),
       median_upper = unname(as.numeric(q$upper)))
}

out <- list(provenance = list(
  R = R.version.string, survival = as.character(packageVersion("survival")),
  script = "tests/reference/survival_km_robust.R",
  data = "survival::lung (tests/reference/survival_lung.csv), columns w, w2, entry, dead derived as in the script",
  rule = "survfit's default: robust = TRUE with cluster, with non-integer weights, or with an id that has more than one event; FALSE otherwise"))

out$weighted_default <- curve(
  survfit(Surv(time, dead) ~ 1, data = lung, weights = w),
  "survfit(Surv(time, dead) ~ 1, data = lung, weights = w)  # robust by default")
out$weighted_greenwood <- curve(
  survfit(Surv(time, dead) ~ 1, data = lung, weights = w, robust = FALSE),
  "survfit(Surv(time, dead) ~ 1, data = lung, weights = w, robust = FALSE)")
out$weighted_by_sex_loglog <- curve(
  survfit(Surv(time, dead) ~ sex, data = lung, weights = w, conf.type = "log-log"),
  "survfit(Surv(time, dead) ~ sex, data = lung, weights = w, conf.type = 'log-log')")
out$integer_weights_default <- curve(
  survfit(Surv(time, dead) ~ 1, data = lung, weights = w2),
  "survfit(Surv(time, dead) ~ 1, data = lung, weights = w2)  # whole-number weights: Greenwood")
out$integer_weights_robust <- curve(
  survfit(Surv(time, dead) ~ 1, data = lung, weights = w2, robust = TRUE),
  "survfit(Surv(time, dead) ~ 1, data = lung, weights = w2, robust = TRUE)")
out$cluster_inst <- curve(
  survfit(Surv(time, dead) ~ 1, data = l, cluster = inst),
  "survfit(Surv(time, dead) ~ 1, data = l, cluster = inst); l = lung rows with inst")
out$weighted_cluster_inst <- curve(
  survfit(Surv(time, dead) ~ 1, data = l, weights = w, cluster = inst),
  "survfit(Surv(time, dead) ~ 1, data = l, weights = w, cluster = inst)")
out$delayed_entry_weighted <- curve(
  survfit(Surv(entry, time, dead) ~ 1, data = lung, weights = w),
  "survfit(Surv(entry, time, dead) ~ 1, data = lung, weights = w)")
# an id with two event rows: two copies of the first 40 rows under the same ids
dup <- rbind(lung, lung[1:40, ])
out$repeated_id <- curve(
  survfit(Surv(time, dead) ~ 1, data = dup, id = id),
  "survfit(Surv(time, dead) ~ 1, data = dup, id = id); dup = rbind(lung, lung[1:40, ])  # ids with two events: robust by default")

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survival_km_robust.json")
