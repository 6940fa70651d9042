# Reference values for coachstats.variance.decompose, from lme4.
#
# Run from the repository root:
#   Rscript tests/reference/variance_lme4.R
# Writes tests/reference/variance_lme4.json (pinned values read by tests/test_variance_reference.py)
# and the lme4 datasets as CSV (variance_dyestuff.csv, variance_dyestuff2.csv, variance_pastes.csv;
# Dyestuff2's batch variance is estimated at the boundary, zero), so the tests
# need neither R nor lme4.
#
# variance_unbalanced3.csv (86 people, 18 teams, 12 managers, 4 divisions, one covariate x) was
# drawn once with numpy (default_rng(20250505)) and is kept as data: an unbalanced three-level
# example with a fixed covariate and groups of size 1.
suppressMessages(library(lme4))
out <- list(lme4_version = as.character(packageVersion("lme4")),
            r_version = R.version.string,
            optimizer = "bobyqa, rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5 (tight, so pinned values are the optimum)")

fit_info <- function(fit, call) {
  vc <- as.data.frame(VarCorr(fit))
  comps <- setNames(as.list(vc$vcov), ifelse(is.na(vc$grp), "Residual", vc$grp))
  list(call = call, reml = isREML(fit), variances = comps,
       fixef = as.list(fixef(fit)), logLik = as.numeric(logLik(fit)),
       deviance_or_reml_criterion = as.numeric(if (isREML(fit)) REMLcrit(fit) else deviance(fit)))
}

# tight optimisation so the pinned values are the optimum, not an optimiser's stopping point
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5))

write.csv(Dyestuff, "tests/reference/variance_dyestuff.csv", row.names = FALSE)
write.csv(Pastes, "tests/reference/variance_pastes.csv", row.names = FALSE)
write.csv(Dyestuff2, "tests/reference/variance_dyestuff2.csv", row.names = FALSE)
u3 <- read.csv("tests/reference/variance_unbalanced3.csv")

runs <- list(
  dyestuff_reml = list("Yield ~ 1 + (1 | Batch)", Dyestuff, TRUE),
  dyestuff_ml = list("Yield ~ 1 + (1 | Batch)", Dyestuff, FALSE),
  dyestuff2_reml = list("Yield ~ 1 + (1 | Batch)", Dyestuff2, TRUE),
  pastes_reml = list("strength ~ 1 + (1 | batch/cask)", Pastes, TRUE),
  pastes_ml = list("strength ~ 1 + (1 | batch/cask)", Pastes, FALSE),
  unbalanced3_reml = list("y ~ x + (1 | division) + (1 | manager) + (1 | team)", u3, TRUE),
  unbalanced3_ml = list("y ~ x + (1 | division) + (1 | manager) + (1 | team)", u3, FALSE)
)
for (nm in names(runs)) {
  r <- runs[[nm]]
  fit <- lmer(as.formula(r[[1]]), data = r[[2]], REML = r[[3]], control = ctrl)
  call <- sprintf("lmer(%s, data = %s, REML = %s, control = lmerControl(optimizer = 'bobyqa', optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5)))",
                  r[[1]], c(dyestuff_reml = "Dyestuff", dyestuff_ml = "Dyestuff", dyestuff2_reml = "Dyestuff2", pastes_reml = "Pastes",
                            pastes_ml = "Pastes", unbalanced3_reml = "u3", unbalanced3_ml = "u3")[[nm]],
                  if (r[[3]]) "TRUE" else "FALSE")
  out[[nm]] <- fit_info(fit, call)
}
writeLines(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/variance_lme4.json")
