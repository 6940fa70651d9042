# Reference values for coachstats.causal (tests/test_causal_reference.py).
# Run from the repository root:  Rscript tests/reference/causal_reference.R
# Writes tests/reference/causal_lalonde.csv and tests/reference/causal_reference.json.
# Needs MatchIt (4.5.x), sandwich, jsonlite. Everything else is base R.
suppressPackageStartupMessages({library(MatchIt); library(sandwich); library(jsonlite)})
data("lalonde", package = "MatchIt")
d <- lalonde
d$id <- rownames(d)
write.csv(d[, c("id", "treat", "age", "educ", "race", "married", "nodegree", "re74", "re75", "re78")],
          "tests/reference/causal_lalonde.csv", row.names = FALSE)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75
ids <- rownames(d)

match_out <- function(m, d = lalonde) {
  mm <- m$match.matrix
  md <- match.data(m, data = d)
  fit <- lm(re78 ~ treat, data = md, weights = weights)
  V <- if (!is.null(md$subclass)) vcovCL(fit, cluster = md$subclass)  # type HC1, cadjust = TRUE
       else vcovHC(fit, type = "HC1")  # with replacement: no pairs; HC1 (weights treated as known)
  s <- summary(m, un = TRUE, addlvariables = NULL)
  bal <- function(tab) list(term = rownames(tab), smd = unname(tab[, "Std. Mean Diff."]),
                            var_ratio = unname(tab[, "Var. Ratio"]), ecdf_max = unname(tab[, "eCDF Max"]))
  list(
    treated = rownames(mm),
    matches = unname(lapply(seq_len(nrow(mm)), function(i) unname(mm[i, ]))),
    weights = unname(m$weights), distance = unname(m$distance),
    att = unname(coef(fit)["treat"]), att_se = unname(sqrt(V["treat", "treat"])),
    n_matched_controls = sum(m$weights[d$treat == 0] > 0),
    balance_before = bal(s$sum.all), balance_after = bal(s$sum.matched))
}
# MatchIt 4.5.1 has two nearest-neighbour routines. With a distance vector it uses
# nn_matchC_vec, whose distance comparisons call abs() on doubles in a way that truncates to
# integers on this build (Debian r-cran-matchit 4.5.1): whenever both neighbours lie within
# 1 unit it takes the lower one, not the nearer one, and a caliper below 1 is not enforced
# there. Its general routine nn_matchC (used for a distance matrix) compares exact distances
# and takes the first nearest in data order. The reference matched samples therefore come
# from the general routine: data sorted by decreasing distance (stable), which makes
# m.order = "data" equal MatchIt's default "largest" order, and the n1 x n0 matrix of
# absolute distance differences from the same glm. The plain default calls are kept below
# (matching_vec_routine) to document the difference.
ps_glm <- glm(f, data = d, family = binomial())
general <- function(link = "ps", ratio = 1, caliper = NULL, exact = NULL) {
  dist <- if (link == "ps") fitted(ps_glm) else predict(ps_glm, type = "link")
  o <- order(dist, decreasing = TRUE, method = "radix")
  dd <- d[o, ]; ds <- dist[o]
  D <- abs(outer(ds[dd$treat == 1], ds[dd$treat == 0], "-"))
  cal <- if (is.null(caliper)) NULL else c(caliper * sd(dist))
  m <- matchit(f, data = dd, method = "nearest", distance = D, m.order = "data",
               ratio = ratio, caliper = cal, std.caliper = FALSE, exact = exact)
  m$distance <- ds
  r <- match_out(m, dd)
  r$order <- rownames(dd)
  r
}
calls <- list(
  nearest_ps = quote(matchit(f, data = d, method = "nearest")),
  nearest_logit = quote(matchit(f, data = d, method = "nearest", distance = "glm", link = "linear.logit")),
  ratio2_logit = quote(matchit(f, data = d, method = "nearest", link = "linear.logit", ratio = 2)),
  caliper_logit = quote(matchit(f, data = d, method = "nearest", link = "linear.logit", caliper = 0.2)),
  replace_logit = quote(matchit(f, data = d, method = "nearest", link = "linear.logit", replace = TRUE)),
  exact_married_logit = quote(matchit(f, data = d, method = "nearest", link = "linear.logit", exact = ~married))
)
matching_vec <- lapply(calls, function(cl) { r <- match_out(eval(cl)); r$call <- paste(deparse(cl), collapse = " "); r })

gcalls <- list(
  nearest_ps = quote(general("ps")),
  nearest_logit = quote(general("logit")),
  ratio2_logit = quote(general("logit", ratio = 2)),
  caliper_logit = quote(general("logit", caliper = 0.2)),
  exact_married_logit = quote(general("logit", exact = ~married)))
matching <- lapply(gcalls, function(cl) { r <- eval(cl); r$call <- paste(deparse(cl), collapse = " "); r })
# the same 1:1 match with the SE clustered by years of education instead of matched pair
m_educ <- local({
  dist <- predict(ps_glm, type = "link"); o <- order(dist, decreasing = TRUE, method = "radix")
  dd <- d[o, ]; ds <- dist[o]
  m <- matchit(f, data = dd, method = "nearest", m.order = "data",
               distance = abs(outer(ds[dd$treat == 1], ds[dd$treat == 0], "-")))
  md <- match.data(m, data = dd)
  fit <- lm(re78 ~ treat, data = md, weights = weights)
  sqrt(vcovCL(fit, cluster = md$educ)["treat", "treat"])
})
matching$nearest_logit$att_se_cluster_educ <- m_educ

# --- propensity-score weighting by hand (base R glm), with stacked M-estimation SEs -------
X <- model.matrix(f, d)
tr <- d$treat; y <- d$re78
ps_fit <- glm(f, data = d, family = binomial())
beta <- coef(ps_fit)
wfun <- function(e, est) switch(est,
  ATE = ifelse(tr == 1, 1 / e, 1 / (1 - e)),
  ATT = ifelse(tr == 1, 1, e / (1 - e)),
  ATO = ifelse(tr == 1, 1 - e, e))
psi <- function(theta, est) {   # stacked estimating functions, one row per person
  b <- theta[seq_along(beta)]; mu1 <- theta[length(beta) + 1]; mu0 <- theta[length(beta) + 2]
  e <- plogis(drop(X %*% b)); w <- wfun(e, est)
  cbind(X * (tr - e), tr * w * (y - mu1), (1 - tr) * w * (y - mu0))
}
jac <- function(theta, est) {   # Richardson-extrapolated central differences of mean(psi)
  k <- length(theta); A <- matrix(0, k, k)
  for (j in seq_len(k)) {
    h <- 1e-3 * max(abs(theta[j]), 1e-3)
    cd <- function(h) { tp <- theta; tm <- theta; tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
      (colMeans(psi(tp, est)) - colMeans(psi(tm, est))) / (2 * h) }
    A[, j] <- (4 * cd(h / 2) - cd(h)) / 3
  }
  A
}
weighting <- list()
for (est in c("ATE", "ATT", "ATO")) {
  e <- fitted(ps_fit); w <- wfun(e, est)
  wl <- lm(y ~ tr, weights = w)
  mu1 <- weighted.mean(y[tr == 1], w[tr == 1]); mu0 <- weighted.mean(y[tr == 0], w[tr == 0])
  theta <- c(beta, mu1, mu0)
  P <- psi(theta, est); n <- nrow(P)
  A <- jac(theta, est); B <- crossprod(P) / n
  V <- solve(A) %*% B %*% t(solve(A)) / n
  k <- length(theta); g <- c(rep(0, k - 2), 1, -1)
  weighting[[est]] <- list(estimate = unname(coef(wl)["tr"]), mu1 = mu1, mu0 = mu0,
    se_mestimation = sqrt(drop(t(g) %*% V %*% g)),
    se_hc0_weights_known = unname(sqrt(vcovHC(wl, type = "HC0")["tr", "tr"])),
    ess_treated = sum(w[tr == 1])^2 / sum(w[tr == 1]^2),
    ess_control = sum(w[tr == 0])^2 / sum(w[tr == 0]^2),
    call = sprintf("glm(%s, binomial); weights for %s; lm(re78 ~ treat, weights = w); stacked M-estimation sandwich (Richardson central differences)", deparse(f), est))
}
# clustered sandwich (clusters: years of education, a stand-in for a manager id):
# B = G / (G - 1) * sum over clusters of (summed psi)(summed psi)' / n
cl <- d$educ; G <- length(unique(cl))
for (est in c("ATT", "ATE")) {
  e <- fitted(ps_fit); w <- wfun(e, est)
  theta <- c(beta, weighted.mean(y[tr == 1], w[tr == 1]), weighted.mean(y[tr == 0], w[tr == 0]))
  P <- psi(theta, est); n <- nrow(P); S <- rowsum(P, cl)
  A <- jac(theta, est); B <- crossprod(S) / n * G / (G - 1)
  V <- solve(A) %*% B %*% t(solve(A)) / n
  k <- length(theta); g <- c(rep(0, k - 2), 1, -1)
  weighting[[est]]$se_mestimation_cluster_educ <- sqrt(drop(t(g) %*% V %*% g))
}

# --- entropy balancing (ATT; Hainmueller 2012) by its convex dual, base R optim ------------
Z <- X[, -1]; zt <- colMeans(Z[tr == 1, ]); Zc <- sweep(Z[tr == 0, ], 2, zt)
sdz <- apply(Z, 2, sd); Zs <- sweep(Zc, 2, sdz, "/")
dual <- function(l) log(sum(exp(drop(Zs %*% l))))
grad <- function(l) { q <- exp(drop(Zs %*% l)); colSums(Zs * q) / sum(q) }
o <- optim(rep(0, ncol(Zs)), dual, grad, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
lam <- o$par
for (it in 1:50) {  # Newton steps on the dual to machine precision
  q <- exp(drop(Zs %*% lam)); p <- q / sum(q); g <- colSums(Zs * p)
  H <- crossprod(Zs * sqrt(p)) - tcrossprod(g)
  lam <- lam - solve(H, g)
}
q <- exp(drop(Zs %*% lam)); wc <- q / sum(q)
ebal <- list(estimate = mean(y[tr == 1]) - sum(wc * y[tr == 0]),
             max_abs_balance = max(abs(colSums(Zc * wc))), convergence = o$convergence,
             call = "entropy balancing of control means to treated means of model.matrix(f)[, -1] (first moments), dual minimised by optim BFGS then Newton steps")

# --- augmented IPW (doubly robust) with influence-function SEs ----------------------------
e <- fitted(ps_fit)
m1 <- predict(lm(update(f, re78 ~ .), data = d[tr == 1, ]), newdata = d)
m0 <- predict(lm(update(f, re78 ~ .), data = d[tr == 0, ]), newdata = d)
phi_ate <- m1 - m0 + tr * (y - m1) / e - (1 - tr) * (y - m0) / (1 - e)
ate <- mean(phi_ate)
p1 <- mean(tr)
att <- sum(tr * (y - m0) - (1 - tr) * e / (1 - e) * (y - m0)) / sum(tr)
phi_att <- (tr * (y - m0) - (1 - tr) * e / (1 - e) * (y - m0) - tr * att) / p1
n <- length(y)
Gc <- length(unique(d$educ))
se_cl <- function(phi) sqrt(Gc / (Gc - 1) * sum(rowsum(phi, d$educ)^2)) / n
aipw <- list(ATE = list(estimate = ate, se = sd(phi_ate) * sqrt((n - 1) / n) / sqrt(n)),
             ATT = list(estimate = att, se = sqrt(mean(phi_att^2)) / sqrt(n)),
             ATE_se_cluster_educ = se_cl(phi_ate - ate), ATT_se_cluster_educ = se_cl(phi_att),
             call = "glm(f, binomial) propensity; lm(re78 ~ covariates) within each arm; AIPW ATE (SE sqrt(mean((phi - ate)^2) / n)) and ATT (phi = (T(Y-m0) - (1-T) e/(1-e) (Y-m0) - T att) / mean(T), SE sqrt(mean(phi^2) / n))")

# --- published sensitivity examples -------------------------------------------------------
# E-value, VanderWeele & Ding (2017) Ann Intern Med 167:268: RR = 3.9 (95% CI 1.8, 8.7)
ev <- function(rr) rr + sqrt(rr * (rr - 1))
# Robustness value, Cinelli & Hazlett (2020) JRSS-B 82:39: t = 4.18, df = 783 (Darfur)
rv <- function(t, dof, q = 1, alpha = NULL) {
  f <- q * abs(t / sqrt(dof))
  if (!is.null(alpha)) { fc <- abs(qt(alpha / 2, dof - 1)) / sqrt(dof - 1); f <- f - fc }
  if (f <= 0) return(0)
  0.5 * (sqrt(f^4 + 4 * f^2) - f^2)
}
sens <- list(evalue_rr = ev(3.9), evalue_rr_low = ev(1.8),
             rv_q1 = rv(4.18, 783), rv_q1_alpha05 = rv(4.18, 783, alpha = 0.05))

out <- list(provenance = list(R = R.version.string, MatchIt = as.character(packageVersion("MatchIt")),
                              sandwich = as.character(packageVersion("sandwich")),
                              formula = deparse(f), data = "MatchIt::lalonde (614 rows)"),
            matching = matching, matching_vec_routine = matching_vec, weighting = weighting, entropy = ebal, aipw = aipw, sensitivity = sens)
write_json(out, "tests/reference/causal_reference.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
