# Reference values for coachstats.effects.mediation (single level).
# Run from the repository root:  Rscript tests/reference/mediation_reference.R
# Data: tests/reference/mediation_single.csv =
#   coachstats.simulate.leader_mediation(team_size=1, rng=3)$data (150 managers, one row each)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("tests/reference/mediation_single.csv")
model <- '
  coaching_behaviour ~ a * coached + experience
  engagement ~ cp * coached + b * coaching_behaviour + experience
  ind := a * b
'
fit <- sem(model, data = d)            # ML, standard (information-based) SEs, fixed.x = TRUE
pe <- parameterEstimates(fit)
get <- function(lbl) list(est = pe$est[pe$label == lbl], se = pe$se[pe$label == lbl])
m1 <- lm(coaching_behaviour ~ coached + experience, data = d)
m2 <- lm(engagement ~ coached + coaching_behaviour + experience, data = d)
m3 <- lm(engagement ~ coached + experience, data = d)
co <- function(m, v) unname(summary(m)$coefficients[v, 1:2])
# no covariates
model0 <- '
  coaching_behaviour ~ a * coached
  engagement ~ cp * coached + b * coaching_behaviour
  ind := a * b
'
pe0 <- parameterEstimates(sem(model0, data = d))
get0 <- function(lbl) list(est = pe0$est[pe0$label == lbl], se = pe0$se[pe0$label == lbl])
out <- list(
  lavaan = list(a = get("a"), b = get("b"), direct = get("cp"), indirect = get("ind")),
  lavaan_no_covariates = list(a = get0("a"), b = get0("b"), direct = get0("cp"),
                              indirect = get0("ind")),
  lm = list(a = co(m1, "coached"), b = co(m2, "coaching_behaviour"),
            direct = co(m2, "coached"), total = co(m3, "coached")),
  provenance = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                    calls = c("sem(model, data = d)  # model above, default ML estimator",
                              "parameterEstimates(fit)",
                              "lm(coaching_behaviour ~ coached + experience)",
                              "lm(engagement ~ coached + coaching_behaviour + experience)",
                              "lm(engagement ~ coached + experience)")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/mediation_reference.json")
