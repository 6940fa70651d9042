# Reference values for coachstats.meta effect-size constructors (SMD, SMCR/SMCC), subgroup
# tests, the three-level model, cluster-robust CR2 tests and robumeta's correlated-effects
# RVE. Generated with R (versions in meta_smd_multilevel.json). Run from the repository root:
#   Rscript tests/reference/meta_smd_multilevel.R
# Iterative routines use tight control settings so the values are the exact optima.
suppressMessages({
  library(metafor)
  library(clubSandwich)
  library(robumeta)
  library(jsonlite)
})

ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
out <- list(provenance = list(
  R = R.version.string,
  metafor = as.character(packageVersion("metafor")),
  metadat = as.character(packageVersion("metadat")),
  clubSandwich = as.character(packageVersion("clubSandwich")),
  robumeta = as.character(packageVersion("robumeta")),
  script = "tests/reference/meta_smd_multilevel.R"
))

fitvals <- function(fit) {
  pr <- predict(fit)
  ci <- confint(fit, control = list(tol = 1e-12))
  list(beta = unname(c(fit$beta)), se = unname(fit$se), ci_lb = unname(fit$ci.lb),
       ci_ub = unname(fit$ci.ub), zval = unname(fit$zval), pval = unname(fit$pval),
       tau2 = fit$tau2, se_tau2 = fit$se.tau2, I2 = fit$I2, H2 = fit$H2, QE = fit$QE,
       QEp = fit$QEp, pi_lb = pr$pi.lb, pi_ub = pr$pi.ub,
       tau2_ci = unname(ci$random["tau^2", 2:3]))
}

# 1. Hedges' g (escalc "SMD", vtype "LS") + rma on dat.normand1999 ------------------------
d <- dat.normand1999
write.csv(d[, c("study", "source", "n1i", "m1i", "sd1i", "n2i", "m2i", "sd2i")],
          "tests/reference/meta_data_normand1999.csv", row.names = FALSE)
es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
             data = d)
out$smd_escalc <- list(call = 'escalc("SMD", m1i, sd1i, n1i, m2i, sd2i, n2i, data = dat.normand1999)',
                       yi = c(es$yi), vi = c(es$vi))
for (m in c("REML", "DL", "PM")) for (tst in c("z", "knha")) {
  fit <- rma(yi, vi, data = es, method = m, test = tst, control = ctrl)
  out$smd_rma[[paste(m, tst, sep = "/")]] <- fitvals(fit)
}
out$smd_rma_call <- "rma(yi, vi, data = es, method = m, test = tst, control = ctrl)"

# 2. Pre-post (single group) standardized mean change: SMCR and SMCC --------------------
pp <- data.frame(
  study = paste("Study", 1:8),
  m_pre = c(3.10, 3.40, 2.95, 3.60, 3.25, 3.05, 3.50, 3.30),
  m_post = c(3.45, 3.62, 3.40, 3.71, 3.70, 3.20, 3.95, 3.52),
  sd_pre = c(0.62, 0.55, 0.70, 0.48, 0.66, 0.59, 0.52, 0.61),
  sd_post = c(0.58, 0.60, 0.64, 0.50, 0.61, 0.63, 0.49, 0.57),
  n = c(24, 41, 18, 60, 33, 27, 15, 52),
  ri = c(0.55, 0.62, 0.48, 0.71, 0.50, 0.66, 0.58, 0.60)
)
write.csv(pp, "tests/reference/meta_data_prepost.csv", row.names = FALSE)
smcr <- escalc("SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ni = n, ri = ri, data = pp)
smcc <- escalc("SMCC", m1i = m_post, m2i = m_pre, sd1i = sd_post, sd2i = sd_pre, ni = n,
               ri = ri, data = pp)
out$smcr <- list(call = 'escalc("SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ni = n, ri = ri)',
                 yi = c(smcr$yi), vi = c(smcr$vi),
                 rma = fitvals(rma(yi, vi, data = smcr, control = ctrl)))
out$smcc <- list(call = 'escalc("SMCC", m1i = m_post, m2i = m_pre, sd1i = sd_post, sd2i = sd_pre, ni = n, ri = ri)',
                 yi = c(smcc$yi), vi = c(smcc$vi),
                 rma = fitvals(rma(yi, vi, data = smcc, control = ctrl)))

# 3. Subgroups on dat.bangertdrowns2004 (precomputed SMDs) ------------------------------
b <- dat.bangertdrowns2004[, c("author", "yi", "vi", "grade", "ni")]
write.csv(b, "tests/reference/meta_data_bangertdrowns2004.csv", row.names = FALSE)
common <- rma(yi, vi, mods = ~ factor(grade), data = b, control = ctrl)
sub <- list()
for (g in sort(unique(b$grade))) {
  f <- rma(yi, vi, data = b, subset = grade == g, control = ctrl)
  sub[[as.character(g)]] <- list(k = f$k, beta = c(f$beta), se = f$se, tau2 = f$tau2,
                                 ci_lb = f$ci.lb, ci_ub = f$ci.ub, QE = f$QE, I2 = f$I2)
}
est <- sapply(sub, function(s) s$beta)
ses <- sapply(sub, function(s) s$se)
sep <- rma(est, sei = ses, mods = ~ factor(names(sub)), method = "FE")
out$subgroup <- list(
  common_call = "rma(yi, vi, mods = ~ factor(grade), data = dat.bangertdrowns2004)",
  common = list(QM = common$QM, QMp = common$QMp, tau2 = common$tau2, beta = c(common$beta),
                se = common$se, QE = common$QE),
  separate_call = "per-grade rma(yi, vi, subset = grade == g); then rma(est, sei = se, mods = ~ factor(grade), method = 'FE')",
  separate = sub, separate_QM = sep$QM, separate_QMp = sep$QMp
)
# common tau^2 per-subgroup means: the cell-means model
cm <- rma(yi, vi, mods = ~ 0 + factor(grade), data = b, control = ctrl)
out$subgroup$common_means <- list(beta = c(cm$beta), se = cm$se, tau2 = cm$tau2)

# 4. Three-level model on dat.konstantopoulos2011 --------------------------------------
k <- dat.konstantopoulos2011
write.csv(k, "tests/reference/meta_data_konstantopoulos2011.csv", row.names = FALSE)
ml_vals <- function(fit) {
  ci <- confint(fit, control = list(tol = 1e-10))
  W <- solve(fit$V)
  X <- model.matrix(fit)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  typ <- (fit$k - fit$p) / sum(diag(P))
  list(beta = unname(c(fit$beta)), se = unname(fit$se), ci_lb = unname(fit$ci.lb),
       ci_ub = unname(fit$ci.ub), zval = unname(fit$zval), pval = unname(fit$pval),
       sigma2 = fit$sigma2, QE = fit$QE, QEp = fit$QEp, ll = c(logLik(fit)),
       sigma2_1_ci = unname(ci[[1]]$random[1, 2:3]),
       sigma2_2_ci = unname(ci[[2]]$random[1, 2:3]),
       I2_levels = 100 * fit$sigma2 / (sum(fit$sigma2) + typ),
       pi_lb = if (fit$p == 1) predict(fit)$pi.lb else NA,
       pi_ub = if (fit$p == 1) predict(fit)$pi.ub else NA)
}
for (m in c("REML", "ML")) {
  fit <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k, method = m, control = ctrl)
  out$three_level[[m]] <- ml_vals(fit)
}
fitmod <- rma.mv(yi, vi, mods = ~ I(year - 1980), random = ~ 1 | district/school, data = k,
                 control = ctrl)
out$three_level$REML_year <- ml_vals(fitmod)
out$three_level_call <- "rma.mv(yi, vi, random = ~ 1 | district/school, data = dat.konstantopoulos2011, method = m); mods = ~ I(year - 1980)"

# 5. clubSandwich CR2 + Satterthwaite on the same fits ---------------------------------
ct <- function(fit) {
  r <- coef_test(fit, vcov = "CR2", cluster = k$district, test = "Satterthwaite")
  list(beta = r$beta, se = r$SE, tstat = r$tstat, df = r$df_Satt, p = r$p_Satt)
}
fit <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k, control = ctrl)
out$cr2$REML <- ct(fit)
out$cr2$REML_year <- ct(fitmod)
cr1 <- coef_test(fit, vcov = "CR1", cluster = k$district, test = "naive-t")
out$cr2$REML_CR0 <- list(se = coef_test(fit, vcov = "CR0", cluster = k$district,
                                         test = "naive-t")$SE)
out$cr2_call <- 'coef_test(fit, vcov = "CR2", cluster = district, test = "Satterthwaite")'

# 6. robumeta correlated-effects RVE on corrdat ----------------------------------------
data(corrdat, package = "robumeta")
write.csv(corrdat, "tests/reference/meta_data_corrdat.csv", row.names = FALSE)
rv <- function(fit) {
  rt <- fit$reg_table
  list(b = rt$b.r, se = rt$SE, t = rt$t, df = rt$dfs, p = rt$prob, ci_lb = rt$CI.L,
       ci_ub = rt$CI.U, tau2 = unname(fit$mod_info$tau.sq),
       I2 = unname(fit$mod_info$I.2))
}
for (rho in c(0.8, 0.5)) {
  f0 <- robu(effectsize ~ 1, data = corrdat, studynum = studyid, var.eff.size = var,
             rho = rho, small = TRUE, modelweights = "CORR")
  f1 <- robu(effectsize ~ males + college + binge, data = corrdat, studynum = studyid,
             var.eff.size = var, rho = rho, small = TRUE, modelweights = "CORR")
  out$robu[[paste0("rho", rho)]] <- list(intercept = rv(f0), mods = rv(f1))
}
out$robu_call <- 'robu(effectsize ~ 1 (or ~ males + college + binge), data = corrdat, studynum = studyid, var.eff.size = var, rho = rho, small = TRUE, modelweights = "CORR")'

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/meta_smd_multilevel.json")
