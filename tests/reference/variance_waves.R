# Reference values for variance.decompose(person=, occasion=): repeated survey waves.
# Run from tests/reference/:   Rscript variance_waves.R
# Data: variance_waves.csv = coachstats.simulate.engagement_panel(n_managers=15, periods=4,
# cohorts=(3,), rng=8), columns manager, team, employee, quarter, engagement.
library(lme4)
library(jsonlite)
d <- read.csv("variance_waves.csv")
d$quarter <- factor(d$quarter)
f <- lmer(engagement ~ quarter + (1 | manager) + (1 | team) + (1 | employee), data = d,
          REML = TRUE, control = lmerControl(optimizer = "bobyqa",
                                             optCtrl = list(rhobeg = 0.2, rhoend = 1e-10)))
vc <- as.data.frame(VarCorr(f))
out <- list(
  provenance = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                    script = "tests/reference/variance_waves.R",
                    call = "lmer(engagement ~ factor(quarter) + (1 | manager) + (1 | team) + (1 | employee), REML = TRUE)"),
  variances = setNames(as.list(vc$vcov), vc$grp), fixef = unname(fixef(f)),
  reml = as.numeric(REMLcrit(f)), n = nrow(d), n_employee = length(unique(d$employee)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "variance_waves.json")
