# Reference values for coachstats.survival, pinned in survival_r_values.json.
#
# Run from tests/reference/:   Rscript survival_reference.R
# Data: survival::lung, survival::veteran and survival::mgus2 as shipped with R package
# survival, exported beside this script as survival_lung.csv, survival_veteran.csv and
# survival_mgus2.csv (the CSVs are what the Python tests read, so both sides use the same rows).
library(survival)
library(jsonlite)

# export the packaged data sets (same rows on both sides)
l0 <- survival::lung; l0$id <- seq_len(nrow(l0))
write.csv(l0, "survival_lung.csv", row.names = FALSE, na = "")
write.csv(survival::veteran, "survival_veteran.csv", row.names = FALSE)
m0 <- survival::mgus2
m0$etime <- with(m0, ifelse(pstat == 0, futime, ptime))
m0$event <- with(m0, ifelse(pstat == 0, ifelse(death == 1, "death", "censor"), "pcm"))
write.csv(m0[, c("id", "age", "sex", "etime", "event")], "survival_mgus2.csv", row.names = FALSE)

lung <- read.csv("survival_lung.csv")
vet <- read.csv("survival_veteran.csv")
mg <- read.csv("survival_mgus2.csv")
out <- list(provenance = list(
  R = R.version.string, survival = as.character(packageVersion("survival")),
  script = "tests/reference/survival_reference.R",
  data = "survival::lung, survival::veteran, survival::mgus2 (CSV copies in tests/reference/)"))
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)

# --- Cox: lung, Efron ties, cluster(inst) robust SEs, cox.zph for every transform -------------
l <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog", "inst")]), ]
f <- coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, cluster = inst,
           ties = "efron", control = ctl)
zph <- lapply(c("km", "rank", "identity", "log"), function(tr) {
  z <- cox.zph(f, transform = tr)
  list(transform = tr, chisq = unname(z$table[, "chisq"]), p = unname(z$table[, "p"]),
       rho = unname(cor(z$x, z$y)[1, ]))
})
out$lung_cox_efron_cluster <- list(
  call = "coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, cluster = inst, ties = 'efron'); l = complete cases of time, status, age, sex, ph.ecog, inst",
  terms = names(coef(f)), coef = unname(coef(f)), se = unname(sqrt(diag(f$naive.var))),
  robust_se = unname(sqrt(diag(f$var))), loglik = f$loglik, n = f$n, nevent = f$nevent,
  zph = zph)

fb <- coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, ties = "breslow",
            control = ctl)
out$lung_cox_breslow <- list(
  call = "coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, ties = 'breslow')",
  coef = unname(coef(fb)), se = unname(sqrt(diag(fb$var))), loglik = fb$loglik)

fr <- coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, robust = TRUE,
            control = ctl)
out$lung_cox_robust <- list(
  call = "coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, data = l, robust = TRUE)",
  robust_se = unname(sqrt(diag(fr$var))))

# --- Cox: veteran, a factor (alphabetical levels, first = reference) and strata --------------
vet$celltype <- factor(vet$celltype, levels = sort(unique(vet$celltype)))
fv <- coxph(Surv(time, status) ~ trt + karno + celltype, data = vet, control = ctl)
out$veteran_cox_factor <- list(
  call = "coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran) with celltype levels sorted",
  terms = names(coef(fv)), coef = unname(coef(fv)), se = unname(sqrt(diag(fv$var))),
  loglik = fv$loglik)
fs <- coxph(Surv(time, status) ~ trt + karno + age + strata(celltype), data = vet,
            cluster = prior, control = ctl)
zs <- cox.zph(fs)
out$veteran_cox_strata <- list(
  call = "coxph(Surv(time, status) ~ trt + karno + age + strata(celltype), data = veteran, cluster = prior); cox.zph(fit)",
  coef = unname(coef(fs)), se = unname(sqrt(diag(fs$naive.var))),
  robust_se = unname(sqrt(diag(fs$var))), loglik = fs$loglik,
  zph_chisq = unname(zs$table[, "chisq"]), zph_rho = unname(cor(zs$x, zs$y)[1, ]))

bh <- basehaz(coxph(Surv(time, status == 2) ~ age + sex, data = l, control = ctl),
              centered = FALSE)
out$lung_basehaz <- list(
  call = "basehaz(coxph(Surv(time, status == 2) ~ age + sex, data = l), centered = FALSE)",
  time = bh$time, hazard = bh$hazard)

# --- Kaplan-Meier: lung by sex, both transforms, medians, summary at times ---------------------
km <- function(type) {
  s <- survfit(Surv(time, status == 2) ~ sex, data = lung, conf.type = type)
  q <- quantile(s, probs = 0.5)
  sm <- summary(s, times = c(100, 365, 730))
  list(conf_type = type, strata = rep(c(1, 2), s$strata), time = s$time, n_risk = s$n.risk,
       n_event = s$n.event, n_censor = s$n.censor, surv = s$surv, std_err_log = s$std.err,
       lower = s$lower, upper = s$upper,
       median = unname(q$quantile[, 1]), median_lower = unname(q$lower[, 1]),
       median_upper = unname(q$upper[, 1]),
       at_times = list(strata = as.integer(sm$strata), time = sm$time, n_risk = sm$n.risk,
                       surv = sm$surv, std_err = sm$std.err, lower = sm$lower,
                       upper = sm$upper))
}
out$lung_km <- lapply(c("log", "log-log", "plain"), km)
out$lung_km_call <- "survfit(Surv(time, status == 2) ~ sex, data = lung, conf.type = type); quantile(fit, 0.5); summary(fit, times = c(100, 365, 730))"

# --- Aalen-Johansen: mgus2 PCM vs death, overall, by sex, and with a cluster ----------------
mg$status <- factor(mg$event, levels = c("censor", "pcm", "death"))
mg$grp <- mg$id %% 40
aj <- function(fit) {
  list(strata = if (is.null(fit$strata)) rep(1, length(fit$time)) else
         rep(seq_along(fit$strata), fit$strata),
       time = fit$time, n_risk = fit$n.risk[, 1],
       pcm = fit$pstate[, 2], death = fit$pstate[, 3],
       pcm_se = fit$std.err[, 2], death_se = fit$std.err[, 3],
       pcm_lower = fit$lower[, 2], pcm_upper = fit$upper[, 2],
       death_lower = fit$lower[, 3], death_upper = fit$upper[, 3])
}
out$mgus2_aj <- aj(survfit(Surv(etime, status) ~ 1, data = mg))
out$mgus2_aj_call <- "survfit(Surv(etime, status) ~ 1, data = mgus2) with status = factor(c('censor','pcm','death')), etime = ifelse(pstat == 0, futime, ptime)"
out$mgus2_aj_sex <- aj(survfit(Surv(etime, status) ~ sex, data = mg))
# survival 3.5.3 survfit() does not apply cluster= to multi-state standard errors, so the
# clustered infinitesimal-jackknife SE is formed here from R's own per-subject influence
# (influence.pstate; its first column is the starting point): sqrt(colSums(rowsum(U, grp)^2))
fi <- survfit(Surv(etime, status) ~ 1, data = mg, id = id, influence = TRUE)
U <- fi$influence.pstate[, -1, , drop = FALSE]
ucl <- function(k) unname(sqrt(colSums(rowsum(U[, , k], mg$grp)^2)))
out$mgus2_aj_cluster <- list(time = fi$time, n_risk = fi$n.risk[, 1], pcm = fi$pstate[, 2],
                             death = fi$pstate[, 3], pcm_se = ucl(2), death_se = ucl(3))
out$mgus2_aj_cluster_call <- "fi <- survfit(Surv(etime, status) ~ 1, data = mgus2, id = id, influence = TRUE); U <- fi$influence.pstate[, -1, ]; sqrt(colSums(rowsum(U[, , k], id %% 40)^2))"

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE),
           "survival_r_values.json")
