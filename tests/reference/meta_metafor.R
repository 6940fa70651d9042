# Reference values for coachstats.meta, generated with R metafor (see meta_metafor.json for
# the versions). Run from the repository root:
#   Rscript tests/reference/meta_metafor.R
# Every iterative routine is run with tight control settings (threshold/tol 1e-12) so the
# pinned values are the exact roots, not metafor's default stopping points.
suppressMessages(library(metafor))
library(jsonlite)

ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)
out <- list(
  provenance = list(
    metafor = as.character(packageVersion("metafor")),
    metadat = as.character(packageVersion("metadat")),
    R = R.version.string,
    script = "tests/reference/meta_metafor.R"
  )
)

molloy <- dat.molloy2014[, c("ri", "ni", "controls", "meanage")]
mcd <- dat.mcdaniel1994[!is.na(dat.mcdaniel1994$ri) & !is.na(dat.mcdaniel1994$ni),
                        c("ri", "ni", "type")]
write.csv(molloy, "tests/reference/meta_data_molloy2014.csv", row.names = FALSE)
write.csv(mcd, "tests/reference/meta_data_mcdaniel1994.csv", row.names = FALSE)

fitvals <- function(fit, level = 95) {
  pr <- predict(fit, level = level)
  fe <- fit$method == "FE"
  ci <- if (fe) NULL else confint(fit, level = level, control = list(tol = 1e-12))
  cir <- function(row) if (fe) c(NA, NA) else unname(ci$random[row, 2:3])
  list(
    beta = unname(c(fit$beta)), se = unname(fit$se), ci_lb = fit$ci.lb, ci_ub = fit$ci.ub,
    zval = fit$zval, pval = fit$pval, tau2 = fit$tau2, se_tau2 = fit$se.tau2,
    I2 = fit$I2, H2 = fit$H2, QE = fit$QE, QEp = fit$QEp,
    pi_lb = if (fit$int.only) pr$pi.lb else NA, pi_ub = if (fit$int.only) pr$pi.ub else NA,
    ll_ml = fit$fit.stats["ll", "ML"], ll_reml = fit$fit.stats["ll", "REML"],
    tau2_ci = cir("tau^2"), I2_ci = cir("I^2(%)"), H2_ci = cir("H^2")
  )
}

for (nm in c("molloy2014", "mcdaniel1994")) {
  d <- if (nm == "molloy2014") molloy else mcd
  for (measure in c("ZCOR", "COR")) {
    dat <- escalc(measure = measure, ri = ri, ni = ni, data = d)
    for (m in c("REML", "ML", "DL", "PM", "EB", "HS", "SJ", "HE", "FE")) {
      for (tst in c("z", "knha")) {
        fit <- suppressWarnings(rma(yi, vi, data = dat, method = m, test = tst, control = ctrl))
        key <- paste(nm, measure, m, tst, sep = "/")
        out$fits[[key]] <- fitvals(fit)
      }
    }
  }
  dat <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = d)
  for (tst in c("z", "knha")) {
    fit <- rma(yi, vi, data = dat, method = "REML", test = tst, control = ctrl)
    eg <- regtest(fit, control = ctrl)
    eglm <- regtest(fit, model = "lm")
    tf <- trimfill(fit, control = ctrl)
    l1 <- leave1out(fit, control = ctrl)
    inf <- influence(fit)
    key <- paste(nm, tst, sep = "/")
    out$egger[[key]] <- list(zval = eg$zval, pval = eg$pval, est = unname(eg$est),
                             ci_lb = unname(eg$ci.lb), ci_ub = unname(eg$ci.ub))
    out$egger_lm[[key]] <- list(zval = eglm$zval, pval = eglm$pval, est = unname(eglm$est))
    out$trimfill[[key]] <- list(k0 = tf$k0, side = tf$side, beta = unname(c(tf$beta)),
                                se = tf$se, tau2 = tf$tau2, se_k0 = tf$se.k0)
    out$leave1out[[key]] <- list(estimate = l1$estimate, se = l1$se, tau2 = l1$tau2,
                                 I2 = l1$I2, QE = l1$Q, ci_lb = l1$ci.lb, ci_ub = l1$ci.ub)
    out$influence[[key]] <- list(rstudent = inf$inf$rstudent, dffits = inf$inf$dffits,
                                 cook_d = inf$inf$cook.d, cov_r = inf$inf$cov.r,
                                 tau2_del = inf$inf$tau2.del, QE_del = inf$inf$QE.del,
                                 hat = inf$inf$hat, weight = inf$inf$weight,
                                 dfbetas = inf$dfbs$intrcpt, is_infl = inf$is.infl)
  }
  # trim and fill with the R0 estimator and a forced side
  tf <- trimfill(rma(yi, vi, data = dat, control = ctrl), estimator = "R0", side = "left",
                 control = ctrl)
  out$trimfill_r0[[nm]] <- list(k0 = tf$k0, beta = unname(c(tf$beta)), se = tf$se, tau2 = tf$tau2)
  # PET and PEESE: weighted least squares with multiplicative error (Stanley & Doucouliagos)
  pet <- summary(lm(yi ~ sqrt(vi), weights = 1 / vi, data = dat))$coefficients
  peese <- summary(lm(yi ~ vi, weights = 1 / vi, data = dat))$coefficients
  out$pet_peese[[nm]] <- list(pet = unname(pet[1, c(1, 2, 4)]), pet_slope = unname(pet[2, c(1, 2, 4)]),
                              peese = unname(peese[1, c(1, 2, 4)]))
}

# meta-regression: categorical + continuous moderators (molloy2014), categorical (mcdaniel1994)
dat <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = molloy)
for (m in c("REML", "ML", "DL", "PM", "SJ", "HE")) {
  for (tst in c("z", "knha")) {
    fit <- rma(yi, vi, mods = ~ factor(controls) + meanage, data = dat, method = m,
               test = tst, control = ctrl)
    out$metareg[[paste("molloy2014", m, tst, sep = "/")]] <- c(
      fitvals(fit), list(QM = fit$QM, QMp = fit$QMp, R2 = fit$R2)
    )
    if (m == "REML") {
      inf <- influence(fit)
      out$metareg_influence[[paste("molloy2014", tst, sep = "/")]] <- list(
        rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
        cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, hat = inf$inf$hat,
        weight = inf$inf$weight, dfbetas_meanage = inf$dfbs$meanage, QE_del = inf$inf$QE.del,
        is_infl = inf$is.infl)
    }
  }
}
dat <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = mcd)
for (tst in c("z", "knha")) {
  fit <- rma(yi, vi, mods = ~ factor(type), data = dat, method = "REML", test = tst,
             control = ctrl)
  out$metareg[[paste("mcdaniel1994", "REML", tst, sep = "/")]] <- c(
    fitvals(fit), list(QM = fit$QM, QMp = fit$QMp, R2 = fit$R2)
  )
}

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/meta_metafor.json")
