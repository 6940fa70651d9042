# Reference values for time-varying (start, stop] Cox, case weights and delayed-entry
# Kaplan-Meier, pinned in survival_tv_values.json.
#
# Run from tests/reference/:   Rscript survival_tv_reference.R
# Data: survival::jasa (Stanford heart transplant), prepared as in the survival package
# vignette "Using Time Dependent Covariates" (Therneau, Crowson & Atkinson), section 3:
# person-level times exported to survival_jasa.csv; R splits them with tmerge() and the
# Python tests split the same CSV with their own code (the episodes must agree).
library(survival)
library(jsonlite)

jasa <- survival::jasa
jasa$subject <- seq_len(nrow(jasa))
tdata <- with(jasa, data.frame(
  subject = subject,
  futime = pmax(.5, as.numeric(fu.date - accept.dt)),
  txtime = ifelse(tx.date == fu.date, as.numeric(tx.date - accept.dt) - .5,
                  as.numeric(tx.date - accept.dt)),
  fustat = fustat, age = age, surgery = surgery))
tdata$w <- 1 + (tdata$subject %% 3) / 2
write.csv(tdata, "survival_jasa.csv", row.names = FALSE, na = "")

sdata <- tmerge(tdata[, c("subject", "age", "surgery", "w")], tdata, id = subject,
                death = event(futime, fustat), trans = tdc(txtime),
                options = list(idname = "subject"))
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)
out <- list(provenance = list(
  R = R.version.string, survival = as.character(packageVersion("survival")),
  script = "tests/reference/survival_tv_reference.R",
  data = "survival::jasa via the tmerge() call of the survival vignette 'Using Time Dependent Covariates' (CSV copy survival_jasa.csv)"))
out$episodes <- list(n = nrow(sdata), n_events = sum(sdata$death),
                     tstart = sdata$tstart, tstop = sdata$tstop, death = sdata$death,
                     trans = sdata$trans, subject = sdata$subject)

fe <- coxph(Surv(tstart, tstop, death) ~ age + surgery + trans, data = sdata, cluster = subject,
            control = ctl)
zph <- lapply(c("km", "rank", "identity"), function(tr) {
  z <- cox.zph(fe, transform = tr)
  list(transform = tr, chisq = unname(z$table[, "chisq"]))
})
out$tv_efron_cluster <- list(
  call = "coxph(Surv(tstart, tstop, death) ~ age + surgery + trans, data = sdata, cluster = subject)",
  coef = unname(coef(fe)), se = unname(sqrt(diag(fe$naive.var))),
  robust_se = unname(sqrt(diag(fe$var))), loglik = fe$loglik, n = fe$n, nevent = fe$nevent,
  zph = zph)
fb <- coxph(Surv(tstart, tstop, death) ~ age + surgery + trans, data = sdata, ties = "breslow",
            control = ctl)
out$tv_breslow <- list(
  call = "coxph(Surv(tstart, tstop, death) ~ age + surgery + trans, data = sdata, ties = 'breslow')",
  coef = unname(coef(fb)), se = unname(sqrt(diag(fb$var))), loglik = fb$loglik)
bh <- basehaz(coxph(Surv(tstart, tstop, death) ~ age + trans, data = sdata, control = ctl),
              centered = FALSE)
out$tv_basehaz <- list(
  call = "basehaz(coxph(Surv(tstart, tstop, death) ~ age + trans, data = sdata), centered = FALSE)",
  time = bh$time, hazard = bh$hazard)
fs <- coxph(Surv(tstart, tstop, death) ~ age + trans + strata(surgery), data = sdata,
            cluster = subject, control = ctl)
out$tv_strata <- list(
  call = "coxph(Surv(tstart, tstop, death) ~ age + trans + strata(surgery), data = sdata, cluster = subject)",
  coef = unname(coef(fs)), se = unname(sqrt(diag(fs$naive.var))),
  robust_se = unname(sqrt(diag(fs$var))))
# naive (immortal-time) model: transplant as a baseline covariate
tdata$ever <- as.integer(!is.na(tdata$txtime))
fn <- coxph(Surv(futime, fustat) ~ age + surgery + ever, data = tdata, control = ctl)
out$naive <- list(call = "coxph(Surv(futime, fustat) ~ age + surgery + ever, data = tdata); ever = !is.na(txtime)",
                  coef = unname(coef(fn)), se = unname(sqrt(diag(fn$var))))

# case weights
fw <- coxph(Surv(futime, fustat) ~ age + surgery, data = tdata, weights = w, robust = TRUE,
            control = ctl)
out$weighted <- list(
  call = "coxph(Surv(futime, fustat) ~ age + surgery, data = tdata, weights = w, robust = TRUE)",
  coef = unname(coef(fw)), se = unname(sqrt(diag(fw$naive.var))),
  robust_se = unname(sqrt(diag(fw$var))), loglik = fw$loglik)
fwt <- coxph(Surv(tstart, tstop, death) ~ age + trans, data = sdata, weights = w,
             cluster = subject, control = ctl)
out$weighted_tv <- list(
  call = "coxph(Surv(tstart, tstop, death) ~ age + trans, data = sdata, weights = w, cluster = subject)",
  coef = unname(coef(fwt)), se = unname(sqrt(diag(fwt$naive.var))),
  robust_se = unname(sqrt(diag(fwt$var))), loglik = fwt$loglik)

# delayed-entry Kaplan-Meier: survival after transplant counted from acceptance
post <- subset(sdata, trans == 1)
km <- survfit(Surv(tstart, tstop, death) ~ 1, data = post)
out$km_delayed <- list(
  call = "survfit(Surv(tstart, tstop, death) ~ 1, data = subset(sdata, trans == 1))",
  time = km$time, n_risk = km$n.risk, n_event = km$n.event, surv = km$surv,
  std_err = km$std.err, lower = km$lower, upper = km$upper)
# weighted Kaplan-Meier
kw <- survfit(Surv(futime, fustat) ~ 1, data = tdata, weights = w)
out$km_weighted <- list(
  call = "survfit(Surv(futime, fustat) ~ 1, data = tdata, weights = w)",
  time = kw$time, n_risk = kw$n.risk, surv = kw$surv, std_err = kw$std.err)
kg <- survfit(Surv(futime, fustat) ~ 1, data = tdata, weights = w, robust = FALSE)
out$km_weighted_greenwood <- list(
  call = "survfit(Surv(futime, fustat) ~ 1, data = tdata, weights = w, robust = FALSE)",
  time = kg$time, n_risk = kg$n.risk, n_event = kg$n.event, surv = kg$surv,
  std_err = kg$std.err, lower = kg$lower, upper = kg$upper)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "survival_tv_values.json")
